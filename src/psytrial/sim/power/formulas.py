"""Closed-form events, sample size and power for the two-sided log-rank test.

Two classical approximations (formulas and references in docs/methods-power.md):

- Schoenfeld (1981, Biometrika 68:316-319): the log-rank statistic is approximately normal
  with mean sqrt(D pi (1 - pi)) log(HR), so
  D = (z_{1-alpha/2} + z_{1-beta})^2 / (pi (1 - pi) log(HR)^2).
- Freedman (1982, Statistics in Medicine 1:121-129): from the expected share of relapses in
  each arm with the at-risk ratio held at the allocation ratio k = n1 / n0,
  D = (z_{1-alpha/2} + z_{1-beta})^2 (1 + k HR)^2 / (k (1 - HR)^2).

D is the total number of events; the sample size is D divided by the probability that a
participant's event is observed. HR is experimental over control; `allocation` is the
fraction of participants in the experimental arm (pi above, k = pi / (1 - pi)).

Power counts both rejection tails, Phi(mu - z) + Phi(-mu - z) with mu = sqrt(D) times the
effect per event: the papers and Stata's `power logrank` drop the far tail, which changes the
power by less than 1e-6 once it exceeds 0.5, and keeping it makes the power under no effect
(HR = 1) exactly alpha. The events and sample-size formulas are the papers' (near tail only).
"""

from __future__ import annotations

import math
from typing import Literal

from scipy.special import ndtr, ndtri

from psytrial.core.errors import ScenarioError

Method = Literal["schoenfeld", "freedman"]


def _check(hr: float, alpha: float, allocation: float) -> None:
    if not (hr > 0.0 and math.isfinite(hr)):
        raise ScenarioError(f"hazard ratio: expected a positive number, got {hr}")
    if not 0.0 < alpha < 1.0:
        raise ScenarioError(f"alpha: expected a number between 0 and 1, got {alpha}")
    if not 0.0 < allocation < 1.0:
        raise ScenarioError(f"allocation: expected a fraction between 0 and 1, got {allocation}")


def _effect_per_event(method: Method, hr: float, allocation: float) -> float:
    """|mean of the standardized statistic| / sqrt(D) under the alternative."""
    if method == "schoenfeld":
        return math.sqrt(allocation * (1.0 - allocation)) * abs(math.log(hr))
    if method == "freedman":
        k = allocation / (1.0 - allocation)
        return math.sqrt(k) * abs(1.0 - hr) / (1.0 + k * hr)
    raise ScenarioError(f"method: expected 'schoenfeld' or 'freedman', got {method!r}")


def required_events(
    method: Method, hr: float, alpha: float = 0.05, power: float = 0.8, allocation: float = 0.5
) -> float:
    """Total events D needed (not rounded) for `power` at two-sided level `alpha`."""
    _check(hr, alpha, allocation)
    if hr == 1.0:
        raise ScenarioError("hazard ratio: expected a number other than 1, got 1")
    if not 0.0 < power < 1.0:
        raise ScenarioError(f"power: expected a number between 0 and 1, got {power}")
    z = float(ndtri(1.0 - alpha / 2.0) + ndtri(power))
    return (z / _effect_per_event(method, hr, allocation)) ** 2


def logrank_power(
    method: Method, events: float, hr: float, alpha: float = 0.05, allocation: float = 0.5
) -> float:
    """Approximate power of the two-sided log-rank test with `events` total events."""
    _check(hr, alpha, allocation)
    if events < 0.0:
        raise ScenarioError(f"events: expected a number >= 0, got {events}")
    mean = math.sqrt(events) * _effect_per_event(method, hr, allocation)
    z = float(ndtri(1.0 - alpha / 2.0))
    return float(ndtr(mean - z) + ndtr(-mean - z))


def required_sample_size(
    method: Method,
    hr: float,
    event_probability: float,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation: float = 0.5,
) -> int:
    """Total participants: events needed over the probability an event is observed, rounded up."""
    if not 0.0 < event_probability <= 1.0:
        raise ScenarioError(
            f"event probability: expected a number in (0, 1], got {event_probability}"
        )
    events = required_events(method, hr, alpha, power, allocation)
    return math.ceil(events / event_probability - 1e-9)
