"""Read the committed reference datasets and R's output for them (tests never run R).

data/<name>.csv is what survival.R read; output/<name>.json is what it wrote. R's NA arrives as
JSON null and is turned into NaN here so that arrays compare with numpy's NaN-aware checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent

# Datasets on which R's coxph converges to a finite coefficient.
ESTIMABLE = ("aml", "censoring", "ties_small", "median_midpoint", "single_time")
# Datasets where one arm never relapses while the other is at risk (R's coef runs to +-20).
MONOTONE = ("one_arm_events", "one_each")
ALL = ESTIMABLE + MONOTONE


def dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / f"{name}.csv")


def r_output(name: str) -> dict[str, Any]:
    with (HERE / "output" / f"{name}.json").open() as handle:
        result: dict[str, Any] = json.load(handle)
    return result


def floats(values: Any) -> np.ndarray:
    """A JSON array (with nulls for R's NA) as float64 with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def value(v: Any) -> float:
    return float("nan") if v is None else float(v)
