"""Starting Django from the command line: settings, setup, migrations."""

from __future__ import annotations

import os


def setup() -> None:
    """Configure Django with psytrial's settings (idempotent)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psytrial.web.settings")
    import django

    django.setup()


def migrate(verbosity: int = 0) -> None:
    """Bring the configured database's schema up to date."""
    setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
