"""Rules over whole rows and across tables, run once every cell has been parsed.

Cell checks (types, allowed values, arms) live in `tables_cells`; here are the rules that
need more than one cell: unique keys, a follow-up visit not dated before randomization,
attended visits carrying a date and missed ones carrying no data, every child row pointing
at a randomized participant, and the screening log agreeing with the participants table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from psytrial.core.errors import DataError
from psytrial.stats.tables_cells import Where
from psytrial.stats.tables_schema import SCHEMAS, TABLE_NAMES

CHILD_TABLES = ("followup", "scores", "adverse_events", "blinding_guesses")
ASSESSMENTS = ("heroin_use", "urine", "collateral", "abstinent")


def check_rules(tables: Mapping[str, pd.DataFrame], from_file: bool) -> None:
    """Raise DataError at the first broken rule; tables are already parsed."""
    where = {name: _where(name, tables[name], from_file) for name in TABLE_NAMES}
    for name in TABLE_NAMES:
        _check_key(tables[name], name, where[name])
    _check_participants(tables["participants"], where["participants"])
    known = set(tables["participants"]["participant_id"])
    for name in CHILD_TABLES:
        _check_known(tables[name], known, where[name])
    _check_followup(tables["followup"], tables["participants"], where["followup"])
    _check_screening(tables["screening"], tables["participants"], where["screening"])


def _where(name: str, frame: pd.DataFrame, from_file: bool) -> Where:
    pids = (
        frame["participant_id"].to_numpy(dtype=object)
        if "participant_id" in frame.columns
        else None
    )
    return Where(name, from_file, pids)


def _first(mask: pd.Series | np.ndarray) -> int | None:
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(hits[0]) if len(hits) else None


def _check_key(frame: pd.DataFrame, name: str, where: Where) -> None:
    key = list(SCHEMAS[name].key)
    if not key or frame.empty:
        return
    position = _first(frame.duplicated(subset=key, keep="first"))
    if position is None:
        return
    row = frame.iloc[position]
    same = (frame[key] == row[key]).all(axis=1)
    earlier = _first(same)
    shown = ", ".join(f"{k} {_show(row[k])}" for k in key)
    raise DataError(
        f"{where.row(position)}: duplicate {shown} (expected one row per {'/'.join(key)}, "
        f"first at row {(earlier or 0) + 1})"
    )


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return _day(value)
    return str(value) if str(value) else "(empty)"


def _day(value: object) -> str:
    return pd.Timestamp(str(value)).strftime("%Y-%m-%d")


def _check_participants(frame: pd.DataFrame, where: Where) -> None:
    position = _first((frame["ended_at"] < frame["randomized_at"]).fillna(False))
    if position is not None:
        row = frame.iloc[position]
        raise DataError(
            f"{where.row(position)}: expected ended_at on or after randomization "
            f"({_day(row['randomized_at'])}), got {_day(row['ended_at'])}"
        )


def _check_known(frame: pd.DataFrame, known: set[str], where: Where) -> None:
    position = _first(~frame["participant_id"].isin(known))
    if position is not None:
        pid = frame["participant_id"].iloc[position]
        raise DataError(
            f"{where.source} row {position + 1}: unknown participant {pid!r} "
            "(expected an id from the participants table)"
        )


def _check_followup(followup: pd.DataFrame, participants: pd.DataFrame, where: Where) -> None:
    attended = followup["status"] == "attended"
    position = _first(attended & followup["visit_date"].isna())
    if position is not None:
        raise DataError(
            f"{where.row(position)}, column visit_date: expected the date of an attended "
            "visit, got an empty cell"
        )
    for column in ("visit_date", *ASSESSMENTS):
        position = _first(~attended & _filled(followup[column]))
        if position is not None:
            raise DataError(
                f"{where.row(position)}, column {column}: expected an empty cell for a "
                f"missed visit, got {_show(followup[column].iloc[position])!r}"
            )
    randomized = followup["participant_id"].map(
        participants.set_index("participant_id")["randomized_at"]
    )
    position = _first((followup["visit_date"] < randomized).fillna(False))
    if position is not None:
        row = followup.iloc[position]
        raise DataError(
            f"{where.row(position)}: month {row['month']} visit dated {_day(row['visit_date'])}, expected on or after randomization "
            f"({_day(randomized.iloc[position])})"
        )


def _filled(values: pd.Series) -> pd.Series:
    if values.dtype == object:
        return values != ""
    return values.notna()


def _check_screening(screening: pd.DataFrame, participants: pd.DataFrame, where: Where) -> None:
    linked = screening["participant_id"] != ""
    known = set(participants["participant_id"])
    position = _first(linked & ~screening["participant_id"].isin(known))
    if position is not None:
        pid = screening["participant_id"].iloc[position]
        raise DataError(
            f"{where.source} row {position + 1}: unknown participant {pid!r} "
            "(expected an id from the participants table, or empty if not randomized)"
        )
    for column in ("eligible", "consented"):
        position = _first(linked & (screening[column] != "yes"))
        if position is not None:
            raise DataError(
                f"{where.row(position)}, column {column}: expected yes for a randomized "
                f"person, got {_show(screening[column].iloc[position])!r}"
            )
    position = _first(linked & screening.duplicated(subset=["participant_id"], keep="first"))
    if position is not None:
        raise DataError(
            f"{where.row(position)}: expected one screening row per participant, got a second"
        )
    if not screening.empty:
        missing = sorted(known - set(screening["participant_id"]))
        if missing:
            raise DataError(
                f"{where.source}: expected a screening row for every participant, "
                f"got none for {missing[0]}"
            )
