"""HRS cluster comparisons against R (t.test, wilcox.test, metafor) on committed data.

Reference chain (tests/stats/reference_secondary/): make_data.py -> hrs.csv ->
twosample.R (R 4.2.2, metafor 3.8-1) -> hrs_expected.csv. Per cluster, high vs low:
    t.test(x, y, var.equal = FALSE)
    wilcox.test(x, y, exact = FALSE, correct = TRUE)
    g from the pooled t statistic (a second formula) and metafor::escalc("SMD", vtype = "LS")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from psytrial.core.errors import DataError
from psytrial.stats.hrs import analyse_hrs

REF = Path(__file__).parent / "reference_secondary"


@pytest.fixture(scope="module")
def scores() -> pd.DataFrame:
    return pd.read_csv(REF / "hrs.csv")


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return pd.read_csv(REF / "hrs_expected.csv").set_index("cluster")


def test_it_matches_r_for_every_cluster(scores: pd.DataFrame, expected: pd.DataFrame) -> None:
    result = analyse_hrs(scores)
    assert result.arms == ("high", "low")
    assert len(result.clusters) == 6
    for c in result.clusters:
        r, cmp = expected.loc[c.cluster], c.comparison
        high, low = cmp.summary("high"), cmp.summary("low")
        assert (high.n, low.n) == (r.n_high, r.n_low)
        got = [high.mean, low.mean, high.sd, low.sd]
        np.testing.assert_allclose(got, [r.mean_high, r.mean_low, r.sd_high, r.sd_low], rtol=1e-12)
        assert cmp.welch is not None and cmp.mann_whitney is not None and cmp.hedges_g is not None
        w = cmp.welch
        np.testing.assert_allclose(
            [w.t, w.df, w.p, *w.ci95],
            [r.welch_t, r.welch_df, r.welch_p, r.welch_ci_low, r.welch_ci_high],
            rtol=1e-10,
        )
        assert cmp.mann_whitney.u == r.mw_u
        assert cmp.mann_whitney.p == pytest.approx(r.mw_p, rel=1e-10)
        g = cmp.hedges_g
        np.testing.assert_allclose([g.g, g.se], [r.g_ttest, r.g_ttest_se], rtol=1e-10)
        np.testing.assert_allclose([g.g, g.se], [r.g_metafor, r.g_metafor_se], rtol=1e-10)


def test_it_lists_clusters_in_clinical_order(scores: pd.DataFrame) -> None:
    names = [c.cluster for c in analyse_hrs(scores).clusters]
    assert names == ["somaesthesia", "affect", "perception", "cognition", "volition", "intensity"]


def test_it_reports_n_zero_and_no_test_for_a_cluster_missing_in_one_arm(
    scores: pd.DataFrame,
) -> None:
    data = scores.copy()
    data.loc[(data["cluster"] == "volition") & (data["arm"] == "low"), "score"] = np.nan
    data = data[~((data["cluster"] == "intensity") & (data["arm"] == "high"))]
    result = analyse_hrs(data, arms=("high", "low"))
    vol = result.cluster("volition").comparison
    assert vol.summary("low").n == 0 and vol.summary("low").mean is None
    assert vol.summary("high").n == 14
    assert vol.welch is None and vol.mann_whitney is None and vol.hedges_g is None
    assert "no tests: arm 'low' has no non-missing values" in vol.notes
    inten = result.cluster("intensity").comparison
    assert inten.summary("high").n == 0 and inten.welch is None
    assert result.cluster("affect").comparison.welch is not None


def test_it_handles_a_single_participant_and_identical_values() -> None:
    data = pd.DataFrame(
        {
            "participant_id": ["p1", "p2", "p3", "p4", "p1", "p2", "p3", "p4"],
            "arm": ["high", "low", "low", "low"] * 2,
            "cluster": ["affect"] * 4 + ["volition"] * 4,
            "score": [2.0, 1.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )
    result = analyse_hrs(data)
    affect = result.cluster("affect").comparison
    assert affect.summary("high").n == 1 and affect.summary("high").sd is None
    assert affect.welch is None and affect.mann_whitney is not None
    volition = result.cluster("volition").comparison
    assert volition.summary("low").sd == 0.0
    assert volition.mann_whitney is not None and volition.mann_whitney.p is None


def test_it_refuses_a_table_without_the_score_column() -> None:
    bad = pd.DataFrame({"participant_id": ["p1"], "arm": ["high"], "cluster": ["affect"]})
    with pytest.raises(DataError, match="expected columns participant_id, arm, cluster, score"):
        analyse_hrs(bad)


def test_it_refuses_two_scores_for_one_participant_and_cluster(scores: pd.DataFrame) -> None:
    bad = pd.concat([scores, scores.iloc[[0]]])
    with pytest.raises(DataError, match="expected one row per participant_id, cluster"):
        analyse_hrs(bad)


def test_it_refuses_a_third_arm(scores: pd.DataFrame) -> None:
    bad = scores.copy()
    bad.loc[0, "arm"] = "medium"
    with pytest.raises(DataError, match="expected exactly 2 arms, got 3"):
        analyse_hrs(bad)
    with pytest.raises(DataError, match="got also"):
        analyse_hrs(bad, arms=("high", "low"))


def test_it_refuses_a_score_that_is_not_a_number(scores: pd.DataFrame) -> None:
    bad = scores.copy()
    bad["score"] = bad["score"].astype(object)
    bad.loc[3, "score"] = "lots"
    with pytest.raises(DataError, match="expected numbers in column 'score', got 'lots'"):
        analyse_hrs(bad)
