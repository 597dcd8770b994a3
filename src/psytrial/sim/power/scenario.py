"""The power engine's scenario: what happens, month by month, to a virtual participant of each arm.

A scenario fixes, per arm, the probability of relapse in each month of follow-up (given no
relapse so far) and the probability of dropping out after each monthly visit. Everything the
engine reports (simulated trials, analytic event probabilities, the hazard ratio fed to the
Schoenfeld and Freedman formulas) is derived from these two arrays per arm, so they are the
single source of truth.

Timing convention (ASSUMPTION, not published for the reference trial): participants are seen
at visits 1..M (M = 24 months by default). Relapse during month m is detected at visit m. A
participant who is relapse-free at visit m may drop out after that visit with the dropout
probability of month m; they are then censored at month m (last seen relapse-free at m). A
participant seen relapse-free at visit M is censored at M. So every time is in 1..M, and a
censoring at m means "known relapse-free at visit m", which is why censored participants are
counted at risk at m, exactly as R's survdiff and survfit do.

Arm 0 is the control ("low" dose in the reference trial) and arm 1 the experimental arm
("high"); hazard ratios are experimental over control.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from psytrial.core.errors import ScenarioError

DEFAULT_MONTHS = 24

FloatArray = NDArray[np.float64]


def _check_probabilities(name: str, values: Sequence[float]) -> tuple[float, ...]:
    out = tuple(float(v) for v in values)
    if not out:
        raise ScenarioError(f"{name}: expected at least one monthly probability, got none")
    for month, p in enumerate(out, start=1):
        if not 0.0 <= p <= 1.0 or p != p:
            raise ScenarioError(
                f"{name}: expected probabilities between 0 and 1, got {p} in month {month}"
            )
    return out


def _cdf(monthly: tuple[float, ...]) -> FloatArray:
    """P(first occurrence at or before month m) from conditional monthly probabilities."""
    out: FloatArray = -np.expm1(np.cumsum(np.log1p(-np.asarray(monthly, dtype=np.float64))))
    return out


def probabilities_from_hazard_pieces(
    pieces: Sequence[tuple[int, float]], n_months: int = DEFAULT_MONTHS
) -> tuple[float, ...]:
    """Monthly relapse probabilities from piecewise-constant hazards per month.

    `pieces` is a sequence of (from_month, hazard_per_month): the hazard (events per
    person-month, a continuous-time rate) holds from `from_month` until the next piece starts.
    The first piece must start at month 1. The probability of relapse in month m given none
    before is 1 - exp(-hazard_m), since relapse is only detected at the monthly visit.
    """
    if not pieces or pieces[0][0] != 1:
        got = pieces[0][0] if pieces else "no pieces"
        raise ScenarioError(
            f"hazard pieces: expected the first piece to start at month 1, got {got}"
        )
    starts = [int(p[0]) for p in pieces]
    if any(b <= a for a, b in itertools.pairwise(starts)):
        raise ScenarioError(f"hazard pieces: expected increasing start months, got {starts}")
    if starts[-1] > n_months:
        raise ScenarioError(
            f"hazard pieces: expected start months within 1..{n_months}, got {starts[-1]}"
        )
    hazards = np.empty(n_months, dtype=np.float64)
    bounds = [*starts, n_months + 1]
    for (start, rate), stop in zip(pieces, bounds[1:], strict=True):
        if not float(rate) >= 0.0:
            raise ScenarioError(
                f"hazard pieces: expected hazards >= 0, got {rate} from month {start}"
            )
        hazards[start - 1 : stop - 1] = float(rate)
    return tuple(float(p) for p in -np.expm1(-hazards))


@dataclass(frozen=True)
class ArmModel:
    """One arm: monthly relapse probabilities and monthly dropout probabilities (length M)."""

    relapse: tuple[float, ...]
    dropout: tuple[float, ...]

    def __post_init__(self) -> None:
        relapse = _check_probabilities("relapse", self.relapse)
        dropout = _check_probabilities("dropout", self.dropout)
        if len(relapse) != len(dropout):
            raise ScenarioError(
                f"arm: expected as many dropout as relapse months ({len(relapse)}), "
                f"got {len(dropout)}"
            )
        object.__setattr__(self, "relapse", relapse)
        object.__setattr__(self, "dropout", dropout)

    @classmethod
    def from_monthly(
        cls, relapse: Sequence[float], dropout: float | Sequence[float] = 0.0
    ) -> ArmModel:
        """An arm from per-month relapse probabilities and a dropout probability per month."""
        n = len(relapse)
        drop = [float(dropout)] * n if isinstance(dropout, int | float) else list(dropout)
        return cls(tuple(relapse), tuple(drop))

    @classmethod
    def from_hazards(
        cls,
        pieces: Sequence[tuple[int, float]],
        dropout: float | Sequence[float] = 0.0,
        n_months: int = DEFAULT_MONTHS,
    ) -> ArmModel:
        """An arm from piecewise-constant monthly hazards (probabilities_from_hazard_pieces)."""
        return cls.from_monthly(probabilities_from_hazard_pieces(pieces, n_months), dropout)

    @property
    def n_months(self) -> int:
        return len(self.relapse)

    def relapse_cdf(self) -> FloatArray:
        """P(relapse at or before month m, with no dropout), m = 1..M."""
        return _cdf(self.relapse)

    def dropout_cdf(self) -> FloatArray:
        """P(dropout after visit m or earlier, ignoring relapse), m = 1..M."""
        return _cdf(self.dropout)

    def cell_probabilities(self) -> tuple[FloatArray, FloatArray]:
        """(P(relapse observed at month m), P(censored at month m)), m = 1..M; they sum to 1.

        Computed by following the at-risk fraction month by month, independently of the
        inverse-CDF sampler, so tests can use it to check the simulation.
        """
        at_risk = 1.0
        events = np.zeros(self.n_months)
        censored = np.zeros(self.n_months)
        for m, (h, c) in enumerate(zip(self.relapse, self.dropout, strict=True)):
            events[m] = at_risk * h
            stay = at_risk * (1.0 - h)
            censored[m] = stay if m == self.n_months - 1 else stay * c
            at_risk = stay * (1.0 - c)
        return events, censored

    def event_probability(self) -> float:
        """P(a participant's relapse is observed during follow-up)."""
        return float(self.cell_probabilities()[0].sum())

    def cumulative_hazard(self) -> float:
        """Continuous-time cumulative hazard over follow-up, sum of -log(1 - p_m)."""
        return float(-np.log1p(-np.asarray(self.relapse)).sum())


@dataclass(frozen=True)
class PowerScenario:
    """Two arms to compare; arm 0 is the control, arm 1 the experimental arm."""

    control: ArmModel
    experimental: ArmModel
    labels: tuple[str, str] = ("low", "high")

    def __post_init__(self) -> None:
        if self.control.n_months != self.experimental.n_months:
            raise ScenarioError(
                f"scenario: expected both arms to have {self.control.n_months} months, "
                f"got {self.experimental.n_months}"
            )

    @classmethod
    def from_hazard_pieces(
        cls,
        control: Sequence[tuple[int, float]],
        experimental: Sequence[tuple[int, float]],
        dropout: float | Sequence[float] = 0.0,
        n_months: int = DEFAULT_MONTHS,
        labels: tuple[str, str] = ("low", "high"),
    ) -> PowerScenario:
        """Both arms from (from_month, hazard per person-month) pieces, as in scenario files."""
        return cls(
            ArmModel.from_hazards(control, dropout, n_months),
            ArmModel.from_hazards(experimental, dropout, n_months),
            labels,
        )

    @property
    def n_months(self) -> int:
        return self.control.n_months

    @property
    def arms(self) -> tuple[ArmModel, ArmModel]:
        return (self.control, self.experimental)

    def hazard_ratio(self) -> float:
        """Experimental over control hazard ratio used by the formulas.

        Under proportional hazards (one ratio in every month) this is that ratio exactly.
        ASSUMPTION: when hazards are not proportional, the ratio of cumulative hazards over
        follow-up is used as the single summary the formulas need.
        """
        h0 = self.control.cumulative_hazard()
        h1 = self.experimental.cumulative_hazard()
        if h0 <= 0.0:
            raise ScenarioError("scenario: expected a control relapse hazard above 0, got 0")
        return h1 / h0

    def expected_events(self, n_control: int, n_experimental: int) -> float:
        """Expected number of observed relapses in a trial of this size."""
        return n_control * self.control.event_probability() + (
            n_experimental * self.experimental.event_probability()
        )
