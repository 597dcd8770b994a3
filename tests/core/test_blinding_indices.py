"""Reference tests for Bang's and James' blinding indices.

The guess tables are the published worked examples, as transcribed (guess rows x actual arm
columns: guessed treatment, guessed control, don't know) in the examples of the CRAN package
`BI` 1.2.0 (Schwartz & Mercaldo, man/BI.Rd) and of a public SAS macro for the same indices:

- Bang, Ni & Davis 2004, Controlled Clinical Trials 25:143-156, Table 7 (CRISP):
  guessed treatment 82 / 27, guessed placebo 25 / 29, don't know 170 / 83.
- James et al. 1996, Statistics in Medicine 15:1421-1434, Table V:
  145 / 34, 71 / 59, 76 / 38.
- Bang, Flaherty, Kolahi & Park 2010, Clin Res Regul Aff 27:42-51, Table 4: 21 / 19, 0 / 4,
  24 / 26; Table 5: 41 / 14, 55 / 99, 130 / 106.
- Houweling et al. 2014, Clinical Trials 11:547-552, Table 2 (investigators, research
  coordinators, patients).

The papers' own printed index values could not be obtained here (only the tables, through the
package documentation), so the expected values are NOT copied from the papers. Instead each
index is checked against an independent second computation written differently from the
module: Bang's index as the mean of per-respondent scores (+1 right, -1 wrong, 0 don't know)
and its variance as the scores' variance over n; James' index through Cohen's agreement kappa
among those who guessed, in exact fractions, and its variance by the multinomial delta method
with a numerical gradient (James et al. derived theirs by the delta method, so the closed form
must agree to rounding). A few tables small enough to do by hand pin the scale's ends.
"""

from __future__ import annotations

from fractions import Fraction
from statistics import NormalDist, fmean, pvariance

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psytrial.core.blinding import (
    DONT_KNOW,
    ArmGuesses,
    Guesser,
    GuessTable,
    assess_blinding,
    bang_index,
    guess_table,
    james_index,
)
from psytrial.core.errors import DataError

# (guessed T: actual T, actual C), (guessed C: actual T, actual C), (don't know: T, C)
Rows = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]

PUBLISHED_TABLES: dict[str, Rows] = {
    "bang2004_table7_crisp": ((82, 27), (25, 29), (170, 83)),
    "james1996_table5": ((145, 34), (71, 59), (76, 38)),
    "bang2010_table4": ((21, 19), (0, 4), (24, 26)),
    "bang2010_table5": ((41, 14), (55, 99), (130, 106)),
    "houweling2014_investigators": ((48, 22), (4, 30), (330, 319)),
    "houweling2014_coordinators": ((94, 52), (11, 44), (289, 284)),
    "houweling2014_patients": ((143, 104), (14, 57), (188, 175)),
}


def table_from_rows(rows: Rows) -> GuessTable:
    (tt, tc), (ct, cc), (dt, dc) = rows
    return GuessTable(
        treatment_arm="high",
        control_arm="low",
        treatment=ArmGuesses(correct=tt, incorrect=ct, dont_know=dt),
        control=ArmGuesses(correct=cc, incorrect=tc, dont_know=dc),
    )


# ---- independent second computations ------------------------------------------------------


def bang_by_scores(correct: int, incorrect: int, dont_know: int) -> tuple[float, float]:
    scores = [1] * correct + [-1] * incorrect + [0] * dont_know
    return fmean(scores), pvariance(scores) / len(scores)


def bang_by_paper_form(correct: int, incorrect: int, dont_know: int) -> Fraction:
    """Bang et al.'s (2 * p_correct_among_guessers - 1) * p_guessed, in exact fractions."""
    guessed = correct + incorrect
    return (2 * Fraction(correct, guessed) - 1) * Fraction(guessed, guessed + dont_know)


