"""The vectorized log-rank test against R's survdiff, statsmodels and lifelines, trial by trial.

R reference: tests/sim/reference/logrank.R run on logrank_trials.csv (written by
make_logrank_data.py) gave logrank_r.csv, i.e. for each trial
    survdiff(Surv(time, status) ~ arm, data = d, rho = 0)
with R 4.2.2 and survival 3.5.3. The Python libraries are run on freshly simulated monthly
(heavily tied) trials.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from lifelines.statistics import logrank_test
from statsmodels.duration.survfunc import survdiff

from psytrial.core.errors import ScenarioError
from psytrial.sim.power import (
    ArmModel,
    PowerScenario,
    count_grid,
    logrank_from_grid,
    logrank_test_vec,
    simulate_grid,
    simulate_trials,
)

REFERENCE = Path(__file__).parent / "reference"
RTOL = 1e-9
ATOL = 1e-12  # for statistics that are 0 up to rounding


def _scenario(h0: float, h1: float, dropout: float, months: int = 24) -> PowerScenario:
    return PowerScenario(
        ArmModel.from_hazards([(1, h0), (min(7, months), h0 / 2)], dropout, months),
        ArmModel.from_hazards([(1, h1), (min(7, months), h1 / 2)], dropout, months),
    )


def _reference_trials() -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rows: dict[int, list[tuple[int, int, int]]] = {}
    with (REFERENCE / "logrank_trials.csv").open() as fh:
        for r in csv.DictReader(fh):
            rows.setdefault(int(r["trial"]), []).append(
                (int(r["time"]), int(r["status"]), int(r["arm"]))
            )
    return {
        k: tuple(np.array(col)[None, :] for col in zip(*v, strict=True)) for k, v in rows.items()
    }  # type: ignore[misc]


def _r_values() -> dict[int, dict[str, float]]:
    with (REFERENCE / "logrank_r.csv").open() as fh:
        return {
            int(r["trial"]): {k: float("nan") if v == "NA" else float(v) for k, v in r.items()}
            for r in csv.DictReader(fh)
        }


def test_it_matches_r_survdiff_on_the_committed_trials() -> None:
    trials, expected = _reference_trials(), _r_values()
    assert sorted(trials) == sorted(expected) and len(trials) == 12
    for k, (time, event, arm) in trials.items():
        got = logrank_test_vec(time, event, arm)
        ref = expected[k]
        if math.isnan(ref["chisq"]):
            # R stops with "system is exactly singular" (everyone at risk relapsed at once):
            # by our documented rule the trial has chi2 0 and p 1.
            assert got.chi2[0] == 0.0 and got.p[0] == 1.0 and got.degenerate[0]
            continue
        assert got.chi2[0] == pytest.approx(ref["chisq"], rel=RTOL, abs=ATOL), k
        assert got.observed[0] == ref["observed1"], k
        assert got.expected[0] == pytest.approx(ref["expected1"], rel=RTOL), k
        assert got.variance[0] == pytest.approx(ref["var11"], rel=RTOL, abs=ATOL), k


def test_it_reports_zero_variance_trials_as_chi2_zero_p_one() -> None:
    time = np.array([[1, 2, 3, 4], [1, 1, 2, 5], [3, 3, 3, 3]])
    event = np.array([[0, 0, 0, 0], [0, 0, 1, 1], [1, 1, 1, 1]])
    arm = np.array([0, 0, 1, 1])
    got = logrank_test_vec(time, event, arm)
    assert got.chi2.tolist() == [0.0, 0.0, 0.0]
    assert got.p.tolist() == [1.0, 1.0, 1.0]
    assert got.degenerate.tolist() == [True, True, True]
    assert not got.rejects(0.999).any()
    assert got.events.tolist() == [0, 2, 4]


SCENARIOS = [
    pytest.param(_scenario(0.10, 0.10, 0.03), (35, 35), id="null-35"),
    pytest.param(_scenario(0.12, 0.06, 0.02), (35, 35), id="effect-35"),
    pytest.param(_scenario(0.20, 0.12, 0.10), (20, 45), id="unequal-heavy-dropout"),
    pytest.param(_scenario(0.60, 0.40, 0.05, months=6), (5, 4), id="tiny-n-equals-1-months"),
    pytest.param(_scenario(0.02, 0.01, 0.0), (12, 12), id="few-events"),
]


def _statsmodels(time: np.ndarray, event: np.ndarray, arm: np.ndarray) -> tuple[float, float]:
    chi2, p = survdiff(time.astype(float), event.astype(float), arm)
    return float(chi2), float(p)


def _lifelines(time: np.ndarray, event: np.ndarray, arm: np.ndarray) -> tuple[float, float]:
    a, b = arm == 0, arm == 1
    res = logrank_test(time[a], time[b], event_observed_A=event[a], event_observed_B=event[b])
    return float(res.test_statistic), float(res.p_value)


@pytest.mark.parametrize(("scenario", "sizes"), SCENARIOS)
def test_it_matches_statsmodels_survdiff_trial_by_trial(
    scenario: PowerScenario, sizes: tuple[int, int]
) -> None:
    trials = simulate_trials(scenario, sizes, 300, rng=20260101)
    got = logrank_test_vec(trials.time, trials.event, trials.arm, trials.n_months)
    checked = 0
    for r in range(trials.reps):
        if got.degenerate[r]:
            continue  # statsmodels raises LinAlgError on a zero variance
        chi2, p = _statsmodels(trials.time[r], trials.event[r], trials.arm[r])
        assert got.chi2[r] == pytest.approx(chi2, rel=RTOL, abs=ATOL), r
        assert got.p[r] == pytest.approx(p, rel=1e-6, abs=1e-14), r
        checked += 1
    assert checked >= 250


@pytest.mark.parametrize(("scenario", "sizes"), SCENARIOS)
def test_it_matches_lifelines_logrank_test_trial_by_trial(
    scenario: PowerScenario, sizes: tuple[int, int]
) -> None:
    trials = simulate_trials(scenario, sizes, 40, rng=20260102)
    got = logrank_test_vec(trials.time, trials.event, trials.arm, trials.n_months)
    for r in range(trials.reps):
        chi2, p = _lifelines(trials.time[r], trials.event[r], trials.arm[r])
        assert got.chi2[r] == pytest.approx(chi2, rel=RTOL, abs=ATOL), r
        assert got.p[r] == pytest.approx(p, rel=1e-9, abs=1e-14), r


def test_it_gives_the_same_answer_from_trials_and_from_the_simulated_grid() -> None:
    scenario = _scenario(0.12, 0.06, 0.05)
    trials = simulate_trials(scenario, (30, 40), 500, rng=7)
    grid = simulate_grid(scenario, (30, 40), 500, rng=7)
    from_trials = count_grid(trials.time, trials.event, trials.arm, 24)
    for name in ("events", "censored", "at_risk"):
        assert np.array_equal(getattr(grid, name), getattr(from_trials, name)), name
    a, b = logrank_from_grid(grid), logrank_from_grid(from_trials)
    assert np.array_equal(a.chi2, b.chi2)


def test_it_does_not_depend_on_the_order_of_participants() -> None:
    trials = simulate_trials(_scenario(0.12, 0.06, 0.05), (35, 35), 200, rng=3)
    perm = np.random.default_rng(0).permutation(70)
    a = logrank_test_vec(trials.time, trials.event, trials.arm, 24)
    b = logrank_test_vec(trials.time[:, perm], trials.event[:, perm], trials.arm[:, perm], 24)
    np.testing.assert_allclose(a.chi2, b.chi2, rtol=1e-12, atol=1e-15)


def test_it_gives_the_same_answer_whatever_the_blocks() -> None:
    trials = simulate_trials(_scenario(0.12, 0.06, 0.05), (35, 35), 5_000, rng=4)
    blocked = logrank_test_vec(trials.time, trials.event, trials.arm, 24)  # 3 blocks of trials
    whole = logrank_from_grid(count_grid(trials.time, trials.event, trials.arm[0], 24))
    assert blocked.chi2.shape == (5_000,)
    assert np.array_equal(blocked.chi2, whole.chi2)
    assert np.array_equal(blocked.events, whole.events)


@pytest.mark.parametrize(
    ("time", "event", "arm", "message"),
    [
        ([[0, 2]], [[1, 0]], [0, 1], r"times in 1\.\.24, got 0\.\.2"),
        ([[1, 25]], [[1, 0]], [0, 1], r"times in 1\.\.24, got 1\.\.25"),
        ([[1, 2]], [[1, 0]], [0, 2], r"arms 0 and 1, got 0\.\.2"),
        ([[1, 2]], [[1, 0, 1]], [0, 1], "one shape"),
    ],
)
def test_it_refuses_malformed_trial_arrays(
    time: list[list[int]], event: list[list[int]], arm: list[int], message: str
) -> None:
    with pytest.raises(ScenarioError, match=message):
        logrank_test_vec(np.array(time), np.array(event), np.array(arm), 24)


def test_it_finds_both_python_libraries_equal_to_r_on_tied_data() -> None:
    # Which per-trial library reproduces R's survdiff on monthly ties: both do (to 1e-9),
    # except where R itself has nothing to test (statsmodels then raises, lifelines gives 0).
    trials, expected = _reference_trials(), _r_values()
    for k, (time, event, arm) in trials.items():
        t, e, a = time[0], event[0], arm[0]
        ref = expected[k]["chisq"]
        lifelines_chi2, _ = _lifelines(t, e, a)
        if math.isnan(ref) or expected[k]["var11"] == 0.0:
            assert lifelines_chi2 == pytest.approx(0.0, abs=ATOL), k
            with pytest.raises(np.linalg.LinAlgError):
                _statsmodels(t, e, a)
            continue
        assert lifelines_chi2 == pytest.approx(ref, rel=RTOL, abs=ATOL), k
        assert _statsmodels(t, e, a)[0] == pytest.approx(ref, rel=RTOL, abs=ATOL), k
