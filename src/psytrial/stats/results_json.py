"""results.json: every number of the report, as deterministic JSON.

    as_dict(result) -> dict        the plain structure (schema: docs/report.md)
    dumps(result) -> str           the file's text
    write(result, path)            writes it

Determinism: keys are sorted, floats are rounded to 12 significant digits (so the last bits
of a platform's arithmetic do not change the bytes) and written by Python's shortest repr;
NaN and infinities become null (JSON has neither); the text is ASCII with a final newline.
The same data give a byte-identical file. The report (`psytrial.stats.report`) renders
from `as_dict`, so every number it shows is one of these.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from psytrial.stats import results_sections as sections
from psytrial.stats.method_names import METHODS
from psytrial.stats.pipeline import AnalysisResult

FORMAT = "psytrial-results"
FORMAT_VERSION = 1
SIGNIFICANT = 12


def as_dict(result: AnalysisResult) -> dict[str, Any]:
    """The results as JSON values (already cleaned: no NaN, no numpy types, no tuples)."""
    raw: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "mode": result.mode,
        "banner": result.banner,
        "study": {
            "id": result.study.id,
            "title": result.study.title,
            "protocol_version": result.study.protocol_version,
            "reference": result.study.reference,
        },
        "data_cutoff": _date(result.cutoff),
        "data_through": _date(result.data_through),
        "n_randomized": result.n_randomized,
        "arms": {a.id: {"label": a.label, "n": a.n} for a in result.arms},
        "arm_order": list(result.arm_ids),
        "outcome": {
            "id": result.outcome.id,
            "label": result.outcome.label,
            "event": result.outcome.event,
            "rule": result.outcome.rule,
            "sensitivity_rule": result.outcome.sensitivity_rule,
            "horizon_months": result.outcome.horizon_months,
            "abstinence_months": list(result.outcome.abstinence_months),
        },
        "primary": sections.primary(result.primary),
        "sensitivity": None if result.sensitivity is None else sections.primary(result.sensitivity),
        "hrs": sections.hrs(result.hrs),
        "hrs_notes": [] if result.hrs is None else list(result.hrs.notes),
        "craving": sections.craving(result.craving),
        "attitudes": sections.attitudes(result.attitudes),
        "blinding_index": sections.blinding_index(result.blinding),
        "blinding": sections.blinding(result.blinding),
        "adverse_events": sections.adverse_events(result.safety),
        "consort": result.consort.as_dict(),
        "pooled_instruments": list(result.pooled_instruments),
        "methods": dict(METHODS),
        "software": dict(result.software),
        "notes": list(result.notes),
    }
    cleaned: dict[str, Any] = clean(raw)
    return cleaned


def dumps(result: AnalysisResult | Mapping[str, Any]) -> str:
    """The text of results.json."""
    data = as_dict(result) if isinstance(result, AnalysisResult) else clean(result)
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=True, allow_nan=False) + "\n"


def write(result: AnalysisResult, path: str | Path) -> None:
    Path(path).write_text(dumps(result), encoding="ascii")


def round_float(value: float) -> float | None:
    """`value` to 12 significant digits; None for NaN and infinities."""
    if not math.isfinite(value):
        return None
    rounded = float(f"{value:.{SIGNIFICANT}g}")
    return 0.0 if rounded == 0.0 else rounded  # no "-0.0"


def clean(value: Any) -> Any:
    """JSON values only: dict keys as str, tuples as lists, numpy scalars as Python ones."""
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return round_float(float(value))
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"results.json: expected a JSON value, got {type(value).__name__}")


def _date(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()
