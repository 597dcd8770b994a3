"""Checks on the tidy tables that the secondary analyses take, with DataError messages.

The loaders are written elsewhere; these checks make sure that a malformed table fails with
one readable line (what was expected, what was got) before any statistic is computed.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from psytrial.core.errors import DataError


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise DataError unless `frame` is a DataFrame holding every one of `columns`."""
    wanted = list(columns)
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        got = ", ".join(map(str, frame.columns))
        raise DataError(f"{what}: expected columns {', '.join(wanted)}, got {got}")


def resolve_arms(frame: pd.DataFrame, arms: tuple[str, str] | None, what: str) -> tuple[str, str]:
    """The two arm ids, in the order differences are taken (first minus second).

    Without `arms`, the two ids found in the table are taken in sorted order, which gives
    ("high", "low") for the reference trial.
    """
    found = sorted({str(a) for a in frame["arm"].dropna().unique()})
    if arms is None:
        if len(found) != 2:
            raise DataError(f"{what}: expected exactly 2 arms, got {len(found)} ({found})")
        return (found[0], found[1])
    if len(arms) != 2 or arms[0] == arms[1]:
        raise DataError(f"{what}: expected two different arm ids, got {arms!r}")
    extra = [a for a in found if a not in arms]
    if extra:
        raise DataError(f"{what}: expected arms {arms[0]!r} and {arms[1]!r}, got also {extra}")
    return (str(arms[0]), str(arms[1]))


def numeric_column(frame: pd.DataFrame, column: str, what: str) -> pd.Series:
    """`frame[column]` as floats (NaN = missing); DataError if a value is not a number."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = frame[column][values.isna() & frame[column].notna()]
    if len(bad):
        raise DataError(f"{what}: expected numbers in column {column!r}, got {bad.iloc[0]!r}")
    return values.astype(float)


def require_unique(frame: pd.DataFrame, keys: list[str], what: str) -> None:
    """Raise DataError if two rows share the same `keys` (one value per participant and key)."""
    dup = frame.duplicated(subset=keys, keep=False)
    if dup.any():
        row = frame.loc[dup, keys].iloc[0]
        shown = ", ".join(f"{k}={row[k]!r}" for k in keys)
        raise DataError(f"{what}: expected one row per {', '.join(keys)}, got repeats of {shown}")


def require_one_arm_each(frame: pd.DataFrame, what: str) -> None:
    """Raise DataError if a participant appears under two arms."""
    arms_per = frame.groupby("participant_id")["arm"].nunique()
    if (arms_per > 1).any():
        pid = arms_per[arms_per > 1].index[0]
        raise DataError(f"{what}: expected one arm per participant, got 2 for {pid!r}")
