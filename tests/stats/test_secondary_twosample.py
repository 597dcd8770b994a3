"""Welch's t, Mann-Whitney U and Hedges' g against R, scipy, metafor and Borenstein (2009).

References (all committed in tests/stats/reference_secondary/):
- edge_cases.csv -> edge_cases.R -> edge_cases_expected.csv (R 4.2.2):
      t.test(x, y, var.equal = FALSE); wilcox.test(x, y, exact = FALSE, correct = TRUE)
- Borenstein, Hedges, Higgins & Rothstein (2009), Introduction to Meta-Analysis, Wiley,
  chapter 4 worked example: means 103 and 100, SDs 5.5 and 4.5, n 50 and 50 give
  S_within 5.0249, d 0.5970, V_d 0.0418, J 0.9923, g 0.5924, V_g 0.0411, SE_g 0.2028
  (their V_g = J^2 V_d; ours is Hedges & Olkin's 1/n1 + 1/n2 + g^2/(2N), see below).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from psytrial.stats.twosample import (
    approximate_j,
    compare_two_samples,
    exact_j,
    hedges_g,
    summarize,
)

REF = Path(__file__).parent / "reference_secondary"
ARMS = ("high", "low")


def _edge(case: str) -> tuple[np.ndarray, np.ndarray]:
    d = pd.read_csv(REF / "edge_cases.csv")
    d = d[d["case"] == case]
    return (
        d.loc[d["arm"] == "high", "value"].to_numpy(),
        d.loc[d["arm"] == "low", "value"].to_numpy(),
    )


def _expected(case: str) -> pd.Series:
    e = pd.read_csv(REF / "edge_cases_expected.csv").set_index("case")
    return e.loc[case]


def _samples_with_sd(m: float, s: float, n: int) -> np.ndarray:
    """n values whose mean is exactly m and SD (n - 1) exactly s."""
    z = np.linspace(-1, 1, n)
    z = (z - z.mean()) / z.std(ddof=1)
    return m + s * z


@pytest.mark.parametrize("case", ["constant_high", "ties", "two_each"])
def test_it_matches_r_welch_and_wilcox_on_small_samples(case: str) -> None:
    x, y = _edge(case)
    r = _expected(case)
    res = compare_two_samples(ARMS, x, y)
    assert res.welch is not None and res.mann_whitney is not None
    np.testing.assert_allclose(
        [res.welch.t, res.welch.df, res.welch.p], [r.welch_t, r.welch_df, r.welch_p], rtol=1e-10
    )
    assert res.mann_whitney.u == r.mw_u
    assert res.mann_whitney.p == pytest.approx(r.mw_p, rel=1e-10)


def test_it_gives_mann_whitney_but_no_welch_or_g_with_a_single_participant() -> None:
    x, y = _edge("single_high")
    r = _expected("single_high")
    res = compare_two_samples(ARMS, x, y)
    assert res.summary("high") == summarize("high", x)
    assert res.summary("high").n == 1 and res.summary("high").sd is None
    assert res.summary("high").mean == 2.5
    assert res.welch is None and res.hedges_g is None
    assert math.isnan(r.welch_t)  # R refuses too: "not enough 'x' observations"
    assert res.mann_whitney is not None
    assert res.mann_whitney.u == r.mw_u
    assert res.mann_whitney.p == pytest.approx(r.mw_p, rel=1e-10)
    assert any("single value" in n for n in res.notes)


def test_it_reports_no_test_when_every_value_is_identical() -> None:
    x, y = _edge("all_tied")
    r = _expected("all_tied")
    res = compare_two_samples(ARMS, x, y)
    assert res.summaries[0].sd == 0.0 and res.summaries[1].sd == 0.0
    assert res.welch is None and math.isnan(r.welch_t)
    assert res.hedges_g is None
    assert res.mann_whitney is not None
    assert res.mann_whitney.u == r.mw_u
    assert res.mann_whitney.p is None and math.isnan(r.mw_p)
    assert len(res.notes) == 3


def test_it_reports_n_zero_and_no_test_for_an_empty_arm() -> None:
    res = compare_two_samples(ARMS, [np.nan, np.nan], [1.0, 2.0, 3.0])
    assert res.summaries[0].n == 0 and res.summaries[0].mean is None
    assert res.summaries[1].n == 3 and res.summaries[1].mean == 2.0
    assert res.welch is None and res.mann_whitney is None and res.hedges_g is None
    assert res.notes == ("no tests: arm 'high' has no non-missing values",)


def test_it_computes_g_when_only_one_arm_is_constant() -> None:
    x, y = _edge("constant_high")
    g = hedges_g(x, y)
    assert g is not None
    pooled = math.sqrt((len(y) - 1) * np.var(y, ddof=1) / (len(x) + len(y) - 2))
    assert g.d == pytest.approx((x.mean() - y.mean()) / pooled, rel=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_it_agrees_with_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(2, 1, 23), 1)  # rounded so that ranks are tied
    y = np.round(rng.normal(1.5, 0.6, 18), 1)
    res = compare_two_samples(ARMS, x, y)
    t = stats.ttest_ind(x, y, equal_var=False)
    u = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
    assert res.welch is not None and res.mann_whitney is not None
    assert res.welch.t == pytest.approx(t.statistic, rel=1e-12)
    assert res.welch.p == pytest.approx(t.pvalue, rel=1e-12)
    assert res.mann_whitney.u == u.statistic
    assert res.mann_whitney.p == pytest.approx(u.pvalue, rel=1e-12)


def test_it_reproduces_borenstein_2009_worked_example() -> None:
    x, y = _samples_with_sd(103.0, 5.5, 50), _samples_with_sd(100.0, 4.5, 50)
    g = hedges_g(x, y)
    assert g is not None
    assert g.d == pytest.approx(0.5970, abs=5e-5)
    assert g.j == pytest.approx(0.9923, abs=5e-5)
    assert approximate_j(98) == pytest.approx(0.9923, abs=5e-5)
    assert g.g == pytest.approx(0.5924, abs=5e-5)
    # Borenstein's own variance, J^2 (1/n1 + 1/n2 + d^2 / 2N), from our d and J:
    v_borenstein = g.j**2 * (1 / 50 + 1 / 50 + g.d**2 / 200)
    assert v_borenstein == pytest.approx(0.0411, abs=5e-5)
    assert math.sqrt(v_borenstein) == pytest.approx(0.2028, abs=1e-4)
    # Ours (Hedges & Olkin 1985 with g): metafor escalc(SMD, vtype = "LS") gives 0.041755.
    assert g.se**2 == pytest.approx(0.041755, abs=5e-7)
    assert g.ci95 == pytest.approx((g.g - 1.959964 * g.se, g.g + 1.959964 * g.se), abs=1e-6)


def test_it_uses_the_exact_j_which_the_approximation_approaches() -> None:
    # Closed forms: J(2) = Gamma(1) / Gamma(1/2) = 1 / sqrt(pi); with Gamma(9/2) =
    # 105 sqrt(pi) / 16, J(10) = Gamma(5) / (sqrt(5) Gamma(9/2)) = 384 / (105 sqrt(5 pi)).
    assert exact_j(2) == pytest.approx(1 / math.sqrt(math.pi), rel=1e-13)
    assert exact_j(10) == pytest.approx(384 / (105 * math.sqrt(5 * math.pi)), rel=1e-13)
    assert abs(exact_j(200) - approximate_j(200)) < 1e-6


def test_it_takes_differences_as_first_arm_minus_second() -> None:
    x, y = [3.0, 4.0, 5.0], [1.0, 2.0, 2.5]
    ab, ba = compare_two_samples(("a", "b"), x, y), compare_two_samples(("b", "a"), y, x)
    assert ab.welch is not None and ba.welch is not None
    assert ab.welch.difference > 0 and ab.welch.difference == -ba.welch.difference
    assert ab.hedges_g is not None and ba.hedges_g is not None
    assert ab.hedges_g.g == pytest.approx(-ba.hedges_g.g)
    assert ab.mann_whitney is not None and ab.mann_whitney.u == 9.0


@settings(max_examples=60, deadline=None)
@given(
    x=st.lists(st.integers(0, 16), min_size=2, max_size=12),
    y=st.lists(st.integers(0, 16), min_size=2, max_size=12),
    shift=st.integers(-5, 5),
    scale=st.integers(1, 4),
)
def test_it_is_antisymmetric_and_scale_free(
    x: list[int], y: list[int], shift: int, scale: int
) -> None:
    xa, ya = np.array(x) / 4, np.array(y) / 4  # a 0-4 rating grid, many ties
    ab, ba = compare_two_samples(ARMS, xa, ya), compare_two_samples(ARMS, ya, xa)
    moved = compare_two_samples(ARMS, xa * scale + shift, ya * scale + shift)
    assert ab.mann_whitney is not None and ba.mann_whitney is not None
    assert ab.mann_whitney.u + ba.mann_whitney.u == len(x) * len(y)
    assert ab.mann_whitney.p == ba.mann_whitney.p
    if ab.hedges_g is not None:
        assert ba.hedges_g is not None and moved.hedges_g is not None
        assert ab.hedges_g.g == pytest.approx(-ba.hedges_g.g, abs=1e-12)
        assert moved.hedges_g.g == pytest.approx(ab.hedges_g.g, rel=1e-9, abs=1e-12)
    if ab.welch is not None:
        assert ba.welch is not None and ab.welch.p == pytest.approx(ba.welch.p, rel=1e-12)
