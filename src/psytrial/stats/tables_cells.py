"""Cell parsing for the tidy tables: one column at a time, into its canonical dtype.

CSV files arrive as text and DataFrames built in memory arrive with Python or pandas values
(None, NaN, bool, date, Timestamp, numbers). Both are first turned into stripped text, so a
table means the same thing whichever way it came, then parsed by the column's kind. A bad
cell is reported with its table, row number, column, what was expected and what was got.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from psytrial.core.errors import DataError
from psytrial.stats.tables_fast import (
    as_text,
    is_naive_datetime,
    is_real_dtype,
    parse_decimal_text,
    real_values,
    text_cells,
)
from psytrial.stats.tables_schema import Column, Kind


class Where:
    """Says where a row lives, for error messages: a CSV file (with its line) or a table.

    `participant_ids` holds the raw cells of the participant_id column (or None): only the
    row that is reported is turned into text, so building a Where costs nothing per row.
    """

    def __init__(
        self, table: str, from_file: bool, participant_ids: Sequence[Any] | np.ndarray | None
    ):
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
        pid = self.participant(position)
        if pid:
            text += f" (participant {pid})"
        return text

    def participant(self, position: int) -> str:
        """The participant id of a row as text, "" when there is none."""
        if self.participant_ids is None:
            return ""
        value = self.participant_ids[position]
        return "" if _is_missing(value) else str(value).strip()

    @property
    def source(self) -> str:
        return f"{self.table}.csv" if self.from_file else f"{self.table} table"


def _is_missing(value: Any) -> bool:
    missing = pd.isna(value)
    return bool(missing) if isinstance(missing, bool | np.bool_) else False


def parse_column(raw: pd.Series, column: Column, where: Where, arms: Sequence[str]) -> pd.Series:
    """Parse one column into its canonical dtype, or raise DataError at the first bad cell."""
    typed = _parse_typed(raw, column, where)
    if typed is not None:
        return typed
    text, empty = text_cells(raw, column.kind)
    _check_nonempty(empty, column, where)
    if column.kind is Kind.TEXT:
        return text
    if column.kind in (Kind.CHOICE, Kind.ARM):
        allowed = _allowed(column, arms)
        _check(_shown(text), empty | text.isin(allowed).to_numpy(), column, where, allowed)
        return text
    if column.kind is Kind.DATE:
        parsed = pd.to_datetime(text.where(~empty, None), format="%Y-%m-%d", errors="coerce")
        _check(_shown(text), empty | parsed.notna().to_numpy(), column, where)
        return parsed.astype("datetime64[ns]")
    coarse = pd.to_numeric(text.where(~empty, None), errors="coerce").astype(float).to_numpy()
    ok = _number_ok(coarse, column)
    _check(_shown(text), empty | ok, column, where)
    return _numbers(parse_decimal_text(text, ok, coarse), column, text.index)


def _parse_typed(raw: pd.Series, column: Column, where: Where) -> pd.Series | None:
    """Numbers and dates that arrive typed, parsed without going through their text.

    The result is what the text path gives (as_text, then parsing); None when the column is
    not of such a type, or its dates do not fit datetime64[ns] (the text path reports them).
    """
    if column.kind in (Kind.INT, Kind.NUMBER) and is_real_dtype(raw):
        values = real_values(raw)
        empty = np.isnan(values)
        _check_nonempty(empty, column, where)
        _check(_cell_text(raw, column), empty | _number_ok(values, column), column, where)
        return _numbers(values, column, raw.index)
    if column.kind is Kind.DATE and is_naive_datetime(raw):
        try:
            days: pd.Series = raw.dt.normalize().astype("datetime64[ns]")
        except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
            return None
        _check_nonempty(days.isna().to_numpy(), column, where)
        return days
    return None


def _check_nonempty(empty: np.ndarray, column: Column, where: Where) -> None:
    if column.nonempty and empty.any():
        position = int(np.flatnonzero(empty)[0])
        _fail(where, position, column, "an empty cell")


def _number_ok(values: np.ndarray, column: Column) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(values)
        if column.kind is Kind.INT:
            ok &= np.floor(values) == values
        if column.minimum is not None:
            ok &= values >= column.minimum
        if column.maximum is not None:
            ok &= values <= column.maximum
    return np.asarray(ok, dtype=bool)


def _numbers(values: np.ndarray, column: Column, index: pd.Index) -> pd.Series:
    numbers = pd.Series(values, index=index, dtype=float)
    if column.kind is Kind.INT:
        return numbers.round().astype("Int64")
    return numbers


def _allowed(column: Column, arms: Sequence[str]) -> tuple[str, ...]:
    if column.kind is Kind.ARM:
        return (*arms, *column.extra_arm_values)
    return column.allowed


Shown = Callable[[int], str]  # what a bad cell at a position is shown as in a message


def _shown(text: pd.Series) -> Shown:
    return lambda position: repr(text.iloc[position])


def _cell_text(raw: pd.Series, column: Column) -> Shown:
    return lambda position: repr(as_text(raw.iloc[position], column.kind))


def _check(
    shown: Shown,
    ok: np.ndarray,
    column: Column,
    where: Where,
    allowed: tuple[str, ...] | None = None,
) -> None:
    if ok.all():
        return
    position = int(np.flatnonzero(~ok)[0])
    expected = "one of " + "|".join(allowed) if allowed is not None else column.expected()
    _fail(where, position, column, shown(position), expected)


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
