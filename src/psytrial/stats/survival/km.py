"""Kaplan-Meier estimates per arm, with the numbers R's survfit reports.

The estimate and its Greenwood-based confidence limits come from lifelines'
KaplanMeierFitter, whose default interval is the log-log ("exponential Greenwood") interval,
the same as R's `survfit(..., conf.type = "log-log")` (checked against R in
tests/stats/test_survival_km.py). Two conventions are R's and are applied here:

- The limits are undefined (NaN) where the estimate is exactly 1 or 0, since log(-log S) is
  infinite there; R reports NA at those times and lifelines reports the point itself.
- The median is the first time the curve reaches 0.5, except when the curve sits exactly on
  0.5 (to sqrt(machine epsilon)): then it is the midpoint between that time and the time of the
  next drop (or the last follow-up time), as R's quantile.survfit does. With monthly visits
  the curve sits on 0.5 often (13 of 26), so this matters. Limits for the median are the same
  rule applied to the lower and upper curves (Brookmeyer & Crowley 1982, as R).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from lifelines import KaplanMeierFitter

from psytrial.core.errors import DataError
from psytrial.stats.survival._data import FloatArray, SurvivalData, SurvivalInput, as_survival_data

_TOLERANCE = math.sqrt(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class KMAt:
    """The curve read at requested months, as R's `summary(fit, times = months)`.

    survival, lower and upper are the right-continuous step function at each month (1, with
    limits 1, before the first observed time; NaN after the last). n_risk is the number still
    followed at the month (time >= month); n_event counts relapses after the previous requested
    month up to and including this one.
    """

    arm: str
    month: tuple[float, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    n_risk: tuple[int, ...]
    n_event: tuple[int, ...]


@dataclass(frozen=True)
class KMCurve:
    """One arm's Kaplan-Meier curve at every distinct observed time (relapse or censoring)."""

    arm: str
    n: int
    events: int
    conf_level: float
    time: tuple[float, ...]
    n_risk: tuple[int, ...]
    n_event: tuple[int, ...]
    n_censor: tuple[int, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    median: float | None
    median_lower: float | None
    median_upper: float | None

    def at(self, months: Sequence[float]) -> KMAt:
        """The step function at `months` (ascending, >= 0)."""
        m = _months(months)
        time = np.asarray(self.time)
        idx = np.searchsorted(time, m, side="right") - 1
        beyond = m > time[-1]
        return KMAt(
            arm=self.arm,
            month=tuple(float(x) for x in m),
            survival=_read(self.survival, idx, beyond, before=1.0),
            lower=_read(self.lower, idx, beyond, before=1.0),
            upper=_read(self.upper, idx, beyond, before=1.0),
            n_risk=tuple(self._at_risk(x) for x in m),
            n_event=self._events_between(m),
        )

    def _at_risk(self, month: float) -> int:
        time = np.asarray(self.time)
        return int(np.asarray(self.n_risk)[time >= month][0]) if time[-1] >= month else 0

    def _events_between(self, months: FloatArray) -> tuple[int, ...]:
        cum = np.concatenate([[0], np.cumsum(self.n_event)])
        upto = cum[np.searchsorted(np.asarray(self.time), months, side="right")]
        return tuple(int(x) for x in np.diff(np.concatenate([[0], upto])))


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan-Meier curves of every arm, in the declared arm order."""

    curves: tuple[KMCurve, ...]
    conf_level: float

    @property
    def arms(self) -> tuple[str, ...]:
        return tuple(c.arm for c in self.curves)

    def curve(self, arm: str) -> KMCurve:
        for c in self.curves:
            if c.arm == arm:
                return c
        raise DataError(f"arm: expected one of {self.arms}, got {arm!r}")

    def at(self, months: Sequence[float]) -> tuple[KMAt, ...]:
        return tuple(c.at(months) for c in self.curves)


def kaplan_meier(
    data: SurvivalInput, *, arms: Sequence[str] | None = None, conf_level: float = 0.95
) -> KaplanMeier:
    """Kaplan-Meier curve per arm, log-log limits (R: survfit(..., conf.type = "log-log"))."""
    if not 0.0 < conf_level < 1.0:
        raise DataError(f"conf_level: expected a number between 0 and 1, got {conf_level}")
    checked = as_survival_data(data, arms=arms)
    curves = tuple(_curve(checked, arm, conf_level) for arm in checked.arms)
    return KaplanMeier(curves=curves, conf_level=conf_level)


def _curve(data: SurvivalData, arm: str, conf_level: float) -> KMCurve:
    mask = data.mask(arm)
    fitter = KaplanMeierFitter(alpha=1.0 - conf_level)
    fitter.fit(data.time[mask], data.event[mask])
    table = fitter.event_table
    table = table[table["removed"] > 0]
    times = table.index.to_numpy(dtype=np.float64)
    surv = fitter.survival_function_.iloc[:, 0].loc[times].to_numpy(dtype=np.float64)
    limits = fitter.confidence_interval_survival_function_.loc[times].to_numpy(dtype=np.float64)
    undefined = (surv == 1.0) | (surv == 0.0)
    lower = np.where(undefined, np.nan, limits[:, 0])
    upper = np.where(undefined, np.nan, limits[:, 1])
    return KMCurve(
        arm=arm,
        n=int(mask.sum()),
        events=data.events_in(arm),
        conf_level=conf_level,
        time=_floats(times),
        n_risk=_ints(table["at_risk"]),
        n_event=_ints(table["observed"]),
        n_censor=_ints(table["censored"]),
        survival=_floats(surv),
        lower=_floats(lower),
        upper=_floats(upper),
        median=r_quantile_time(times, surv, 0.5),
        median_lower=r_quantile_time(times, lower, 0.5),
        median_upper=r_quantile_time(times, upper, 0.5),
    )


def r_quantile_time(times: FloatArray, surv: FloatArray, p: float) -> float | None:
    """First time the curve's cumulative incidence reaches p, by R's rule (survival:::findq).

    None when the curve never reaches p. NaN entries (undefined limits) are skipped as R's
    approx() skips them. Unlike R, the "never reaches" check also allows the tolerance: lifelines
    and R multiply the same factors in a different order, so a curve R holds at exactly 0.5 can
    come out here as 0.5 + 1e-16.
    """
    x = np.concatenate([[0.0], times])
    y = np.concatenate([[0.0], 1.0 - surv])
    if np.all(np.isnan(y)) or np.nanmax(y) < p - _TOLERANCE:
        return None
    xmax, y_last = x[-1], y[-1]
    keep = _first_of_each_value(y)
    x, y = x[keep], y[keep]
    defined = ~np.isnan(y)
    first = _first_index_at_least(y, defined, p - _TOLERANCE)
    if not math.isnan(y_last) and abs(p - y_last) < _TOLERANCE:
        return float((x[first] + xmax) / 2.0)
    second = _first_index_at_least(y, defined, p + _TOLERANCE)
    return float((x[first] + x[second]) / 2.0)


def _first_of_each_value(y: FloatArray) -> npt.NDArray[np.bool_]:
    """R's !duplicated(y): keep the first occurrence of each value, NaN counting as one value."""
    seen: set[float] = set()
    keep = np.zeros(y.size, dtype=bool)
    for i, value in enumerate(y):
        key = -1.0 if math.isnan(value) else float(value)
        if key not in seen:
            seen.add(key)
            keep[i] = True
    return keep


def _first_index_at_least(y: FloatArray, defined: npt.NDArray[np.bool_], level: float) -> int:
    hits = np.flatnonzero(defined & (np.nan_to_num(y, nan=-np.inf) >= level))
    return int(hits[0])


def _months(months: Sequence[float]) -> FloatArray:
    m = np.asarray(months, dtype=np.float64)
    if m.ndim != 1 or m.size == 0 or not np.all(np.isfinite(m)) or np.any(m < 0):
        raise DataError(f"months: expected finite months >= 0, got {list(months)}")
    if np.any(np.diff(m) <= 0):
        raise DataError(f"months: expected strictly ascending months, got {list(months)}")
    return m


def _read(
    values: tuple[float, ...], idx: np.ndarray, beyond: np.ndarray, *, before: float
) -> tuple[float, ...]:
    arr = np.asarray(values, dtype=np.float64)
    out = np.where(idx < 0, before, arr[np.maximum(idx, 0)])
    return _floats(np.where(beyond, np.nan, out))


def _floats(values: object) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(values, dtype=np.float64))


def _ints(values: object) -> tuple[int, ...]:
    return tuple(int(v) for v in np.asarray(values))
