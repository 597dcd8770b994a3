"""Whole-column conversions behind `tables_cells`: cell text and typed columns without a loop.

`tables_cells.as_text` states what each cell means as text; calling it once per cell cost
most of the validation time of a large trial (4.7 M calls at 10,000 participants). The common
column shapes are handled here on whole arrays with the same result:

* object columns holding only str, with None/NaN/pd.NA/pd.NaT for missing cells (every CSV
  file, most frames built in memory): the stripped strings, "" for the missing ones;
* numeric columns (int, float, Int64, Float64) of a number kind: the numbers themselves, the
  missing ones empty;
* tz-naive datetime64 columns of a date kind: the calendar dates, NaT empty.

Any other column (bools, dates as objects, mixed types) goes through `as_text` cell by cell,
as before, so the rules of `as_text` stay the single definition of a cell's meaning.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from psytrial.stats.tables_schema import Kind

_MISSING_TYPES = (type(None), type(pd.NA), type(pd.NaT))


def as_text(value: Any, kind: Kind) -> str:
    """One cell as stripped text; every kind of "missing" becomes ""."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime | dt.date):
        # A datetime in a date column keeps its calendar date only.
        day = value.date() if isinstance(value, dt.datetime) else value
        return day.isoformat() if kind is Kind.DATE else str(value)
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return repr(float(value))
    return str(value).strip()


def column_text(raw: pd.Series, kind: Kind) -> pd.Series:
    """`as_text` of every cell, as an object Series with the index of `raw`."""
    return text_cells(raw, kind)[0]


def text_cells(raw: pd.Series, kind: Kind) -> tuple[pd.Series, np.ndarray]:
    """`column_text`, and a mask of its empty cells."""
    fast = _string_column_text(raw)
    if fast is None:
        text = np.array([as_text(v, kind) for v in raw], dtype=object)
        empty = np.asarray(text == "", dtype=bool)
    else:
        text, empty = fast
    return pd.Series(text, index=raw.index, dtype=object), empty


def _string_column_text(raw: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    if raw.dtype != object and not isinstance(raw.dtype, pd.StringDtype):
        return None
    values = raw.to_numpy(dtype=object)
    # Few distinct strings per column (choices, instruments, ids repeated per visit): look at
    # and strip each distinct value once. factorize marks the missing cells with -1.
    codes, distinct = pd.factorize(values)
    if len(distinct) and infer_dtype(distinct, skipna=False) != "string":
        return None
    missing = codes < 0
    # pd.isna also flags np.datetime64("NaT") and Decimal("NaN"), which as_text spells out.
    kinds = {type(v) for v in values[missing]}
    if not all(issubclass(t, (*_MISSING_TYPES, float, np.floating)) for t in kinds):
        return None
    stripped = np.array([str(v).strip() for v in distinct] + [""], dtype=object)
    return stripped[codes], (stripped == "")[codes]


def is_real_dtype(raw: pd.Series) -> bool:
    """int, unsigned or float (numpy or nullable), not bool or complex."""
    return getattr(raw.dtype, "kind", "") in ("i", "u", "f")


def is_naive_datetime(raw: pd.Series) -> bool:
    return isinstance(raw.dtype, np.dtype) and raw.dtype.kind == "M"


def real_values(raw: pd.Series) -> np.ndarray:
    """A numeric column as float64, NaN where missing (what its text would parse to)."""
    return np.asarray(raw.to_numpy(dtype="float64", na_value=np.nan), dtype="float64")


def parse_decimal_text(text: pd.Series, ok: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """Correctly rounded floats of the cells that `pd.to_numeric` accepted (`ok`).

    pd.to_numeric's fast parser can be one unit in the last place off (repr(x) does not
    always come back as x), which would make a table read from CSV differ from the same
    table built in memory; Python's float() is exact. `coarse` is kept where float() fails.
    """
    values = coarse.copy()
    cells = text.to_numpy(dtype=object)[ok]
    with contextlib.suppress(ValueError, TypeError):
        values[ok] = cells.astype("float64")
    return values