def james_by_kappa(cells: np.ndarray) -> float:
    """James' BI = (1 + P_dk - (1 - P_dk) * kappa) / 2, kappa = Cohen's kappa among guessers.

    `cells` is the 3 x 2 array of proportions (guess row x actual column).
    """
    p_dk = cells[2].sum()
    g = cells[:2] / cells[:2].sum()
    agree = g[0, 0] + g[1, 1]
    chance = g[0].sum() * g[:, 0].sum() + g[1].sum() * g[:, 1].sum()
    kappa = (agree - chance) / (1 - chance)
    return float((1 + p_dk - (1 - p_dk) * kappa) / 2)


def james_exact(rows: Rows) -> Fraction:
    (tt, tc), (ct, cc), (dt, dc) = rows
    n = tt + tc + ct + cc + dt + dc
    guessed = n - dt - dc
    p_dk = Fraction(dt + dc, n)
    agree = Fraction(tt + cc, guessed)
    chance = Fraction((tt + tc) * (tt + ct) + (ct + cc) * (tc + cc), guessed**2)
    kappa = (agree - chance) / (1 - chance)
    return (1 + p_dk - (1 - p_dk) * kappa) / 2


def james_delta_variance(rows: Rows) -> float:
    counts = np.array(rows, dtype=float)
    n = counts.sum()
    p = (counts / n).ravel()
    step = 1e-6
    gradient = np.empty(6)
    for k in range(6):
        up, down = p.copy(), p.copy()
        up[k] += step
        down[k] -= step
        rise = james_by_kappa(up.reshape(3, 2)) - james_by_kappa(down.reshape(3, 2))
        gradient[k] = rise / (2 * step)
    covariance = (np.diag(p) - np.outer(p, p)) / n
    return float(gradient @ covariance @ gradient)


# ---- published tables -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PUBLISHED_TABLES))
def test_it_matches_bang_index_recomputed_from_scores(name: str) -> None:
    table = table_from_rows(PUBLISHED_TABLES[name])
    for arm in (table.treatment, table.control):
        result = bang_index(arm)
        mean, variance = bang_by_scores(arm.correct, arm.incorrect, arm.dont_know)
        assert result.estimate == pytest.approx(mean, rel=1e-12, abs=1e-15)
        assert result.estimate == pytest.approx(
            float(bang_by_paper_form(arm.correct, arm.incorrect, arm.dont_know)), abs=1e-15
        )
        assert result.variance == pytest.approx(variance, rel=1e-12)
        half = 1.959963984540054 * variance**0.5
        assert result.ci == pytest.approx((mean - half, mean + half), rel=1e-12)


@pytest.mark.parametrize("name", sorted(PUBLISHED_TABLES))
def test_it_matches_james_index_recomputed_through_kappa(name: str) -> None:
    rows = PUBLISHED_TABLES[name]
    result = james_index(table_from_rows(rows))
    assert result.estimate == pytest.approx(float(james_exact(rows)), rel=1e-12)


@pytest.mark.parametrize("name", sorted(PUBLISHED_TABLES))
def test_it_matches_james_variance_by_the_delta_method(name: str) -> None:
    rows = PUBLISHED_TABLES[name]
    result = james_index(table_from_rows(rows))
    assert result.variance == pytest.approx(james_delta_variance(rows), rel=1e-5)


def test_it_gives_the_crisp_example_in_figures() -> None:
    """Bang 2004 Table 7 worked through by hand, so a reader can check the printed digits.

    Treatment arm (n = 277): (82 - 25) / 277 = 0.205776; control arm (n = 139):
    (29 - 27) / 139 = 0.014388. James: P_dk = 253 / 416; among the 163 who guessed,
    agreement 111/163 and chance agreement (109*107 + 54*56) / 163^2, giving 0.747928.
    """
    table = table_from_rows(PUBLISHED_TABLES["bang2004_table7_crisp"])
    assessment = assess_blinding(Guesser.PARTICIPANT, table)
    assert assessment.bang["high"].estimate == pytest.approx(57 / 277, abs=1e-15)
    assert assessment.bang["low"].estimate == pytest.approx(2 / 139, abs=1e-15)
    assert assessment.bang["high"].se == pytest.approx(0.0352371, abs=5e-7)
    assert assessment.james.estimate == pytest.approx(0.7479275, abs=5e-7)
    assert assessment.james.se == pytest.approx(0.0217374, abs=5e-7)


