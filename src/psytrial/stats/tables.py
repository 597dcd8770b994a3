"""The tidy tables the analysis reads: loading, validation and writing.

The analysis plan takes a `TrialTables`, six pandas DataFrames whose columns and types are
declared in `psytrial.stats.tables_schema` (and described for people in docs/tidy-tables.md).
They come either from a folder of CSV files (the web layer's export; `load_tables`) or from
DataFrames built in memory by the web layer or the simulator (`validate`); both paths run
the same checks and return the same canonical dtypes, so an analysis cannot tell them apart.

Every problem is a `DataError` whose one-line message names the file or table, the row, the
column, what was expected and what was got. Checks run in this order, and the first failure
is reported: missing table or file; missing column; cell values (types, allowed values,
ranges, arms); duplicate keys; rules within a table; links between tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

from psytrial.core.errors import DataError
from psytrial.stats.tables_cells import Where, format_column, parse_column
from psytrial.stats.tables_rules import check_rules
from psytrial.stats.tables_schema import SCHEMAS, TABLE_NAMES, TableSchema

__all__ = [
    "SCHEMAS",
    "TABLE_NAMES",
    "TrialTables",
    "empty_frame",
    "load_tables",
    "validate",
    "write_tables",
]


@dataclass(frozen=True)
class TrialTables:
    """The six validated tidy tables of one trial, and the arm ids they were checked against.

    In blinded mode the arm ids are the scrambled labels the blinded statistician sees.
    Treat the frames as read-only: analyses take copies before changing anything.
    """

    arms: tuple[str, ...]
    participants: pd.DataFrame
    followup: pd.DataFrame
    scores: pd.DataFrame
    adverse_events: pd.DataFrame
    blinding_guesses: pd.DataFrame
    screening: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """Table name -> DataFrame, in schema order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "arms"}


def empty_frame(table: str) -> pd.DataFrame:
    """A table with the schema's columns and no rows, for builders that have no such data."""
    if table not in SCHEMAS:
        raise DataError(f"table: expected one of {', '.join(TABLE_NAMES)}, got {table!r}")
    return pd.DataFrame({name: pd.Series([], dtype=object) for name in SCHEMAS[table].names})


def load_tables(folder: str | Path, arms: Sequence[str]) -> TrialTables:
    """Read `<table>.csv` for every table from `folder` and validate them against `arms`."""
    path = Path(folder)
    if not path.is_dir():
        raise DataError(f"tables folder: expected a folder of CSV files, got {str(path)!r}")
    raw = {name: _read_csv(path, SCHEMAS[name]) for name in TABLE_NAMES}
    return _validate(raw, arms, from_file=True)


def validate(frames: Mapping[str, pd.DataFrame] | TrialTables, arms: Sequence[str]) -> TrialTables:
    """Check DataFrames built in memory (table name -> frame) and return canonical tables."""
    if isinstance(frames, TrialTables):
        frames = frames.frames()
    for name in TABLE_NAMES:
        if name not in frames:
            raise DataError(
                f"missing table: {name} (expected tables {', '.join(TABLE_NAMES)}; "
                f"use empty_frame({name!r}) when there is no data)"
            )
    return _validate(frames, arms, from_file=False)


def write_tables(tables: TrialTables, folder: str | Path) -> None:
    """Write every table to `folder/<table>.csv`, in the form `load_tables` reads back."""
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.frames().items():
        schema = SCHEMAS[name]
        out = frame.copy()
        for column in schema.columns:
            out[column.name] = format_column(out[column.name], column)
        extra = [c for c in out.columns if c not in schema.names]
        out[list(schema.names) + extra].to_csv(path / schema.file_name, index=False)


def _read_csv(folder: Path, schema: TableSchema) -> pd.DataFrame:
    path = folder / schema.file_name
    if not path.is_file():
        raise DataError(f"missing file: {schema.file_name} in {str(folder)!r}")
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"{schema.file_name}: expected UTF-8 CSV with a header line, got {first}"
        ) from None


def _validate(
    raw: Mapping[str, pd.DataFrame], arms: Sequence[str], *, from_file: bool
) -> TrialTables:
    arm_ids = tuple(str(a) for a in arms)
    if len(arm_ids) < 1 or len(set(arm_ids)) != len(arm_ids):
        raise DataError(f"arms: expected distinct arm ids, got {list(arm_ids)!r}")
    parsed = {
        name: _parse_table(raw[name], SCHEMAS[name], arm_ids, from_file) for name in TABLE_NAMES
    }
    check_rules(parsed, from_file)
    return TrialTables(arms=arm_ids, **parsed)


def _parse_table(
    frame: pd.DataFrame, schema: TableSchema, arms: tuple[str, ...], from_file: bool
) -> pd.DataFrame:
    source = schema.file_name if from_file else f"{schema.name} table"
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{source}: expected a pandas DataFrame, got {type(frame).__name__}")
    frame = frame.reset_index(drop=True)
    names = [str(c) for c in frame.columns]
    for column in schema.columns:
        if column.required and column.name not in names:
            raise DataError(
                f"{source}: missing column {column.name!r} "
                f"(expected columns {', '.join(c.name for c in schema.columns if c.required)})"
            )
    out = frame.copy()
    out.columns = pd.Index(names)
    pids = None
    if "participant_id" in names:
        pids = out["participant_id"].to_numpy(dtype=object, copy=True)
    where = Where(schema.name, from_file, pids)
    for column in schema.columns:
        values = out[column.name] if column.name in names else pd.Series([None] * len(out))
        out[column.name] = parse_column(values, column, where, arms)
    extra = [c for c in names if c not in schema.names]
    return out[list(schema.names) + extra]
