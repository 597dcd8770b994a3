"""The public surface of the secondary analyses, and the layer rule it must keep."""

from __future__ import annotations

import subprocess
import sys

import psytrial.stats.secondary as secondary


def test_it_exports_every_name_it_lists() -> None:
    for name in secondary.__all__:
        assert getattr(secondary, name) is not None
    assert {"analyse_hrs", "analyse_craving", "analyse_attitudes", "analyse_adverse_events"} <= set(
        secondary.__all__
    )


def test_it_does_not_import_django_or_the_web_layer() -> None:
    code = (
        "import sys, psytrial.stats.secondary\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'ninja')"
        " or m.startswith('psytrial.web')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
