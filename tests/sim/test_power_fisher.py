"""Vectorized Fisher's exact test of abstinence against scipy.stats.fisher_exact, table by table."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import fisher_exact

from psytrial.core.errors import ScenarioError
from psytrial.sim.power import (
    ArmModel,
    PowerScenario,
    count_grid,
    fisher_from_grid,
    fisher_pvalues,
    fisher_test_vec,
    simulate_trials,
)
from psytrial.sim.power.fisher import abstinence_table


def _scipy_p(a: int, row0: int, row1: int, col0: int) -> float:
    table = [[a, row0 - a], [col0 - a, row1 - col0 + a]]
    return float(fisher_exact(table, alternative="two-sided").pvalue)


def _scenario(h0: float, h1: float, dropout: float) -> PowerScenario:
    return PowerScenario(
        ArmModel.from_hazards([(1, h0)], dropout), ArmModel.from_hazards([(1, h1)], dropout)
    )


def test_it_equals_scipy_on_every_table_with_small_margins() -> None:
    cases = [
        (a, r0, r1, c)
        for r0 in range(0, 9)
        for r1 in range(0, 9)
        for c in range(0, r0 + r1 + 1)
        for a in range(max(0, c - r1), min(r0, c) + 1)
    ]
    a, r0, r1, c = (np.array(v) for v in zip(*cases, strict=True))
    got = fisher_pvalues(a, r0, r1, c)
    want = np.array([_scipy_p(*case) for case in cases])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert len(cases) > 2000


def test_it_equals_scipy_on_kpt_sized_tables_including_symmetric_ones() -> None:
    rng = np.random.default_rng(11)
    cases = [(17, 35, 35, 34), (0, 35, 35, 0), (35, 35, 35, 70), (0, 35, 35, 35), (35, 35, 35, 35)]
    for _ in range(400):
        r0, r1 = int(rng.integers(1, 80)), int(rng.integers(1, 80))
        c = int(rng.integers(0, r0 + r1 + 1))
        a = int(rng.integers(max(0, c - r1), min(r0, c) + 1))
        cases.append((a, r0, r1, c))
    a, r0, r1, c = (np.array(v) for v in zip(*cases, strict=True))
    got = fisher_pvalues(a, r0, r1, c)
    want = np.array([_scipy_p(*case) for case in cases])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert np.array_equal(got < 0.05, want < 0.05)


@pytest.mark.parametrize("lost", ["relapsed", "excluded"])
@pytest.mark.parametrize("month", [1, 6, 12, 24])
def test_it_equals_scipy_per_simulated_trial(lost: str, month: int) -> None:
    trials = simulate_trials(_scenario(0.08, 0.04, 0.04), (35, 30), 300, rng=month)
    got = fisher_test_vec(trials.time, trials.event, trials.arm, month, lost=lost)  # type: ignore[arg-type]
    for r in range(trials.reps):
        t, e, arm = trials.time[r], trials.event[r], trials.arm[r]
        relapsed = (e == 1) & (t <= month)
        lost_before = (e == 0) & (t < month)
        abstinent = ~relapsed & ~lost_before
        keep = ~lost_before if lost == "excluded" else np.ones_like(abstinent)
        table = [
            [
                int((abstinent & keep & (arm == g)).sum()),
                int((~abstinent & keep & (arm == g)).sum()),
            ]
            for g in (0, 1)
        ]
        assert got.abstinent[r].tolist() == [table[0][0], table[1][0]]
        assert got.total[r].tolist() == [sum(table[0]), sum(table[1])]
        assert got.p[r] == pytest.approx(fisher_exact(table).pvalue, rel=1e-12, abs=0), r


def test_it_counts_abstinence_by_the_chosen_lost_rule() -> None:
    # arm 0: relapse at 2, censored at 2 (lost before 3), censored at 3 (seen at 3), relapse 5
    # arm 1: censored at 1, still followed at 24, relapse at 3
    time = np.array([[2, 2, 3, 5, 1, 24, 3]])
    event = np.array([[1, 0, 0, 1, 0, 0, 1]])
    arm = np.array([0, 0, 0, 0, 1, 1, 1])
    grid = count_grid(time, event, arm, 24)
    abst, total = abstinence_table(grid, 3, "relapsed")
    assert abst.tolist() == [[2, 1]] and total.tolist() == [[4, 3]]
    abst, total = abstinence_table(grid, 3, "excluded")
    assert abst.tolist() == [[2, 1]] and total.tolist() == [[3, 2]]
    abst, total = abstinence_table(grid, 2, "relapsed")
    assert abst.tolist() == [[3, 2]] and total.tolist() == [[4, 3]]
    assert fisher_from_grid(grid, 3).p[0] == pytest.approx(fisher_exact([[2, 2], [1, 2]]).pvalue)


def test_it_refuses_a_month_outside_follow_up() -> None:
    grid = count_grid(np.array([[1, 2]]), np.array([[1, 0]]), np.array([0, 1]), 24)
    with pytest.raises(ScenarioError, match=r"expected 1\.\.24, got 25"):
        fisher_from_grid(grid, 25)
    with pytest.raises(ScenarioError, match="lost rule"):
        fisher_from_grid(grid, 3, "imputed")  # type: ignore[arg-type]
