"""Scored instruments through the form store: the raw-data shape of each kind, and answers the
analysis could not score refused at entry, under the fields they concern."""

from __future__ import annotations

from typing import Any

import pytest

from psytrial.core.errors import FormError
from psytrial.core.instruments import score
from psytrial.core.roles import Role
from psytrial.web.forms.actions import save_form
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.queries import current_data
from psytrial.web.forms.validation import clean
from psytrial.web.trial.models import Participant
from tests.web.personas import Personas, make_study, personas
from tests.web.test_enrolment_support import fast_passwords, screened, valid_raw  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(people: Personas) -> Participant:
    return screened(people)


def _hrs_raw(participant: Participant, rating: str = "2") -> dict[str, str]:
    defn = participant.study.protocol.instrument("hrs")
    return {item: rating for item in defn.item_ids()}  # type: ignore[union-attr]


def test_it_stores_hrs_ratings_that_score_like_the_core(
    people: Personas, participant: Participant
) -> None:
    raw = _hrs_raw(participant, "3") | {"som_01": "", "aff_02": "4"}
    record = save_form(people[Role.PSYCHOTHERAPIST], participant, "hrs", "session", raw)
    data = current_data(record)
    assert data["som_01"] is None and data["aff_02"] == 4 and data["per_17"] == 3
    result = score(participant.study.protocol.instrument("hrs"), data)
    assert result.means["somaesthesia"] == 3.0  # type: ignore[union-attr]
    assert result.means["affect"] == pytest.approx((3 * 17 + 4) / 18)  # type: ignore[union-attr]


def test_it_refuses_an_hrs_cluster_with_too_many_blanks(
    people: Personas, participant: Participant
) -> None:
    raw = _hrs_raw(participant) | {"vol_01": "", "vol_02": ""}
    with pytest.raises(FormError) as caught:
        save_form(people[Role.PSYCHOTHERAPIST], participant, "hrs", "session", raw)
    message = "required: cluster volition: 2 of 9 items missing, at most 1 allowed"
    assert caught.value.field_errors == {"vol_01": [message], "vol_02": [message]}
    assert not FormRecord.objects.exists()


@pytest.mark.parametrize(
    ("rating", "message"),
    [
        ("5", "expected a whole number between 0 and 4, got 5"),
        ("-1", "expected a whole number between 0 and 4, got -1"),
        ("2.5", "expected a whole number between 0 and 4, got 2.5"),
        ("lots", "expected a whole number between 0 and 4, got 'lots'"),
    ],
)
def test_it_refuses_an_hrs_rating_out_of_range(
    people: Personas, participant: Participant, rating: str, message: str
) -> None:
    with pytest.raises(FormError) as caught:
        save_form(
            people[Role.PSYCHOTHERAPIST],
            participant,
            "hrs",
            "session",
            _hrs_raw(participant) | {"int_04": rating},
        )
    assert caught.value.field_errors == {"int_04": [message]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("101", "expected a number between 0 and 100, got 101"),
        ("", "required: expected a number between 0 and 100, got nothing"),
        ("a lot", "expected a number between 0 and 100, got 'a lot'"),
    ],
)
def test_it_refuses_a_bad_vas_mark(
    people: Personas, participant: Participant, value: str, message: str
) -> None:
    with pytest.raises(FormError) as caught:
        save_form(people[Role.OUTCOME_RATER], participant, "craving", "baseline", {"value": value})
    assert caught.value.field_errors == {"value": [message]}


def test_it_stores_a_vas_mark(people: Personas, participant: Participant) -> None:
    record = save_form(
        people[Role.OUTCOME_RATER], participant, "craving", "baseline", {"value": "42.5"}
    )
    assert current_data(record) == {"value": 42.5}


def _colour_raw(participant: Participant) -> dict[str, str]:
    return valid_raw(participant.study.protocol.instrument("colour_test"))


def test_it_stores_a_colour_test_that_scores(people: Personas, participant: Participant) -> None:
    raw = _colour_raw(participant) | {"concept_heroin": "black", "concept_myself": "blue"}
    record = save_form(people[Role.OUTCOME_RATER], participant, "colour_test", "baseline", raw)
    data = current_data(record)
    assert [data[f"rank_{i}"] for i in range(1, 9)] == [
        "grey",
        "blue",
        "green",
        "red",
        "yellow",
        "violet",
        "brown",
        "black",
    ]
    defn = participant.study.protocol.instrument("colour_test")
    answers: dict[str, Any] = {
        "ranking": [data[f"rank_{i}"] for i in range(1, 9)],
        "assignments": {c: data[f"concept_{c}"] for c in defn.concepts},  # type: ignore[union-attr]
    }
    result = score(defn, answers)
    assert result["heroin"].rank == 8 and result["myself"].rank == 2  # type: ignore[index]


def test_it_refuses_a_colour_ranked_twice(people: Personas, participant: Participant) -> None:
    raw = _colour_raw(participant) | {"rank_5": "grey"}
    with pytest.raises(FormError) as caught:
        save_form(people[Role.OUTCOME_RATER], participant, "colour_test", "baseline", raw)
    assert caught.value.field_errors == {
        "rank_5": ["expected each colour once; grey is already preference 1"]
    }


def test_it_refuses_a_concept_without_a_colour(people: Personas, participant: Participant) -> None:
    raw = _colour_raw(participant) | {"concept_my_future": ""}
    with pytest.raises(FormError) as caught:
        save_form(people[Role.OUTCOME_RATER], participant, "colour_test", "baseline", raw)
    assert list(caught.value.field_errors) == ["concept_my_future"]
    assert caught.value.field_errors["concept_my_future"][0].startswith("required: expected one")


def test_a_questionnaire_allows_its_blanks_and_refuses_more() -> None:
    study = make_study("kpt2007.yaml")
    defn = study.protocol.instrument("depression")
    assert clean(defn, {"d1": "3", "d2": "", "d3": "1", "d4": "0", "d5": "2"}) == {
        "d1": 3.0,
        "d2": None,
        "d3": 1.0,
        "d4": 0.0,
        "d5": 2.0,
    }
    with pytest.raises(FormError) as caught:
        clean(defn, {"d1": "3", "d2": "", "d3": "", "d4": "0", "d5": "4"})
    errors = caught.value.field_errors
    assert errors["d5"] == ["expected a number between 0 and 3, got 4"]
    with pytest.raises(FormError) as caught:
        clean(defn, {"d1": "3", "d2": "", "d3": "", "d4": "0", "d5": "2"})
    message = "required: total: 2 of 5 items missing, at most 1 allowed"
    assert caught.value.field_errors == {"d2": [message], "d3": [message]}


def test_a_protocol_without_a_consent_form_gets_the_built_in_one() -> None:
    study = make_study("kpt2007.yaml")
    people = personas(study)
    p = screened(people)
    record = save_form(
        people[Role.INVESTIGATOR],
        p,
        "consent",
        "screening",
        {"consent_version": "1", "consent_date": "2007-01-10", "taken_by": "Dr Krupitsky"},
    )
    assert current_data(record)["consent_date"] == "2007-01-10"
