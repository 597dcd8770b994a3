"""The `psytrial` command: one typer app with a sub-app per area.

Commands and their options are a contract other tools rely on (../shared/design.md); keep the
names stable and the README's list in step with them.
"""

from __future__ import annotations

import sys

import typer

from psytrial.cli.analyse_cmd import analyse
from psytrial.cli.backup_cmd import backup, restore
from psytrial.cli.demo_cmd import demo
from psytrial.cli.errors import run_reporting_errors
from psytrial.cli.export_cmd import export
from psytrial.cli.protocol_cmd import protocol_app
from psytrial.cli.randomization_cmd import randomization_app
from psytrial.cli.simulate_cmd import simulate_app
from psytrial.cli.web_cmd import audit_app, serve, study_app, token_app, user_app

app = typer.Typer(
    name="psytrial",
    help="Run and analyse double-blind randomized trials of drug-assisted psychotherapy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(protocol_app, name="protocol")
app.add_typer(randomization_app, name="randomization")
app.add_typer(simulate_app, name="simulate")
app.add_typer(audit_app, name="audit")
app.add_typer(study_app, name="study")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.command("serve")(serve)
app.command("demo")(demo)
app.command("backup")(backup)
app.command("restore")(restore)
app.command("export")(export)
app.command("analyse")(analyse)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    sys.exit(run_reporting_errors(app, argv))


if __name__ == "__main__":  # pragma: no cover
    main()
