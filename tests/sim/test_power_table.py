"""Power tables: empirical power against the formulas, intervals, progress and the figure."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from psytrial.core.errors import ScenarioError
from psytrial.sim.power import (
    ArmModel,
    PowerScenario,
    power_curve_svg,
    power_table,
    wilson_interval,
)


def _constant(h0: float, hr: float, dropout: float) -> PowerScenario:
    return PowerScenario(
        ArmModel.from_hazards([(1, h0)], dropout), ArmModel.from_hazards([(1, h0 * hr)], dropout)
    )


KPT_LIKE = PowerScenario(
    ArmModel.from_hazards([(1, 0.12), (7, 0.06)], dropout=0.02),
    ArmModel.from_hazards([(1, 0.07), (7, 0.035)], dropout=0.02),
)


def _mc_se(p: float, reps: int) -> float:
    return math.sqrt(p * (1 - p) / reps)


def test_it_agrees_with_freedman_for_a_modest_effect_in_a_large_trial() -> None:
    # HR 0.8, 300 per arm (about 330 expected relapses). Freedman holds the at-risk ratio at
    # the allocation ratio, which is accurate when HR is near 1 (docs/methods-power.md).
    result = power_table(_constant(0.05, 0.8, 0.02), [300], reps=20_000, seed=81)
    row = result.rows[0]
    se = _mc_se(row.freedman_power, row.reps)
    assert 0.4 < row.logrank_power < 0.7
    assert abs(row.logrank_power - row.freedman_power) <= 3 * se, row


def test_it_agrees_with_schoenfeld_for_a_larger_effect() -> None:
    result = power_table(_constant(0.08, 0.7, 0.02), [150], reps=20_000, seed=82)
    row = result.rows[0]
    assert abs(row.logrank_power - row.schoenfeld_power) <= 3 * _mc_se(
        row.schoenfeld_power, row.reps
    )


def test_it_reports_means_events_and_formula_size_under_no_effect() -> None:
    result = power_table(_constant(0.06, 1.0, 0.03), [35, (20, 50)], reps=20_000, seed=83)
    for row in result.rows:
        assert row.freedman_power == pytest.approx(0.05) and row.schoenfeld_power == pytest.approx(
            0.05
        )
        assert row.logrank_ci95[0] < row.logrank_power < row.logrank_ci95[1]
        # mean relapses per trial within Monte Carlo error of the scenario's expectation
        n = sum(row.n_per_arm)
        p = row.expected_events / n
        assert abs(row.mean_events - row.expected_events) < 4 * math.sqrt(
            n * p * (1 - p) / row.reps
        )
    assert result.rows[1].n_per_arm == (20, 50)
    assert result.hazard_ratio == pytest.approx(1.0)


def test_it_is_reproducible_from_its_seed() -> None:
    a = power_table(KPT_LIKE, [20, 35], reps=3000, seed=5, chunk_size=1000)
    b = power_table(KPT_LIKE, [20, 35], reps=3000, seed=5, chunk_size=1000)
    c = power_table(KPT_LIKE, [20, 35], reps=3000, seed=6, chunk_size=1000)
    assert a == b and a.rows != c.rows


def test_it_calls_progress_after_every_chunk() -> None:
    calls: list[tuple[int, int]] = []
    power_table(
        KPT_LIKE,
        [20, 35],
        reps=2500,
        seed=1,
        chunk_size=1000,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls == [
        (1000, 5000),
        (2000, 5000),
        (2500, 5000),
        (3500, 5000),
        (4500, 5000),
        (5000, 5000),
    ]


def test_it_computes_wilson_intervals_like_statsmodels() -> None:
    for k, n in [(0, 50), (3, 50), (25, 50), (50, 50), (5200, 100_000), (1, 1)]:
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert wilson_interval(k, n) == pytest.approx((lo, hi), rel=1e-12, abs=1e-15)


def test_it_serializes_to_json() -> None:
    result = power_table(KPT_LIKE, [35], reps=500, seed=2)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["rows"][0]["n_per_arm"] == [35, 35]
    assert data["scenario"]["labels"] == ["low", "high"]
    assert data["fisher_month"] == 24 and data["lost"] == "relapsed"


def test_it_draws_a_self_contained_reproducible_svg() -> None:
    result = power_table(KPT_LIKE, [20, 35, 50], reps=500, seed=3)
    svg = power_curve_svg(result)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for forbidden in ("<!DOCTYPE", "<?xml", "<script", "<metadata", "url(http", "@import"):
        assert forbidden not in svg
    urls = set(re.findall(r"https?://[^\"'\s)]+", svg))
    assert urls == {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert svg == power_curve_svg(result)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_per_arm_list": [35], "reps": 0}, "reps"),
        ({"n_per_arm_list": [], "reps": 10}, "at least one sample size"),
        ({"n_per_arm_list": [35], "reps": 10, "alpha": 0.0}, "alpha"),
        ({"n_per_arm_list": [(35, 0)], "reps": 10}, "positive whole number"),
        ({"n_per_arm_list": [35], "reps": 10, "fisher_month": 30}, "fisher month"),
    ],
)
def test_it_refuses_bad_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        power_table(KPT_LIKE, **kwargs)  # type: ignore[arg-type]


def test_it_keeps_memory_bounded_for_large_trials() -> None:
    # 1,500 per arm: even when asked for more, a chunk holds at most 2 million participants.
    calls: list[int] = []
    power_table(
        KPT_LIKE, [1500], reps=1500, seed=4, chunk_size=10**6, progress=lambda d, t: calls.append(d)
    )
    assert calls == [666, 1332, 1500]
    assert np.diff([0, *calls]).max() * 3000 <= 2_000_000
