"""The tidy input of the primary analysis: one row per participant (time, event, arm).

Another part of psytrial derives this table from follow-up visits; the survival and binary
analyses only check it and read it. Checking happens once, here, so that every analysis can
trust its input and every malformed table fails with the same one-line DataError.

time is in months from treatment to first confirmed relapse (event = 1) or to the last visit at
which the participant was known to be abstinent (event = 0, censored). arm is the arm id
("high", "low"). Arms are declared in the order the analyses compare them: the first declared
arm is compared with the second (risk difference = first - second), and an arm that is
declared but has nobody in it is an error, not a silently missing row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from psytrial.core.errors import DataError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class SurvivalData:
    """Checked participant-level survival data (read-only arrays of equal length)."""

    time: FloatArray
    event: IntArray
    arm: npt.NDArray[np.str_]
    arms: tuple[str, ...]

    @classmethod
    def from_arrays(
        cls,
        time: Sequence[float] | npt.ArrayLike,
        event: Sequence[int] | npt.ArrayLike,
        arm: Sequence[str] | npt.ArrayLike,
        *,
        arms: Sequence[str] | None = None,
    ) -> SurvivalData:
        """Check and wrap three equal-length arrays; `arms` fixes their order (default sorted)."""
        t = _times(time)
        e = _events(event, len(t))
        a = _arm_ids(arm, len(t))
        declared = _declared_arms(a, arms)
        for array in (t, e, a):
            array.flags.writeable = False
        return cls(time=t, event=e, arm=a, arms=declared)

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        time: str = "time",
        event: str = "event",
        arm: str = "arm",
        arms: Sequence[str] | None = None,
    ) -> SurvivalData:
        """Read the named columns of a DataFrame (one row per participant)."""
        missing = [c for c in (time, event, arm) if c not in frame.columns]
        if missing:
            raise DataError(
                f"survival table: expected columns {time!r}, {event!r}, {arm!r}, "
                f"got {list(map(str, frame.columns))}"
            )
        return cls.from_arrays(
            frame[time].to_numpy(), frame[event].to_numpy(), frame[arm].to_numpy(), arms=arms
        )

    @property
    def n(self) -> int:
        return int(self.time.size)

    def mask(self, arm: str) -> npt.NDArray[np.bool_]:
        """Which rows belong to `arm`."""
        return np.asarray(self.arm == arm)

    def events_in(self, arm: str) -> int:
        return int(self.event[self.mask(arm)].sum())


SurvivalInput = SurvivalData | pd.DataFrame


def as_survival_data(data: SurvivalInput, *, arms: Sequence[str] | None = None) -> SurvivalData:
    """Accept checked data as is, or check a DataFrame with columns time, event and arm."""
    if isinstance(data, SurvivalData):
        if arms is not None and tuple(arms) != data.arms:
            return SurvivalData.from_arrays(data.time, data.event, data.arm, arms=arms)
        return data
    if isinstance(data, pd.DataFrame):
        return SurvivalData.from_frame(data, arms=arms)
    raise DataError(f"survival data: expected SurvivalData or a DataFrame, got {type(data)}")


def require_arms(data: SurvivalData, count: int, analysis: str) -> None:
    """Refuse an analysis that compares exactly `count` arms when the data have another number."""
    if len(data.arms) != count:
        raise DataError(f"{analysis}: expected {count} arms, got {len(data.arms)} {data.arms}")


def _times(values: Any) -> FloatArray:
    try:
        t = np.asarray(values, dtype=np.float64).copy()
    except (TypeError, ValueError) as exc:
        raise DataError(f"time: expected numbers of months, got {exc}") from None
    if t.ndim != 1 or t.size == 0:
        raise DataError(f"time: expected a non-empty 1-d array, got shape {t.shape}")
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"time[{i}]: expected a finite number of months >= 0, got {t[i]}")
    return t


def _events(values: Any, n: int) -> IntArray:
    raw = np.asarray(values)
    if raw.shape != (n,):
        raise DataError(f"event: expected {n} values like time, got shape {raw.shape}")
    try:
        as_float = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError("event: expected 0 (censored) or 1 (relapse), got non-numbers") from None
    bad = ~np.isin(as_float, (0.0, 1.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"event[{i}]: expected 0 (censored) or 1 (relapse), got {raw[i]!r}")
    return as_float.astype(np.int64)


def _arm_ids(values: Any, n: int) -> npt.NDArray[np.str_]:
    raw = np.asarray(values, dtype=object)
    if raw.shape != (n,):
        raise DataError(f"arm: expected {n} arm ids like time, got shape {raw.shape}")
    for i, value in enumerate(raw):
        if not isinstance(value, str) or not value:
            raise DataError(f"arm[{i}]: expected a non-empty arm id, got {value!r}")
    return raw.astype(np.str_)


def _declared_arms(arm: npt.NDArray[np.str_], arms: Sequence[str] | None) -> tuple[str, ...]:
    present = sorted(set(arm.tolist()))
    if arms is None:
        return tuple(present)
    declared = tuple(arms)
    if len(set(declared)) != len(declared):
        raise DataError(f"arms: expected distinct arm ids, got {declared}")
    unknown = [a for a in present if a not in declared]
    if unknown:
        raise DataError(f"arm: expected one of {declared}, got {unknown[0]!r}")
    empty = [a for a in declared if a not in present]
    if empty:
        raise DataError(f"arm {empty[0]!r}: expected at least one participant, got 0")
    return declared
