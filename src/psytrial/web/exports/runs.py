"""What the command line runs as the operator (who holds the seal key): exports and analysis.

    operator_tidy(study, folder)         instruments/<id>.csv and data_dictionary.csv
    run_analysis(study, out)             out/tables/*.csv, out/report.html, out/results.json

`run_analysis` builds the tables from the database and runs the statistical analysis plan
(`psytrial.stats.pipeline.analyse`): BLINDED (scrambled labels, arm-revealing instruments
pooled) unless the study database is locked, then unblinded. A blinded report is checked once
more for any true arm id or label before it is written. Both are audited as the operator.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from psytrial.stats import blinded, report, results_json
from psytrial.stats.pipeline import AnalysisResult, analyse
from psytrial.web.audit.trail import record as audit
from psytrial.web.exports import tidy
from psytrial.web.exports.actions import OPERATOR, AnalysisExport, operator_export
from psytrial.web.exports.reading import current_entries
from psytrial.web.trial.models import Study

DICTIONARY_FILE = "data_dictionary.csv"


@dataclass(frozen=True)
class AnalysisRun:
    mode: str
    export: AnalysisExport
    result: AnalysisResult
    report: Path
    results: Path


def operator_tidy(study: Study, folder: str | Path, *, actor: str = OPERATOR) -> list[Path]:
    """Every instrument's tidy CSV (all sites) and the data dictionary, written to `folder`."""
    out = Path(folder)
    (out / "instruments").mkdir(parents=True, exist_ok=True)
    protocol = study.protocol
    entries = list(current_entries(study))
    written = {}
    for defn in protocol.instruments:
        header, rows = tidy.instrument_table(protocol, defn, entries)
        path = out / "instruments" / f"{defn.id}.csv"
        path.write_text(tidy.to_csv(header, rows), encoding="utf-8")
        written[path] = len(rows)
    path = out / DICTIONARY_FILE
    rows = tidy.dictionary_rows(protocol, protocol.instruments)
    path.write_text(tidy.to_csv(tidy.DICTIONARY_COLUMNS, rows), encoding="utf-8")
    written[path] = len(rows)
    _audit(
        actor,
        study,
        "export.tidy",
        "all instruments",
        {str(p.relative_to(out)): {"rows": n, "sha256": _digest(p)} for p, n in written.items()},
    )
    return list(written)


def run_analysis(study: Study, out: str | Path, *, actor: str = OPERATOR) -> AnalysisRun:
    """Tables, report and results of the study: blinded until the database is locked."""
    folder = Path(out)
    unblinded = study.is_locked
    mode = "unblinded" if unblinded else "blinded"
    exported = operator_export(study, folder / "tables", unblinded=unblinded, actor=actor)
    result = analyse(exported.tables, study.protocol, mode=mode)
    html, text = report.render(result), results_json.dumps(result)
    if mode == "blinded":
        blinded.check_no_arm_identity({"report.html": html, "results.json": text}, study.protocol)
    report_path, results_path = folder / "report.html", folder / "results.json"
    report_path.write_text(html, encoding="utf-8")
    results_path.write_text(text, encoding="ascii")
    _audit(
        actor,
        study,
        "analysis.run",
        mode,
        {"mode": mode, "report.html": _digest(report_path), "results.json": _digest(results_path)},
    )
    return AnalysisRun(mode, exported, result, report_path, results_path)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _audit(actor: str, study: Study, action: str, what: str, new: dict[str, object]) -> None:
    with transaction.atomic():
        audit(
            actor=actor,
            action=action,
            study=study.code,
            object_type="export",
            object_id=what,
            new=new,
        )
