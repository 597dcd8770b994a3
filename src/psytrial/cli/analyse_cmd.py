"""`psytrial analyse --out DIR [--study CODE]`: the pre-specified analysis on the database.

Builds the tidy tables from the configured database (DATABASE_URL) as the operator, runs the
statistical analysis plan (psytrial.stats.pipeline.analyse) and writes DIR/report.html,
DIR/results.json and the tables it read (DIR/tables/*.csv). Before the database is locked the
analysis is BLINDED: scrambled arm labels, arm-revealing instruments pooled; after the lock it
is unblinded. The run is audited.
"""

from __future__ import annotations

from pathlib import Path

import typer

from psytrial.cli.export_cmd import open_study


def analyse(
    out: Path = typer.Option(..., "--out", help="folder for report.html and results.json"),
    study: str | None = typer.Option(None, "--study", help="study code (default: the only one)"),
) -> None:
    """Run the analysis plan: blinded until the database is locked, then unblinded."""
    found = open_study(study)
    from psytrial.web.exports.runs import run_analysis

    run = run_analysis(found, out)
    typer.echo(
        f"analysed study {found.code} ({run.mode}, {run.result.n_randomized} randomized): "
        f"{run.report} and {run.results}"
    )
