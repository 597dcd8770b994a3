"""Attitude change from baseline against R (t.test and lm) on committed data.

Reference chain (tests/stats/reference_secondary/): make_data.py -> attitudes.csv (integer
positivity 0-7, so change scores are heavily tied; some follow-up visits missing) ->
attitudes.R (R 4.2.2) -> attitudes_expected.csv:
    t.test(change) per arm; t.test(change_high, change_low, var.equal = FALSE);
    lm(follow ~ baseline + arm) with "low" the reference arm, confint(fit)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psytrial.core.errors import DataError
from psytrial.stats.attitudes import AttitudeResult, analyse_attitudes

REF = Path(__file__).parent / "reference_secondary"


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    return pd.read_csv(REF / "attitudes.csv")


@pytest.fixture(scope="module")
def result(scores: pd.DataFrame) -> AttitudeResult:
    return analyse_attitudes(scores)


def test_it_covers_every_concept_and_follow_up_month(result: AttitudeResult) -> None:
    keys = [(c.concept, c.month) for c in result.changes]
    expected = pd.read_csv(REF / "attitudes_expected.csv")
    assert keys == list(zip(expected["concept"], expected["month"], strict=True))
    assert result.arms == ("high", "low")


def test_it_matches_r_change_summaries(result: AttitudeResult) -> None:
    for _, r in pd.read_csv(REF / "attitudes_expected.csv").iterrows():
        high, low = result.change(r.concept, r.month).summaries
        assert (high.n, low.n) == (r.n_high, r.n_low)
        assert high.ci95 is not None and low.ci95 is not None
        np.testing.assert_allclose(
            [high.mean, high.sd, *high.ci95, low.mean, low.sd, *low.ci95],
            [r.mean_high, r.sd_high, r.ci_low_high, r.ci_high_high,
             r.mean_low, r.sd_low, r.ci_low_low, r.ci_high_low],
            rtol=1e-10, atol=1e-12,
        )  # fmt: skip


def test_it_matches_r_welch_on_change(result: AttitudeResult) -> None:
    for _, r in pd.read_csv(REF / "attitudes_expected.csv").iterrows():
        w = result.change(r.concept, r.month).welch
        assert w is not None
        np.testing.assert_allclose(
            [w.t, w.df, w.p, *w.ci95],
            [r.welch_t, r.welch_df, r.welch_p, r.welch_ci_low, r.welch_ci_high],
            rtol=1e-10,
        )


def test_it_matches_r_ancova(result: AttitudeResult) -> None:
    for _, r in pd.read_csv(REF / "attitudes_expected.csv").iterrows():
        a = result.change(r.concept, r.month).ancova
        assert a is not None
        assert a.df == r.ancova_df
        np.testing.assert_allclose(
            [a.difference, a.se, a.t, a.p, *a.ci95, a.baseline_slope],
            [r.ancova_difference, r.ancova_se, r.ancova_t, r.ancova_p,
             r.ancova_ci_low, r.ancova_ci_high, r.baseline_slope],
            rtol=1e-9,
        )  # fmt: skip


def test_it_uses_only_participants_with_baseline_and_follow_up(scores: pd.DataFrame) -> None:
    no_baseline = scores[
        ~((scores["participant_id"] == "Ah01") & (scores["concept"] == "heroin"))
        | (scores["month"] != 0)
    ]
    before = analyse_attitudes(scores).change("heroin", 6).summaries[0].n
    after = analyse_attitudes(no_baseline).change("heroin", 6).summaries[0].n
    assert after == before - 1


def test_it_skips_the_comparison_when_an_arm_has_one_pair() -> None:
    data = pd.DataFrame(
        {
            "participant_id": ["a", "a", "b", "b", "c", "c", "d", "d"],
            "arm": ["high", "high", "low", "low", "low", "low", "low", "low"],
            "concept": ["myself"] * 8,
            "month": [0, 6] * 4,
            "positivity": [2, 5, 3, 3, 4, 5, 1, 1],
        }
    )
    change = analyse_attitudes(data).change("myself", 6)
    high, low = change.summaries
    assert (high.n, high.mean, high.sd, high.ci95) == (1, 3.0, None, None)
    assert low.n == 3 and low.mean == pytest.approx(1 / 3)
    assert change.welch is None and change.ancova is None
    assert change.notes == ("no between-arm comparison: fewer than 2 complete pairs in an arm",)


def test_it_skips_ancova_when_baseline_does_not_vary() -> None:
    data = pd.DataFrame(
        {
            "participant_id": [p for p in "abcd" for _ in (0, 1)],
            "arm": ["high"] * 4 + ["low"] * 4,
            "concept": ["heroin"] * 8,
            "month": [0, 12] * 4,
            "positivity": [4, 1, 4, 2, 4, 4, 4, 5],
        }
    )
    change = analyse_attitudes(data).change("heroin", 12)
    assert change.ancova is None and change.welch is not None
    assert change.welch.difference == pytest.approx(-2.5 - 0.5)
    assert "ANCOVA not done: baseline or residual variation is 0" in change.notes


def test_it_refuses_a_missing_concept(scores: pd.DataFrame) -> None:
    bad = scores.copy()
    bad.loc[2, "concept"] = None
    with pytest.raises(DataError, match="expected a concept and a month on every row"):
        analyse_attitudes(bad)
