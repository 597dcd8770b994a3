"""The final analysis, after the database lock: the export, the plan, the report files.

The trial statistician, blind until the lock and unblinded by it (the protocol's
`until_lock`), exports the six analysis tables with the true arms
(`exports.actions.export_analysis(..., unblinded=True)`, audited with the SHA-256 of each
file; kept in DIR/analysis-tables) and runs the statistical analysis plan on them
(`psytrial.stats.pipeline.analyse`, unblinded mode). `results.json` and the self-contained
`report.html` are written from that one result, so every number of the report is in the
JSON. Nothing here reads the database except through the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from numpy.linalg import LinAlgError

from psytrial.demo.state import DemoRun
from psytrial.stats import report
from psytrial.stats.pipeline import AnalysisResult, analyse
from psytrial.web.exports.actions import AnalysisExport, export_analysis

# Above this many participants the craving mixed models take minutes in statsmodels; the
# report then says they were not fitted (the benchmark's 5,000-participant runs).
MIXED_MODELS_UP_TO = 2000


@dataclass(frozen=True)
class FinalAnalysis:
    export: AnalysisExport
    result: AnalysisResult
    results_file: Path
    report_file: Path


def final_analysis(run: DemoRun) -> FinalAnalysis:
    statistician = run.team.user("statistician")
    exported = export_analysis(statistician, run.study, run.paths.analysis_tables, unblinded=True)
    run.tally.actions += 1
    run.progress.advance("analysis", note="tables exported")
    fit = run.options.participants <= MIXED_MODELS_UP_TO
    try:
        result = analyse(exported.tables, run.protocol, mode="unblinded", fit_mixed_models=fit)
    except LinAlgError:
        if not fit:
            raise
        # A very small cohort can make the craving model's Hessian singular (statsmodels
        # then raises); the report says the mixed models were not fitted.
        result = analyse(exported.tables, run.protocol, mode="unblinded", fit_mixed_models=False)
    run.progress.advance("analysis", note="plan run")
    results_file, report_file = report.write_outputs(result, run.paths.out, run.protocol)
    run.progress.advance("analysis", note="report written")
    return FinalAnalysis(exported, result, results_file, report_file)
