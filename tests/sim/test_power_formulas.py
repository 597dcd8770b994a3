"""Schoenfeld and Freedman log-rank formulas against R and a published example.

R reference: tests/sim/reference/formulas.R (formulas from the papers, coded in R) wrote
formulas_r.csv. Published example: the R package factorial2x2 (Leifer and Troendle),
documentation of lgrkPower, which codes Schoenfeld (1981, p. 317):
    lgrkPower(hr = 0.5, nevent = 98, alpha = 0.05, rprob = 0.5)$power  # 0.9293463
(that package counts only the efficacy tail; the far tail adds about 3e-8 here).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from psytrial.core.errors import ScenarioError
from psytrial.sim.power import logrank_power, required_events, required_sample_size

REFERENCE = Path(__file__).parent / "reference" / "formulas_r.csv"


def _rows() -> list[dict[str, float]]:
    with REFERENCE.open() as fh:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(fh)]


def test_it_matches_the_r_implementation_of_both_formulas() -> None:
    rows = _rows()
    assert len(rows) == 56
    for r in rows:
        args = {"hr": r["hr"], "alpha": r["alpha"], "allocation": r["p"]}
        for method in ("schoenfeld", "freedman"):
            events = required_events(method, power=r["power"], **args)  # type: ignore[arg-type]
            assert events == pytest.approx(r[f"{method}_events"], rel=1e-12), (method, r)
            power = logrank_power(method, 60, **args)  # type: ignore[arg-type]
            assert power == pytest.approx(r[f"{method}_power60"], rel=1e-12), (method, r)


def test_it_reproduces_the_published_schoenfeld_power_example() -> None:
    assert logrank_power("schoenfeld", 98, 0.5, 0.05, 0.5) == pytest.approx(0.9293463, abs=5e-8)


def test_it_inverts_events_into_the_requested_power() -> None:
    for method in ("schoenfeld", "freedman"):
        for hr in (0.5, 0.7, 1.4):
            d = required_events(method, hr, 0.05, 0.85, 0.4)  # type: ignore[arg-type]
            assert logrank_power(method, d, hr, 0.05, 0.4) == pytest.approx(0.85, abs=1e-6)  # type: ignore[arg-type]


def test_it_gives_alpha_as_the_power_under_no_effect() -> None:
    assert logrank_power("freedman", 50, 1.0, 0.05) == pytest.approx(0.05, rel=1e-12)
    assert logrank_power("schoenfeld", 50, 1.0, 0.01) == pytest.approx(0.01, rel=1e-12)


def test_it_agrees_between_methods_near_hr_one_and_freedman_asks_more_far_from_it() -> None:
    near = required_events("freedman", 0.98) / required_events("schoenfeld", 0.98)
    assert near == pytest.approx(1.0, abs=1e-3)
    assert required_events("freedman", 0.5) > required_events("schoenfeld", 0.5)


def test_it_rounds_the_sample_size_up_from_the_event_probability() -> None:
    d = required_events("schoenfeld", 0.6, 0.05, 0.8)
    n = required_sample_size("schoenfeld", 0.6, 0.7, 0.05, 0.8)
    assert n == math.ceil(d / 0.7) and (n - 1) * 0.7 < d


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: required_events("schoenfeld", 1.0), "other than 1, got 1"),
        (lambda: required_events("schoenfeld", -0.5), "positive number, got -0.5"),
        (lambda: required_events("freedman", 0.5, alpha=1.5), "alpha"),
        (lambda: required_events("freedman", 0.5, allocation=1.0), "allocation"),
        (lambda: required_events("lakatos", 0.5), "'schoenfeld' or 'freedman'"),  # type: ignore[arg-type]
        (lambda: required_sample_size("freedman", 0.5, 0.0), "event probability"),
    ],
)
def test_it_refuses_impossible_inputs(call, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScenarioError, match=message):
        call()