# ---- the scale's ends, by hand ----------------------------------------------------------------


def test_it_scores_complete_unblinding_as_bang_1_and_james_0() -> None:
    table = table_from_rows(((10, 0), (0, 8), (0, 0)))
    assert bang_index(table.treatment).estimate == 1.0
    assert bang_index(table.treatment).ci == (1.0, 1.0)
    assert bang_index(table.control).estimate == 1.0
    assert james_index(table).estimate == pytest.approx(0.0, abs=1e-15)


def test_it_scores_opposite_guessing_as_bang_minus_1_and_james_1() -> None:
    table = table_from_rows(((0, 6), (6, 0), (0, 0)))
    assert bang_index(table.treatment).estimate == -1.0
    assert bang_index(table.control).estimate == -1.0
    assert james_index(table).estimate == pytest.approx(1.0)


def test_it_scores_random_guessing_as_bang_0_and_james_one_half() -> None:
    table = table_from_rows(((5, 5), (5, 5), (0, 0)))
    assert bang_index(table.treatment).estimate == 0.0
    assert james_index(table).estimate == pytest.approx(0.5)
    # James' value under random guessing rises with the share answering "don't know".
    with_dk = table_from_rows(((5, 5), (5, 5), (10, 10)))
    assert james_index(with_dk).estimate == pytest.approx((1 + 0.5) / 2)


def test_it_scores_all_dont_know_as_complete_blinding() -> None:
    table = table_from_rows(((0, 0), (0, 0), (7, 9)))
    james = james_index(table)
    assert james.estimate == 1.0
    assert james.se == 0.0
    assert james.ci == (1.0, 1.0)
    assert bang_index(table.treatment).estimate == 0.0
    assert bang_index(table.treatment).se == 0.0


def test_it_leaves_james_undefined_when_all_guesses_fall_in_one_cell() -> None:
    table = table_from_rows(((3, 0), (0, 0), (4, 5)))
    james = james_index(table)
    assert not james.defined
    assert james.se is None and james.ci is None and james.variance is None
    assert "one cell" in james.note


def test_it_leaves_bang_undefined_for_an_arm_without_guesses() -> None:
    table = table_from_rows(((3, 0), (1, 0), (4, 0)))
    control = bang_index(table.control)
    assert control.estimate is None
    assert control.note == "no guesses for this arm"
    assert james_index(GuessTable("a", "b", ArmGuesses(0, 0, 0), ArmGuesses(0, 0, 0))).note


def test_it_widens_the_interval_with_the_level() -> None:
    arm = ArmGuesses(correct=30, incorrect=10, dont_know=20)
    ninety = bang_index(arm, level=0.90)
    ninety_nine = bang_index(arm, level=0.99)
    assert ninety.ci is not None and ninety_nine.ci is not None and ninety.se is not None
    assert ninety.ci[0] > ninety_nine.ci[0]
    z = NormalDist().inv_cdf(0.95)
    assert ninety.ci[1] - ninety.ci[0] == pytest.approx(2 * z * ninety.se)


@pytest.mark.parametrize("level", [0.0, 1.0, -0.5, 95])
def test_it_rejects_a_level_outside_zero_and_one(level: float) -> None:
    with pytest.raises(DataError, match="level: expected"):
        bang_index(ArmGuesses(1, 1, 1), level=level)
    with pytest.raises(DataError, match="level: expected"):
        james_index(table_from_rows(((0, 0), (0, 0), (1, 1))), level=level)


