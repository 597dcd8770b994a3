"""Abstinence at fixed months: Fisher, chi-square and Newcombe's interval against R and papers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import boschloo_exact

from psytrial.core.errors import DataError
from psytrial.stats.binary import abstinence_by_month, compare_proportions
from tests.stats.reference.loader import ALL, dataset, r_output, value

RTOL = 1e-10
PUBLISHED = r_output("published")

# Newcombe (1998) Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score, no
# continuity correction), printed to 4 decimals: x1/n1 - x2/n2 -> (lower, upper).
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


def _close(mine: float, theirs: object) -> None:
    np.testing.assert_allclose(mine, value(theirs), rtol=RTOL, atol=1e-12)


def _check_against_r(mine: object, r: dict[str, object]) -> None:
    """R (tests/stats/reference/survival.R, two_by_two):

    fisher.test(tab)$p.value; chisq.test(tab, correct = TRUE / FALSE)$statistic, $p.value;
    Newcombe from prop.test(x, n, correct = FALSE)$conf.int (Wilson) of each arm.
    """
    assert hasattr(mine, "fisher_p")
    _close(mine.fisher_p, r["fisher_p"])
    _close(mine.chi2, r["chisq"])
    _close(mine.chi2_p, r["p"])
    _close(mine.chi2_yates, r["chisq_yates"])
    _close(mine.chi2_yates_p, r["p_yates"])
    _close(mine.risk_difference, r["rd"])
    _close(mine.rd_lower, r["rd_lower"])
    _close(mine.rd_upper, r["rd_upper"])


@pytest.mark.parametrize(("counts", "interval"), NEWCOMBE_TABLE_II)
def test_it_reproduces_newcombe_1998_table_ii(
    counts: tuple[int, int, int, int], interval: tuple[float, float]
) -> None:
    a, n1, b, n2 = counts
    result = compare_proportions((a, b), (n1, n2))
    assert round(result.rd_lower, 4) == interval[0]
    assert round(result.rd_upper, 4) == interval[1]


@pytest.mark.parametrize("index", range(len(NEWCOMBE_TABLE_II)))
def test_it_matches_r_on_newcombe_examples_including_empty_margins(index: int) -> None:
    """Where a margin is empty (0/10 vs 0/20) R's chisq.test gives NaN, and so do we."""
    r = PUBLISHED["newcombe_1998"][index]
    a, n1, b, n2 = r["table"]
    _check_against_r(compare_proportions((a, b), (n1, n2)), r)


def test_it_tests_the_krupitsky_2007_one_year_table() -> None:
    """Krupitsky et al. 2007: 13 of 26 vs 6 of 27 abstinent at one year (p < 0.05 reported,
    by survival analysis). R: fisher.test(matrix(c(13, 13, 6, 21), 2, byrow = TRUE))."""
    result = compare_proportions((13, 6), (26, 27), arms=("multiple", "single"))
    _check_against_r(result, PUBLISHED["krupitsky_2007"])
    assert result.fisher_p < 0.05
    assert result.chi2_p < 0.05 < result.chi2_yates_p
    assert result.proportion == (0.5, 6 / 27)
    assert round(result.proportion[1], 3) == 0.222
    assert not result.small_expected


def test_it_tests_the_krupitsky_1997_alcoholism_table() -> None:
    """Krupitsky & Grinenko 1997: 73 of 111 (65.8%) vs 24 of 100 (24%), p < 0.01 reported."""
    result = compare_proportions((73, 24), (111, 100))
    _check_against_r(result, PUBLISHED["krupitsky_1997"])
    assert result.fisher_p < 0.01
    assert round(100 * result.proportion[0], 1) == 65.8


def test_it_reproduces_fishers_tea_tasting_p_value() -> None:
    """Agresti's tea-tasting table, R's ?fisher.test example: two-sided p = 0.4857."""
    result = compare_proportions((3, 1), (4, 4))
    assert round(result.fisher_p, 4) == 0.4857
    assert result.small_expected
    _check_against_r(result, PUBLISHED["tea_tasting"])


def test_its_fisher_p_is_no_smaller_than_boschloos() -> None:
    """A second exact test: Boschloo's test orders tables by Fisher's p and maximizes over the
    nuisance proportion, so its p can never exceed Fisher's (a bound, not an equality)."""
    fisher = compare_proportions((13, 6), (26, 27)).fisher_p
    boschloo = boschloo_exact([[13, 13], [6, 21]], alternative="two-sided").pvalue
    assert boschloo <= fisher


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("lost", ["relapse", "exclude"])
def test_it_matches_r_abstinence_by_month(name: str, lost: str) -> None:
    """R derives the counts itself: abstinent at m = time > m | (time == m & event == 0);
    known at m = (event == 1 & time <= m) | time >= m; then the same 2x2 tests."""
    rows = r_output(name)["abstinence"][lost]
    table = abstinence_by_month(dataset(name), lost=lost, arms=rows[0]["arms"])  # type: ignore[arg-type]
    assert [row.month for row in table.rows] == [r["month"] for r in rows]
    for row, r in zip(table.rows, rows, strict=True):
        assert list(row.abstinent) == r["n"]
        assert list(row.total) == r["N"]
        if row.comparison is None:
            assert "fisher_p" not in r
        else:
            _check_against_r(row.comparison, r)


def test_it_counts_the_lost_as_relapsed_or_drops_them() -> None:
    data = dataset("censoring")
    conservative = abstinence_by_month(data, arms=("high", "low"))
    complete = abstinence_by_month(data, arms=("high", "low"), lost="exclude")
    last = -1
    assert conservative.rows[last].total == (35, 35)
    assert complete.rows[last].total[0] < 35
    assert conservative.rows[last].abstinent == complete.rows[last].abstinent


def test_it_reports_no_comparison_when_an_arm_has_nobody_assessed() -> None:
    data = dataset("one_each")
    table = abstinence_by_month(data, lost="exclude", months=(12,), arms=("high", "low"))
    assert table.rows[0].total == (1, 0)
    assert table.rows[0].comparison is None


def test_it_gives_nan_chi_square_when_nobody_is_abstinent() -> None:
    result = compare_proportions((0, 0), (10, 12))
    assert math.isnan(result.chi2) and math.isnan(result.chi2_yates_p)
    assert result.fisher_p == 1.0


@pytest.mark.parametrize(
    ("abstinent", "total", "message"),
    [
        ((11, 3), (10, 10), "between 0 and 10"),
        ((1, 1), (0, 5), ">= 1"),
        ((-1, 1), (5, 5), "between 0 and 5"),
    ],
)
def test_it_refuses_impossible_counts(
    abstinent: tuple[int, int], total: tuple[int, int], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        compare_proportions(abstinent, total)


def test_it_refuses_an_unknown_rule_for_the_lost() -> None:
    with pytest.raises(DataError, match="lost"):
        abstinence_by_month(dataset("aml"), lost="ignore")  # type: ignore[arg-type]
