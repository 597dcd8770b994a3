"""Hand-built participants and follow-up rows for the stats tests, in a compact notation.

A follow-up history is a string with one character per month, starting at month 1:

    .  attended, verified abstinent: self-report no, urine negative, collateral no
    a  attended, abstinent by self-report, urine not done, collateral unknown
    u  attended, self-reported use (urine positive too)
    c  attended, use reported by a collateral only (self-report no, urine negative)
    p  attended, urine positive while the self-report says no
    ?  attended, nothing recorded (all assessment cells empty)
    m  missed (a row with status missed)
    _  no row at all for that month
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from psytrial.stats.tables import TrialTables, empty_frame, validate

DATA = Path(__file__).parent / "data"
SMALL_TRIAL = DATA / "small_trial"
ARMS = ("high", "low")

CODES: dict[str, tuple[str, str, str]] = {
    ".": ("no", "negative", "no"),
    "a": ("no", "not_done", "unknown"),
    "u": ("yes", "positive", "unknown"),
    "c": ("no", "negative", "yes"),
    "p": ("no", "positive", "no"),
    "?": ("", "", ""),
}


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + year, month + 1, min(day.day, 28))


def participant(pid: str, arm: str = "high", status: str = "completed", **extra: Any) -> dict:
    row: dict[str, Any] = {
        "participant_id": pid,
        "site": "spb",
        "stratum": "",
        "arm": arm,
        "randomized_at": dt.date(2001, 1, 10),
        "sex": "male",
        "age": 30,
        "weight_kg": 70.0,
        "years_heroin_use": 5.0,
        "status": status,
    }
    row.update(extra)
    return row


def history(pid: str, codes: str, randomized: dt.date = dt.date(2001, 1, 10)) -> list[dict]:
    rows = []
    for month, code in enumerate(codes, start=1):
        if code == "_":
            continue
        if code == "m":
            rows.append(_row(pid, month, None, "missed", ("", "", "")))
        else:
            rows.append(_row(pid, month, add_months(randomized, month), "attended", CODES[code]))
    return rows


def _row(pid: str, month: int, day: dt.date | None, status: str, codes: Sequence[str]) -> dict:
    use, urine, collateral = codes
    return {
        "participant_id": pid,
        "month": month,
        "visit_date": day,
        "status": status,
        "heroin_use": use,
        "urine": urine,
        "collateral": collateral,
        "abstinent": "",
    }


def build(
    people: Sequence[dict], visits: Sequence[dict], arms: Sequence[str] = ARMS
) -> TrialTables:
    frames = {name: empty_frame(name) for name in ("scores", "adverse_events", "blinding_guesses")}
    frames["screening"] = empty_frame("screening")
    frames["participants"] = pd.DataFrame(people)
    frames["followup"] = pd.DataFrame(visits) if visits else empty_frame("followup")
    return validate(frames, arms)