# ---- properties ---------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=60)


@settings(max_examples=200, deadline=None)
@given(st.tuples(st.tuples(counts, counts), st.tuples(counts, counts), st.tuples(counts, counts)))
def test_it_keeps_indices_in_range_and_james_variance_equal_to_delta_method(rows: Rows) -> None:
    table = table_from_rows(rows)
    for arm in (table.treatment, table.control):
        bang = bang_index(arm)
        if arm.n:
            assert bang.estimate is not None
            assert -1.0 <= bang.estimate <= 1.0
    james = james_index(table)
    if james.estimate is None or table.treatment.guessed + table.control.guessed == 0:
        return
    assert -1e-12 <= james.estimate <= 1.0 + 1e-12
    assert james.estimate == pytest.approx(float(james_exact(rows)), abs=1e-12)
    assert james.variance == pytest.approx(james_delta_variance(rows), rel=1e-4, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.tuples(counts, counts, counts), st.integers(min_value=2, max_value=9))
def test_it_scales_bang_variance_inversely_with_sample_size(
    arm_counts: tuple[int, int, int], k: int
) -> None:
    small = ArmGuesses(*arm_counts)
    large = ArmGuesses(*(k * c for c in arm_counts))
    if small.n == 0:
        return
    a, b = bang_index(small), bang_index(large)
    assert a.variance is not None and b.variance is not None
    assert b.estimate == pytest.approx(a.estimate)
    assert b.variance == pytest.approx(a.variance / k, abs=1e-15)


# ---- tabulation -------------------------------------------------------------------------------


def test_it_tabulates_guesses_per_arm() -> None:
    guesses = [
        ("high", "high"),
        ("high", "low"),
        ("high", DONT_KNOW),
        ("high", "high"),
        ("low", "low"),
        ("low", "high"),
        ("low", "high"),
    ]
    table = guess_table(guesses, treatment_arm="high", control_arm="low")
    assert table.treatment == ArmGuesses(correct=2, incorrect=1, dont_know=1)
    assert table.control == ArmGuesses(correct=1, incorrect=2, dont_know=0)
    assert table.n == 7
    assert table.arm("low") is table.control
    assert table.arm("high").guessed == 3


def test_it_refuses_a_guess_naming_no_arm() -> None:
    with pytest.raises(DataError, match=r"guesses\[1\]\.guess: expected one of .*got 'placebo'"):
        guess_table([("high", "low"), ("low", "placebo")], "high", "low")


def test_it_refuses_an_actual_arm_outside_the_table() -> None:
    with pytest.raises(DataError, match=r"guesses\[0\]\.arm: expected one of"):
        guess_table([("medium", "low")], "high", "low")


def test_it_refuses_an_unknown_arm_lookup_and_identical_arms() -> None:
    table = table_from_rows(((1, 1), (1, 1), (1, 1)))
    with pytest.raises(DataError, match="arm: expected 'high' or 'low', got 'x'"):
        table.arm("x")
    with pytest.raises(DataError, match="control_arm: expected an arm other"):
        GuessTable("a", "a", ArmGuesses(0, 0, 0), ArmGuesses(0, 0, 0))


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_it_refuses_counts_that_are_not_non_negative_integers(bad: object) -> None:
    with pytest.raises(DataError, match="correct: expected a count"):
        ArmGuesses(correct=bad, incorrect=0, dont_know=0)  # type: ignore[arg-type]


def test_it_assesses_one_guesser_role_and_refuses_an_unknown_one() -> None:
    table = table_from_rows(PUBLISHED_TABLES["james1996_table5"])
    assessment = assess_blinding("outcome_rater", table, level=0.9)
    assert assessment.guesser is Guesser.OUTCOME_RATER
    assert set(assessment.bang) == {"high", "low"}
    assert assessment.james.level == 0.9
    with pytest.raises(DataError, match="guesser: expected one of"):
        assess_blinding("pharmacist", table)
