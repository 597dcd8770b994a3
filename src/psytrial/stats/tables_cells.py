"""Cell parsing for the tidy tables: one column at a time, into its canonical dtype.

CSV files arrive as text and DataFrames built in memory arrive with Python or pandas values
(None, NaN, bool, date, Timestamp, numbers). Both are first turned into stripped text, so a
table means the same thing whichever way it came, then parsed by the column's kind. A bad
cell is reported with its table, row number, column, what was expected and what was got.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from psytrial.core.errors import DataError
from psytrial.stats.tables_schema import Column, Kind


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


class Where:
    """Says where a row lives, for error messages: a CSV file (with its line) or a table."""

    def __init__(self, table: str, from_file: bool, participant_ids: Sequence[str] | None):
        self.table = table
        self.from_file = from_file
        self.participant_ids = participant_ids

    def row(self, position: int) -> str:
        """`position` is 0-based among data rows; rows are reported 1-based."""
        if self.from_file:
            # The header is line 1, so data row n is on line n + 1.
            text = f"{self.table}.csv row {position + 1} (line {position + 2})"
        else:
            text = f"{self.table} table row {position + 1}"
        if self.participant_ids is not None and self.participant_ids[position]:
            text += f" (participant {self.participant_ids[position]})"
        return text

    @property
    def source(self) -> str:
        return f"{self.table}.csv" if self.from_file else f"{self.table} table"


def parse_column(raw: pd.Series, column: Column, where: Where, arms: Sequence[str]) -> pd.Series:
    """Parse one column into its canonical dtype, or raise DataError at the first bad cell."""
    text = pd.Series([as_text(v, column.kind) for v in raw], index=raw.index, dtype=object)
    empty = (text == "").to_numpy()
    if column.nonempty and empty.any():
        position = int(np.flatnonzero(empty)[0])
        _fail(where, position, column, "an empty cell")
    if column.kind is Kind.TEXT:
        return text
    if column.kind in (Kind.CHOICE, Kind.ARM):
        allowed = _allowed(column, arms)
        _check(text, empty | text.isin(allowed).to_numpy(), column, where, allowed)
        return text
    if column.kind is Kind.DATE:
        parsed = pd.to_datetime(text.where(~empty, None), format="%Y-%m-%d", errors="coerce")
        _check(text, empty | parsed.notna().to_numpy(), column, where)
        return parsed.astype("datetime64[ns]")
    return _parse_number(text, empty, column, where)


def _parse_number(text: pd.Series, empty: np.ndarray, column: Column, where: Where) -> pd.Series:
    numbers = pd.to_numeric(text.where(~empty, None), errors="coerce").astype(float)
    values = numbers.to_numpy()
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(values)
        if column.kind is Kind.INT:
            ok &= np.floor(values) == values
        if column.minimum is not None:
            ok &= values >= column.minimum
        if column.maximum is not None:
            ok &= values <= column.maximum
    _check(text, empty | ok, column, where)
    if column.kind is Kind.INT:
        return numbers.round().astype("Int64")
    return numbers


def _allowed(column: Column, arms: Sequence[str]) -> tuple[str, ...]:
    if column.kind is Kind.ARM:
        return (*arms, *column.extra_arm_values)
    return column.allowed


def _check(
    text: pd.Series,
    ok: np.ndarray,
    column: Column,
    where: Where,
    allowed: tuple[str, ...] | None = None,
) -> None:
    if ok.all():
        return
    position = int(np.flatnonzero(~ok)[0])
    expected = "one of " + "|".join(allowed) if allowed is not None else column.expected()
    _fail(where, position, column, repr(text.iloc[position]), expected)


def _fail(where: Where, position: int, column: Column, got: str, expected: str = "") -> None:
    expected = expected or column.expected()
    raise DataError(f"{where.row(position)}, column {column.name}: expected {expected}, got {got}")


def format_column(values: pd.Series, column: Column) -> pd.Series:
    """The inverse of parse_column: canonical values back to CSV text."""
    if column.kind is Kind.DATE:
        dates = pd.to_datetime(values)
        return dates.dt.strftime("%Y-%m-%d").fillna("")
    if column.kind is Kind.INT:
        return pd.Series(
            ["" if pd.isna(v) else str(int(v)) for v in values], index=values.index, dtype=object
        )
    if column.kind is Kind.NUMBER:
        return pd.Series(
            ["" if pd.isna(v) else repr(float(v)) for v in values],
            index=values.index,
            dtype=object,
        )
    return values.fillna("").astype(str)
