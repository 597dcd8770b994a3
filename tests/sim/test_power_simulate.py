"""Simulation of many trials at once: shapes, reproducibility and the outcome distribution."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chisquare

from psytrial.core.errors import ScenarioError
from psytrial.sim.power import (
    ArmModel,
    PowerScenario,
    probabilities_from_hazard_pieces,
    simulate_grid,
    simulate_trials,
)
from psytrial.sim.power.simulate import _cell_sampler, _draw_cells

CONTROL = ArmModel.from_hazards([(1, 0.12), (4, 0.08), (13, 0.03)], dropout=0.03)
EXPERIMENTAL = ArmModel.from_monthly([0.05] * 12 + [0.02] * 12, dropout=[0.01] * 6 + [0.05] * 18)
SCENARIO = PowerScenario(CONTROL, EXPERIMENTAL)


def _expected_cells(relapse: list[float], dropout: list[float]) -> np.ndarray:
    """P(outcome cell) written independently: P(relapse at m) = S_r(m-1) h_m S_d(m-1), etc."""
    months = len(relapse)
    out = np.zeros(2 * months)
    for m in range(1, months + 1):
        s_r_before = math.prod(1 - h for h in relapse[: m - 1])
        s_d_before = math.prod(1 - c for c in dropout[: m - 1])
        out[2 * m - 1] = s_r_before * relapse[m - 1] * s_d_before
        seen_free = s_r_before * (1 - relapse[m - 1]) * s_d_before
        out[2 * m - 2] = seen_free if m == months else seen_free * dropout[m - 1]
    return out


def test_it_returns_one_row_per_trial_with_times_in_follow_up() -> None:
    trials = simulate_trials(SCENARIO, (35, 20), 1000, rng=1)
    assert trials.time.shape == trials.event.shape == trials.arm.shape == (1000, 55)
    assert trials.time.min() >= 1 and trials.time.max() <= 24
    assert set(np.unique(trials.event)) <= {0, 1}
    assert trials.n_per_arm == (35, 20) and trials.reps == 1000
    assert (trials.arm[:, :35] == 0).all() and (trials.arm[:, 35:] == 1).all()
    with pytest.raises(ValueError):
        trials.time[0, 0] = 3  # results are read-only


def test_it_is_reproducible_from_a_seed_or_a_generator() -> None:
    a = simulate_trials(SCENARIO, 35, 200, rng=42)
    b = simulate_trials(SCENARIO, 35, 200, rng=np.random.default_rng(42))
    c = simulate_trials(SCENARIO, 35, 200, rng=43)
    assert a.time.tobytes() == b.time.tobytes() and a.event.tobytes() == b.event.tobytes()
    assert a.time.tobytes() != c.time.tobytes()


@pytest.mark.parametrize("arm_index", [0, 1])
def test_it_draws_outcomes_with_the_scenario_probabilities(arm_index: int) -> None:
    arm = SCENARIO.arms[arm_index]
    grid = simulate_grid(SCENARIO, 50, 8000, rng=2024 + arm_index)
    observed = np.empty(48)
    observed[0::2] = grid.censored[arm_index].sum(axis=1)
    observed[1::2] = grid.events[arm_index].sum(axis=1)
    expected = _expected_cells(list(arm.relapse), list(arm.dropout))
    assert expected.sum() == pytest.approx(1.0, abs=1e-12)
    keep = expected > 0
    stat = chisquare(observed[keep], expected[keep] * observed.sum())
    assert stat.pvalue > 1e-3, stat
    # and the arm model's own bookkeeping agrees with the independent formula
    events, censored = arm.cell_probabilities()
    np.testing.assert_allclose(events, expected[1::2], rtol=1e-12)
    np.testing.assert_allclose(censored, expected[0::2], rtol=1e-12)


def test_it_reproduces_the_monthly_relapse_hazard() -> None:
    grid = simulate_grid(SCENARIO, 60, 5000, rng=9)
    hazard = grid.events[0].sum(axis=1) / grid.at_risk[0].sum(axis=1)
    se = np.sqrt(hazard * (1 - hazard) / grid.at_risk[0].sum(axis=1))
    assert (np.abs(hazard - np.array(CONTROL.relapse)) < 4.5 * se).all()


def test_it_finds_the_inverse_cdf_cell_exactly_through_the_lookup_table() -> None:
    cdf, _ = _cell_sampler(CONTROL)
    edges = np.concatenate([cdf[:-1], np.nextafter(cdf[:-1], 0), np.nextafter(cdf[:-1], 1)])
    u = np.concatenate([np.random.default_rng(5).random(200_000), edges, [0.0]])[None, :]
    assert np.array_equal(_draw_cells(CONTROL, u.copy()), np.searchsorted(cdf, u, side="right"))


def test_it_turns_hazard_pieces_into_monthly_probabilities() -> None:
    probs = probabilities_from_hazard_pieces([(1, 0.1), (7, 0.05)], 24)
    assert len(probs) == 24
    assert probs[0] == pytest.approx(1 - math.exp(-0.1), rel=1e-15)
    assert probs[5] == probs[0] and probs[6] == pytest.approx(1 - math.exp(-0.05), rel=1e-15)
    assert set(probs[6:]) == {probs[6]}


def test_it_derives_the_hazard_ratio_and_expected_events() -> None:
    scenario = PowerScenario.from_hazard_pieces([(1, 0.1), (7, 0.05)], [(1, 0.06), (7, 0.03)])
    assert scenario.hazard_ratio() == pytest.approx(0.6, rel=1e-12)
    p0 = 1 - math.exp(-(0.1 * 6 + 0.05 * 18))  # no dropout: relapse by month 24
    p1 = 1 - math.exp(-(0.06 * 6 + 0.03 * 18))
    assert scenario.expected_events(35, 30) == pytest.approx(35 * p0 + 30 * p1, rel=1e-12)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ArmModel.from_monthly([0.1, 1.2]), "between 0 and 1, got 1.2 in month 2"),
        (
            lambda: ArmModel.from_monthly([0.1, 0.2], [0.1]),
            "as many dropout as relapse months \\(2\\), got 1",
        ),
        (lambda: ArmModel.from_hazards([(2, 0.1)]), "start at month 1, got 2"),
        (lambda: ArmModel.from_hazards([(1, 0.1), (1, 0.2)]), "increasing start months"),
        (lambda: ArmModel.from_hazards([(1, -0.1)]), "hazards >= 0"),
        (lambda: simulate_trials(SCENARIO, 0, 10, 1), "positive whole number"),
        (
            lambda: PowerScenario(CONTROL, ArmModel.from_monthly([0.1] * 12)),
            "both arms to have 24 months, got 12",
        ),
    ],
)
def test_it_refuses_malformed_scenarios_with_a_clear_message(build, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScenarioError, match=message):
        build()
