"""Getting a fresh study database ready before Django starts.

Django reads its settings once, when it is set up, and the settings read the environment:
`DATABASE_URL` (the demo's SQLite file `DIR/db.sqlite3`, unless a database URL was given)
and `PSYTRIAL_HOME` (the folder with the secret key and the SEAL key, `DIR/keys`). So they
are set here, first; `DATABASE_URL=sqlite:///DIR/db.sqlite3 PSYTRIAL_HOME=DIR/keys psytrial
serve` then reopens the demo's study with the key that opens its sealed data.

An existing non-empty database is refused (one line, exit code 2) unless `--force`, which
deletes the SQLite file (and its WAL files) and the old keys: a new study needs new keys,
because the old key would open nothing in it and the new one nothing in the old.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from psytrial.core.errors import PsytrialError
from psytrial.demo.options import DemoOptions, DemoPaths

SERVE_HOST = "127.0.0.1"


class DemoSetupError(PsytrialError):
    """The demo cannot start here: the output folder or the database is not usable."""


def prepare(options: DemoOptions) -> DemoPaths:
    """Check (and with --force clear) the output folder; put the environment in place."""
    paths = DemoPaths(options.out.expanduser().resolve(), options.database_url)
    if paths.out.exists() and not paths.out.is_dir():
        raise DemoSetupError(f"--out: expected a folder, got the file {paths.out}")
    if options.serve:
        _refuse_busy_port(options.port)
    paths.out.mkdir(parents=True, exist_ok=True)
    if options.database_url is None:
        _refuse_or_clear_sqlite(paths, options.force)
    elif options.force:
        raise DemoSetupError(
            "--force: expected a demo on its own SQLite file; it never "
            "clears a database given by URL (drop and create it yourself)"
        )
    _configure(paths, paths.url())
    return paths


def _refuse_or_clear_sqlite(paths: DemoPaths, force: bool) -> None:
    db = paths.database
    if db.exists() and db.stat().st_size > 0:
        if not force:
            raise DemoSetupError(
                f"--out: expected a folder without a study database, got {db} "
                f"({db.stat().st_size} bytes); pass --force to replace it, or choose another --out"
            )
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(paths.keys, ignore_errors=True)
    paths.keys.mkdir(mode=0o700, exist_ok=True)


def _refuse_busy_port(port: int) -> None:
    """Check the web app's port first: finding it taken after the whole run would waste it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((SERVE_HOST, port))
        except OSError:
            raise DemoSetupError(
                f"--port: expected a free port on {SERVE_HOST} to serve the demo, got {port} "
                "in use; choose another with --port, or pass --no-serve"
            ) from None


def _configure(paths: DemoPaths, database_url: str) -> None:
    from django.conf import settings

    if settings.configured:
        raise DemoSetupError(
            "the demo must configure Django itself (its own database and "
            "keys); run it in a fresh process (`psytrial demo`)"
        )
    os.environ["DATABASE_URL"] = database_url
    os.environ["PSYTRIAL_HOME"] = str(paths.keys)
    os.environ["DJANGO_SETTINGS_MODULE"] = "psytrial.web.settings"
    # Keys from the environment would not be found by a later `psytrial serve`; the demo
    # keeps its own in DIR/keys.
    os.environ.pop("PSYTRIAL_SEAL_KEY", None)
    os.environ.pop("PSYTRIAL_SECRET_KEY", None)


def start_django() -> None:
    """Set Django up on the prepared environment and migrate the (new) database."""
    from psytrial.web.bootstrap import migrate

    migrate()


def refuse_existing_study() -> None:
    """A database given by URL must hold no study yet (the demo never mixes studies)."""
    from psytrial.web.trial.models import Study

    found = Study.objects.values_list("code", flat=True).first()
    if found is not None:
        raise DemoSetupError(
            f"database: expected an empty study database, got one holding "
            f"study {found}; create a fresh database for the demo"
        )
