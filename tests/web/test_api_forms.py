"""Bad inputs through the form API: out of range, wrong type, missing required item, double
submit, editing a locked form, a locked database. Each answers with a field-level message in
the API's one error shape and changes nothing. And a blinded reader's form responses never
hold sealed data; an outcome rater's never hold an arm-revealing instrument."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.forms.models import FormVersion
from psytrial.web.quality.lock import lock_checked_form, lock_study
from psytrial.web.trial.models import Participant
from tests.web.personas import Personas
from tests.web.test_pharmacy_support import (
    SimClock,
    clock_fixture,  # noqa: F401 (the clock_at fixture)
    fast_passwords,  # noqa: F401 (autouse)
    token_of,
)
from tests.web.test_quality_support import dosed_pair, hrs_answers, record_of

pytestmark = pytest.mark.django_db
GOOD = {"age": 35, "sex": "male", "weight_kg": 70, "years_heroin_use": 8}


@pytest.fixture
def p(people: Personas, clock_at: SimClock) -> Participant:
    high, _ = dosed_pair(people, clock_at)
    return high


def _put(
    people: Personas, role: Role, p: Participant, instrument: str, visit: str, body: dict[str, Any]
) -> Any:
    url = f"/api/forms/{people.study.code}/participants/{p.pk}/{instrument}/{visit}/1"
    return Client().put(
        url, json.dumps(body), content_type="application/json", **token_of(people[role])
    )


def _get(people: Personas, role: Role, p: Participant, instrument: str, visit: str) -> Any:
    url = f"/api/forms/{people.study.code}/participants/{p.pk}/{instrument}/{visit}/1"
    return Client().get(url, **token_of(people[role]))


def _state() -> tuple[int, int]:
    """Form versions and audit entries (issuing the test's API token is audited too: not
    counted)."""
    audited = AuditEntry.objects.exclude(action="api_token.issued").count()
    return FormVersion.objects.count(), audited


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({**GOOD, "age": 70}, "age", "expected a whole number between 18 and 60"),
        ({**GOOD, "weight_kg": "heavy"}, "weight_kg", "expected a number"),
        ({**GOOD, "sex": "unknown"}, "sex", "expected one of"),
        ({k: v for k, v in GOOD.items() if k != "weight_kg"}, "weight_kg", "required"),
    ],
)
def test_a_bad_value_is_a_field_error_and_changes_nothing(
    people: Personas, p: Participant, data: dict[str, Any], field: str, message: str
) -> None:
    before = _state()
    response = _put(
        people,
        Role.INVESTIGATOR,
        p,
        "baseline",
        "baseline",
        {"data": data, "reason": "correction", "expected_version": 1},
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"detail", "field_errors"}
    assert message in body["field_errors"][field][0], body
    assert _state() == before


def test_a_double_submit_is_refused_the_second_time(people: Personas, p: Participant) -> None:
    body = {"data": {**GOOD, "weight_kg": 71}, "reason": "re-weighed", "expected_version": 1}
    assert _put(people, Role.INVESTIGATOR, p, "baseline", "baseline", body).status_code == 200
    before = _state()
    again = _put(
        people, Role.INVESTIGATOR, p, "baseline", "baseline", {**body, "expected_version": 2}
    )
    assert again.status_code == 409
    assert "nothing to save" in again.json()["field_errors"]["__all__"][0]
    stale = _put(
        people,
        Role.INVESTIGATOR,
        p,
        "baseline",
        "baseline",
        {**body, "data": {**GOOD, "weight_kg": 72}},
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert _state() == before


def test_editing_a_locked_form_or_a_locked_database_is_refused(
    people: Personas, p: Participant
) -> None:
    lock_checked_form(people[Role.DATA_MANAGER], record_of(p, "baseline", "baseline"))
    body = {"data": {**GOOD, "age": 36}, "reason": "typo", "expected_version": 1}
    before = _state()
    locked_form = _put(people, Role.INVESTIGATOR, p, "baseline", "baseline", body)
    assert locked_form.status_code == 409
    assert "locked" in locked_form.json()["field_errors"]["__all__"][0]
    lock_study(people[Role.DATA_MANAGER], people.study, "final")
    locked_db = _put(people, Role.OUTCOME_RATER, p, "craving", "m01", {"data": {"value": 40}})
    assert (
        locked_db.status_code == 409 and "expected an open database" in locked_db.json()["detail"]
    )
    assert _state()[0] == before[0]


def test_a_wrong_json_type_is_a_400_with_the_field(people: Personas, p: Participant) -> None:
    response = _put(people, Role.INVESTIGATOR, p, "baseline", "baseline", {"data": "all of it"})
    assert response.status_code == 400 and "data" in response.json()["field_errors"]


def test_a_blinded_reader_gets_the_form_and_no_sealed_data(
    people: Personas, p: Participant
) -> None:
    from psytrial.web.enrolment.actions import enter_form

    enter_form(people[Role.PSYCHOTHERAPIST], p, "hrs", "session", hrs_answers())
    inv = _get(people, Role.INVESTIGATOR, p, "hrs", "session")
    assert inv.status_code == 200 and inv.json()["data"]["som_01"] == 2
    text = inv.content.decode()
    assert '"high"' not in text and '"low"' not in text and "mg" not in text
    rater = _get(people, Role.OUTCOME_RATER, p, "hrs", "session")
    assert rater.status_code == 403 and "som_01" not in rater.content.decode()


def test_a_first_saves_answer_is_what_reading_the_entry_back_gives(
    people: Personas, p: Participant
) -> None:
    """A first save answers from the version it has just written (no read back); an edit
    reads the history. Either answer equals a later GET of the entry, field for field."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    body = {"data": {"value": 42}, "expected_version": 0}
    with CaptureQueriesContext(connection) as saving:
        saved = _put(people, Role.OUTCOME_RATER, p, "craving", "m01", body)
    assert saved.status_code == 200, saved.content
    assert not any('FROM "forms_formversion"' in q["sql"] for q in saving.captured_queries)
    read = _get(people, Role.OUTCOME_RATER, p, "craving", "m01")
    assert saved.json() == read.json()
    assert saved.json()["version"] == 1 and len(saved.json()["history"]) == 1

    edit = {"data": {"value": 41}, "expected_version": 1, "reason": "misread the scale"}
    edited = _put(people, Role.OUTCOME_RATER, p, "craving", "m01", edit)
    assert edited.status_code == 200, edited.content
    assert edited.json() == _get(people, Role.OUTCOME_RATER, p, "craving", "m01").json()
    assert [h["version"] for h in edited.json()["history"]] == [1, 2]
