"""Scoring of the VAS, the colour test of attitudes and generic questionnaires.

Expected values are worked by hand from the formulas in docs/instruments.md: colour test
rank and positivity (n - rank) / (n - 1) after Bazhin & Etkind (1985); reverse scoring
min + max - x; prorated sum = mean of answered items x item count.
"""

from __future__ import annotations

from typing import Any

import pytest

from psytrial.core.errors import ScoringError
from psytrial.core.instruments import (
    ColourTestAnswers,
    ColourTestInstrument,
    QuestionnaireInstrument,
    VasInstrument,
    parse_instrument,
    score,
)
from psytrial.core.instruments.scoring import score_vas


def vas(**extra: Any) -> VasInstrument:
    data = {"id": "craving", "kind": "vas", "label": "Craving"}
    data |= {"min_label": "none", "max_label": "strongest"} | extra
    defn = parse_instrument(data)
    assert isinstance(defn, VasInstrument)
    return defn


@pytest.mark.parametrize("value", [0, 100, 37.5, 64])
def test_it_scores_a_vas_mark_as_itself(value: float) -> None:
    result = score(vas(), value)
    assert result.value == float(value)
    assert result.instrument_id == "craving"


@pytest.mark.parametrize(
    ("bad", "got"),
    [(100.5, "100.5"), (-1, "-1"), (None, "nothing"), ("50", "'50'"), (True, "True")],
)
def test_it_refuses_vas_marks_outside_the_scale(bad: object, got: str) -> None:
    with pytest.raises(
        ScoringError, match=f"craving: expected a number between 0 and 100, got {got}"
    ):
        score(vas(), bad)


def test_it_uses_the_declared_vas_range() -> None:
    defn = vas(min=0, max=10)
    assert score_vas(defn, 10).value == 10.0
    with pytest.raises(ScoringError, match="between 0 and 10, got 11"):
        score_vas(defn, 11)


COLOURS = ("grey", "blue", "green", "red", "yellow", "violet", "brown", "black")
RANKING = ("yellow", "red", "green", "blue", "violet", "grey", "brown", "black")


def cta() -> ColourTestInstrument:
    defn = parse_instrument(
        {
            "id": "cta",
            "kind": "colour_test",
            "label": "CTA",
            "concepts": ["myself", "my_future", "heroin", "my_ideal_self"],
        }
    )
    assert isinstance(defn, ColourTestInstrument)
    return defn


def test_it_ranks_each_concept_by_the_preference_of_its_colour() -> None:
    answers = ColourTestAnswers(
        ranking=RANKING,
        assignments={
            "myself": "green",
            "my_future": "yellow",
            "heroin": "black",
            "my_ideal_self": "red",
        },
    )
    result = score(cta(), answers)
    # n = 8: green is 3rd -> (8-3)/7 = 5/7; yellow 1st -> 1; black 8th -> 0; red 2nd -> 6/7
    assert result["myself"].rank == 3
    assert result["myself"].positivity == pytest.approx(0.7142857142857143)
    assert (result["my_future"].rank, result["my_future"].positivity) == (1, 1.0)
    assert (result["heroin"].rank, result["heroin"].positivity) == (8, 0.0)
    assert result["my_ideal_self"].positivity == pytest.approx(6 / 7)
    assert [a.concept for a in result.concepts] == [
        "myself",
        "my_future",
        "heroin",
        "my_ideal_self",
    ]


def test_it_refuses_lookups_of_unknown_concepts() -> None:
    result = score(cta(), {"ranking": RANKING, "assignments": ALL})
    with pytest.raises(KeyError):
        result["my_past"]


def test_it_lets_concepts_share_a_colour_and_reads_plain_mappings() -> None:
    answers = {
        "ranking": list(RANKING),
        "assignments": {c: "grey" for c in ("myself", "my_future", "heroin", "my_ideal_self")},
    }
    result = score(cta(), answers)
    # grey is 6th of 8 -> positivity 2/7
    assert {a.rank for a in result.concepts} == {6}
    assert result.concepts[0].positivity == pytest.approx(2 / 7)


def test_it_scores_a_two_colour_test_at_the_ends_of_the_scale() -> None:
    defn = parse_instrument(
        {
            "id": "cta2",
            "kind": "colour_test",
            "label": "x",
            "colours": ["red", "blue"],
            "concepts": ["a", "b"],
        }
    )
    result = score(defn, {"ranking": ["blue", "red"], "assignments": {"a": "red", "b": "blue"}})
    assert [(c.rank, c.positivity) for c in result.concepts] == [(2, 0.0), (1, 1.0)]


