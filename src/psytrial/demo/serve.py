"""Serving the finished demo: the web app on the demo's database, with the logins printed.

The web app runs under gunicorn (`psytrial.web.server.run_gunicorn`) on 127.0.0.1 only: the
demo's passwords are derived from the seed, so the server must not be reachable from other
machines. It runs on the real clock: the trial's dates are in the past (the simulated two
years), and every page shows the study as it stood at the database lock.
"""

from __future__ import annotations

from rich.console import Console

from psytrial.demo.environment import SERVE_HOST
from psytrial.demo.options import DemoPaths
from psytrial.demo.report import logins_table, reopen_command
from psytrial.demo.users import Login

HOST = SERVE_HOST
WORKERS = 2


def print_logins(console: Console, logins: list[Login], paths: DemoPaths, port: int) -> None:
    console.print(logins_table(logins))
    console.print(f"Logins also in {paths.logins} (owner-readable only).", soft_wrap=True)
    console.print(f"Reopen the study later: {reopen_command(paths, port)}", soft_wrap=True)


def serve(console: Console, study_code: str, port: int) -> None:
    """Run the web app until interrupted (Ctrl-C)."""
    from django.db import connections

    from psytrial.web.server import run_gunicorn

    connections.close_all()  # gunicorn forks its workers: they open their own connections
    console.print(
        f"Serving the demo study on http://{HOST}:{port}/ (log in with a login "
        f"above; study {study_code}). Ctrl-C stops it."
    )
    run_gunicorn(HOST, port, WORKERS)
