"""`psytrial export --out DIR [--study CODE] [--unblinded]`: the study's data as files.

Run as the operator, who holds the seal key (PSYTRIAL_SEAL_KEY or the key file under
PSYTRIAL_HOME) and works on the configured database (DATABASE_URL). Writes:

    DIR/<table>.csv             the six analysis tables of docs/tidy-tables.md, readable by
                                psytrial.stats.tables.load_tables; the arm column holds
                                scrambled labels (Group A, ...) unless --unblinded
    DIR/instruments/<id>.csv    one tidy file per instrument, current values
    DIR/data_dictionary.csv     variable, label, type, range, unit, instrument, visit

--unblinded is refused until the study database is locked. Every export is audited.
"""

from __future__ import annotations

from pathlib import Path

import typer

from psytrial.core.errors import PsytrialError


class StudyNotFound(PsytrialError):
    """The database holds no study of that code (or no study at all)."""


def export(
    out: Path = typer.Option(..., "--out", help="folder to write the CSV files to"),
    study: str | None = typer.Option(None, "--study", help="study code (default: the only one)"),
    unblinded: bool = typer.Option(
        False, "--unblinded", help="the true arms; only once the database is locked"
    ),
) -> None:
    """Export the analysis tables, the per-instrument files and the data dictionary."""
    found = open_study(study)
    from psytrial.web.exports.actions import operator_export
    from psytrial.web.exports.runs import operator_tidy

    result = operator_export(found, out, unblinded=unblinded)
    operator_tidy(found, out)
    counts = ", ".join(f"{name} {n}" for name, n in result.rows.items())
    arms = ", ".join(result.arms)
    typer.echo(f"exported study {found.code} ({result.mode}; arms {arms}) to {out}: {counts}")


def open_study(code: str | None):  # type: ignore[no-untyped-def]
    """The study to work on, from the configured database (migrated first)."""
    from psytrial.web.bootstrap import migrate

    migrate()
    from psytrial.web.trial.models import Study

    if code is not None:
        found = Study.objects.filter(code=code).first()
        if found is None:
            known = ", ".join(Study.objects.values_list("code", flat=True)) or "none"
            raise StudyNotFound(
                f"--study: expected one of the studies in the database ({known}), got {code!r}"
            )
        return found
    codes = list(Study.objects.values_list("code", flat=True)[:10])
    if len(codes) != 1:
        raise StudyNotFound(
            "--study: expected a study code, the database holds "
            + (
                f"several ({', '.join(codes)})"
                if codes
                else "none (create one with `psytrial study create FILE`)"
            )
        )
    return Study.objects.get(code=codes[0])