ALL = {"myself": "green", "my_future": "yellow", "heroin": "black", "my_ideal_self": "red"}


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"ranking": RANKING[:-1], "assignments": ALL}, "exactly once"),
        ({"ranking": (*RANKING[:-1], "yellow"), "assignments": ALL}, "exactly once"),
        ({"ranking": (*RANKING[:-1], "pink"), "assignments": ALL}, "exactly once"),
        ({"ranking": "yellow,red", "assignments": ALL}, "expected a ranking list"),
        ({"ranking": RANKING, "assignments": ["green"]}, "expected assignments"),
        (
            {"ranking": RANKING, "assignments": {**ALL, "my_past": "red"}},
            "unknown concept 'my_past'",
        ),
        (
            {"ranking": RANKING, "assignments": {**ALL, "heroin": None}},
            "concept 'heroin', got nothing",
        ),
        (
            {"ranking": RANKING, "assignments": {k: v for k, v in ALL.items() if k != "heroin"}},
            "concept 'heroin', got nothing",
        ),
        (
            {"ranking": RANKING, "assignments": {**ALL, "heroin": "pink"}},
            "concept 'heroin': expected one of grey, blue",
        ),
        ("yellow", "expected a ranking and assignments, got str"),
    ],
)
def test_it_refuses_invalid_colour_test_responses(answers: object, message: str) -> None:
    with pytest.raises(ScoringError, match=message):
        score(cta(), answers)


def questionnaire(**extra: Any) -> QuestionnaireInstrument:
    data: dict[str, Any] = {
        "id": "q",
        "kind": "questionnaire",
        "label": "Q",
        "score": "sum",
        "items": [
            {"id": "a", "label": "A", "min": 1, "max": 5},
            {"id": "b", "label": "B", "min": 1, "max": 5},
            {"id": "c", "label": "C", "min": 1, "max": 5, "reverse": True},
            {"id": "d", "label": "D", "min": 1, "max": 5},
        ],
        "subscales": {"ab": ["a", "b"], "cd": ["c", "d"]},
    }
    defn = parse_instrument(data | extra)
    assert isinstance(defn, QuestionnaireInstrument)
    return defn


def test_it_sums_items_reversing_the_reverse_scored_ones() -> None:
    result = score(questionnaire(), {"a": 4, "b": 2, "c": 1, "d": 3})
    # c = 1 reversed on 1-5 -> 5; total 4 + 2 + 5 + 3 = 14; subscales 6 and 8
    assert result.total == 14.0
    assert result.subscale("ab").value == 6.0
    assert result.subscale("cd").value == 8.0


def test_it_takes_the_mean_when_asked() -> None:
    result = score(questionnaire(score="mean"), {"a": 4, "b": 2, "c": 1, "d": 3})
    assert result.total == 3.5
    assert result.subscale("cd").value == 4.0


def test_it_prorates_a_sum_with_tolerated_missing_items() -> None:
    result = score(questionnaire(max_missing=1), {"a": 4, "b": 2, "c": 1, "d": None})
    # answered 4, 2, 5 -> mean 11/3, times 4 items -> 44/3 = 14.666...
    assert result.total == pytest.approx(14.666666666666666)
    assert result.overall.n_answered == 3
    # cd: only c answered (5), 1 of 2 missing tolerated -> 5 * 2 = 10
    assert result.subscale("cd").value == 10.0


def test_it_scores_as_missing_beyond_the_tolerance() -> None:
    result = score(questionnaire(max_missing=1), {"a": 4, "b": None})  # c, d absent
    assert result.total is None
    assert result.overall.missing_reason == "3 of 4 items missing, at most 1 allowed"
    assert result.subscale("ab").value == 8.0
    assert result.subscale("cd").missing_reason == "2 of 2 items missing, at most 1 allowed"
    lenient = score(questionnaire(max_missing=2), {"a": 4, "b": 1})
    # total: 2 of 4 missing tolerated -> (4 + 1) / 2 * 4 = 10; cd has nothing to average
    assert lenient.total == 10.0
    assert lenient.subscale("cd").value is None
    assert lenient.subscale("cd").missing_reason == "no item answered"


def test_it_refuses_any_missing_item_by_default() -> None:
    result = score(questionnaire(), {"a": 4, "b": 2, "c": 1})
    assert result.total is None
    with pytest.raises(KeyError):
        result.subscale("nope")


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"a": 6}, r"q item a: expected a number between 1 and 5, got 6"),
        ({"a": 0}, r"q item a: expected a number between 1 and 5, got 0"),
        ({"a": False}, r"q item a: expected a number between 1 and 5, got False"),
        ({"zz": 1}, "q: unknown item id 'zz'"),
    ],
)
def test_it_refuses_invalid_questionnaire_answers(answers: object, message: str) -> None:
    with pytest.raises(ScoringError, match=message):
        score(questionnaire(), answers)


def test_it_has_no_score_for_forms() -> None:
    form = parse_instrument(
        {
            "id": "f",
            "kind": "form",
            "label": "F",
            "fields": [{"id": "x", "label": "X", "type": "text"}],
        }
    )
    with pytest.raises(ScoringError, match="f: a form has no score"):
        score(form, {"x": "y"})


def test_it_returns_frozen_scores() -> None:
    result = score(vas(), 10)
    with pytest.raises(AttributeError):
        result.value = 20
