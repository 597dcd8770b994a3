"""`psytrial demo`: the main job, run by the README's first command.

    psytrial demo [--out DIR] [--seed N] [--participants N] [--sites K] [--no-serve]
                  [--port P] [--force]

Builds a fresh study in DIR/db.sqlite3 (keys in DIR/keys), plays a seeded virtual cohort of
the 2002 trial through the web layer's action functions on a simulated clock (screening to
24 months of follow-up), locks the database, runs the analysis plan and writes
DIR/report.html and DIR/results.json; then prints each role's login and serves the web app
on 127.0.0.1:P (unless --no-serve). What it does, phase by phase: docs/demo.md.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from psytrial.demo.options import (
    DEFAULT_PARTICIPANTS,
    DEFAULT_PORT,
    DEFAULT_SEED,
    REFERENCE_PROTOCOL,
    REFERENCE_SCENARIO,
    DemoOptions,
)


def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", help="folder for the demo's files"),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", min=0, help="seed of the whole run"),
    participants: int = typer.Option(
        DEFAULT_PARTICIPANTS, "--participants", min=2, help="people to randomize"
    ),
    sites: int = typer.Option(1, "--sites", min=1, max=99, help="number of sites"),
    no_serve: bool = typer.Option(False, "--no-serve", help="do not start the web app after"),
    port: int = typer.Option(DEFAULT_PORT, "--port", min=1, max=65535, help="port of the web app"),
    force: bool = typer.Option(False, "--force", help="replace an existing demo database in --out"),
    protocol_file: Path = typer.Option(REFERENCE_PROTOCOL, "--protocol", help="protocol YAML file"),
    scenario_file: Path = typer.Option(
        REFERENCE_SCENARIO, "--scenario", help="scenario YAML file (psytrial.sim)"
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="run on this (empty) database instead of DIR/db.sqlite3, e.g. PostgreSQL",
    ),
) -> None:
    """Run the 2002 trial in silico through psytrial, analyse it, then serve the web app."""
    from psytrial.demo.driver import run_demo

    options = DemoOptions(
        out=out,
        seed=seed,
        participants=participants,
        sites=sites,
        serve=not no_serve,
        port=port,
        force=force,
        protocol_file=protocol_file,
        scenario_file=scenario_file,
        database_url=database_url,
    )
    console = Console()
    try:
        outcome = run_demo(options, console)
    except KeyboardInterrupt:
        raise typer.Abort() from None
    from psytrial.demo.serve import print_logins, serve

    print_logins(console, list(outcome.logins), outcome.paths, port)
    if options.serve:
        serve(console, outcome.study_code, port)
