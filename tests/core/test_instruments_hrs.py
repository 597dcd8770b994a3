"""HRS scoring against hand-computed cluster means.

Reference: Strassman, Qualls, Uhlenhuth & Kellner (1994), Arch Gen Psychiatry 51:98-108: a
cluster score is the mean of the cluster's item scores (items rated 0-4). No published
item-level example was available to us, so the expected values are worked by hand in each
test, and a property test checks the code against numpy's nanmean as a second implementation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psytrial.core.errors import ScoringError
from psytrial.core.instruments import (
    BUILTIN_ITEMS,
    CLUSTERS,
    HrsInstrument,
    parse_instrument,
    score,
)
from psytrial.core.instruments.hrs_bank import (
    ASSUMED_COUNTS,
    PLACEHOLDER_TOPIC,
    builtin_clusters,
)


def hrs(**extra: object) -> HrsInstrument:
    defn = parse_instrument({"id": "hrs", "kind": "hrs", "label": "HRS", **extra})
    assert isinstance(defn, HrsInstrument)
    return defn


def full(value: int) -> dict[str, object]:
    return {item.id: value for item in BUILTIN_ITEMS}


def test_it_ships_the_known_items_and_marks_the_rest_as_placeholders() -> None:
    bank = builtin_clusters()
    assert {c: len(ids) for c, ids in bank.items()} == {
        "somaesthesia": 13,
        "affect": 18,
        "perception": 17,
        "cognition": 11,
        "volition": 9,
        "intensity": 4,
    }
    assert len(BUILTIN_ITEMS) == 72 == sum(ASSUMED_COUNTS.values())
    placeholders = [item for item in BUILTIN_ITEMS if item.placeholder]
    assert len(placeholders) == 23  # 10 cognition + 9 volition + 4 intensity
    assert all(item.topic == PLACEHOLDER_TOPIC for item in placeholders)
    assert "ASSUMPTION" in PLACEHOLDER_TOPIC
    assert BUILTIN_ITEMS[0].topic == "rush"
    assert [i.topic for i in BUILTIN_ITEMS if i.id == "cog_01"] == ["sense of speed of thoughts"]
    assert len({item.id for item in BUILTIN_ITEMS}) == 72


def test_it_scores_each_cluster_as_the_mean_of_its_items() -> None:
    answers = full(0)
    # somaesthesia: 0,1,2,3,4,0,1,2,3,4,0,1,2 -> sum 23 over 13 items = 1.769230769...
    for n, value in enumerate([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2], start=1):
        answers[f"som_{n:02d}"] = value
    # affect: eighteen 3s -> 3.0
    answers.update({f"aff_{n:02d}": 3 for n in range(1, 19)})
    # intensity: 4,4,3,2 -> 13 / 4 = 3.25
    answers.update({"int_01": 4, "int_02": 4, "int_03": 3, "int_04": 2})
    result = score(hrs(), answers)
    assert result["somaesthesia"].mean == pytest.approx(1.7692307692307692, abs=1e-12)
    assert result["affect"].mean == 3.0
    assert result["perception"].mean == 0.0
    assert result["intensity"].mean == 3.25
    assert result["somaesthesia"].n_answered == result["somaesthesia"].n_items == 13
    assert [c.cluster for c in result.clusters] == list(CLUSTERS)
    assert result.means["intensity"] == 3.25
    with pytest.raises(KeyError):
        result["mood"]


@pytest.mark.parametrize("value", [0, 4])
def test_it_accepts_the_boundary_ratings(value: int) -> None:
    result = score(hrs(), full(value))
    assert set(result.means.values()) == {float(value)}


def test_it_tolerates_one_missing_item_per_cluster_by_default() -> None:
    answers = full(2)
    answers["int_01"] = None  # intensity 2,2,2 of 4 items: one missing, tolerated
    answers["int_02"] = 4
    del answers["vol_01"]  # absent counts as unanswered too
    result = score(hrs(), answers)
    # intensity: (4 + 2 + 2) / 3 = 2.666...
    assert result["intensity"].mean == pytest.approx(8 / 3)
    assert result["intensity"].n_answered == 3
    assert result["intensity"].missing_reason is None
    assert result["volition"].mean == 2.0


def test_it_scores_a_cluster_with_too_many_missing_items_as_missing() -> None:
    answers = full(1)
    answers["int_01"] = None
    answers["int_02"] = float("nan")  # NaN from a tidy table is unanswered
    result = score(hrs(), answers)
    assert result["intensity"].mean is None
    assert result["intensity"].missing_reason == "2 of 4 items missing, at most 1 allowed"
    assert result["intensity"].n_answered == 2
    assert result["affect"].mean == 1.0


def test_it_takes_a_tolerance_of_zero_literally() -> None:
    answers = full(3)
    answers["aff_07"] = None
    result = score(hrs(max_missing_per_cluster=0), answers)
    assert result["affect"].mean is None
    assert result["affect"].missing_reason == "1 of 18 items missing, at most 0 allowed"


def test_it_applies_per_cluster_tolerances_with_the_default_for_unlisted_clusters() -> None:
    defn = hrs(max_missing_per_cluster={"affect": 3, "intensity": 0})
    answers = full(1)
    for item in ("aff_01", "aff_02", "aff_03", "int_04", "som_01", "som_02"):
        answers[item] = None
    result = score(defn, answers)
    assert result["affect"].mean == 1.0  # 3 missing, 3 tolerated
    assert result["intensity"].mean is None  # 1 missing, 0 tolerated
    assert result["somaesthesia"].mean is None  # 2 missing, default 1 tolerated
    assert defn.tolerance("volition") == 1


def test_it_reports_a_cluster_without_answers_when_the_tolerance_allows_all_missing() -> None:
    defn = hrs(max_missing_per_cluster={"intensity": 4})
    answers = {k: v for k, v in full(2).items() if not k.startswith("int_")}
    result = score(defn, answers)
    assert result["intensity"].mean is None
    assert result["intensity"].missing_reason == "no item answered"


@pytest.mark.parametrize("bad", [5, -1, 2.5, True, "3", float("inf")])
def test_it_refuses_ratings_outside_0_to_4(bad: object) -> None:
    answers = full(2)
    answers["som_03"] = bad
    with pytest.raises(ScoringError, match=r"hrs item som_03: expected a whole number 0-4"):
        score(hrs(), answers)


def test_it_refuses_unknown_item_ids() -> None:
    answers = full(2)
    answers["som_99"] = 1
    with pytest.raises(ScoringError, match="unknown item id 'som_99'"):
        score(hrs(), answers)


def test_it_refuses_answers_that_are_not_a_mapping() -> None:
    with pytest.raises(ScoringError, match="expected answers as item id -> rating, got list"):
        score(hrs(), [1, 2, 3])


def test_it_accepts_integral_numpy_ratings() -> None:
    answers: dict[str, object] = {k: np.int64(3) for k in full(0)}
    answers["som_01"] = np.float64(1.0)
    result = score(hrs(), answers)
    assert result["affect"].mean == 3.0
    assert result["somaesthesia"].mean == pytest.approx((1 + 12 * 3) / 13)


def test_it_scores_a_site_bank_the_same_way() -> None:
    bank = {c: [f"{c[:3]}_x{n}" for n in range(1, 4)] for c in CLUSTERS}
    defn = hrs(item_bank=bank)
    answers = {"som_x1": 4, "som_x2": 0, "som_x3": 1, "aff_x1": 2}
    result = score(defn, answers)
    assert result["somaesthesia"].mean == pytest.approx(5 / 3)
    assert result["affect"].mean is None  # 2 of 3 missing
    assert defn.item_ids()[:3] == ("som_x1", "som_x2", "som_x3")


_ratings = st.one_of(st.none(), st.integers(min_value=0, max_value=4))


@settings(max_examples=60, deadline=None)
@given(st.lists(_ratings, min_size=72, max_size=72), st.integers(min_value=0, max_value=3))
def test_it_agrees_with_numpy_nanmean(ratings: list[int | None], tolerance: int) -> None:
    answers = {item.id: r for item, r in zip(BUILTIN_ITEMS, ratings, strict=True)}
    result = score(hrs(max_missing_per_cluster=tolerance), answers)
    for cluster, ids in builtin_clusters().items():
        values = np.array([np.nan if answers[i] is None else answers[i] for i in ids], float)
        n_missing = int(np.isnan(values).sum())
        got = result[cluster].mean
        if n_missing > tolerance or n_missing == len(ids):
            assert got is None
        else:
            assert got is not None
            assert math.isclose(got, float(np.nanmean(values)), rel_tol=1e-12)
