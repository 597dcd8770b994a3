"""The generic form page: drawn from the definition (accessible labels, units, help, choices),
field-level messages with the values kept, conflicts shown with both versions, locks, and
every role and the outsider against reading and entering."""

from __future__ import annotations

import re

import pytest

from psytrial.core.roles import Role
from psytrial.web.forms.actions import save_form
from psytrial.web.forms.models import FormRecord, FormVersion
from psytrial.web.forms.queries import current_data
from psytrial.web.trial.models import Participant
from tests.web.personas import Personas
from tests.web.test_enrolment_support import (  # noqa: F401
    baseline,
    client_of,
    fast_passwords,
    screened,
    valid_raw,
)

pytestmark = pytest.mark.django_db

READERS = {
    Role.INVESTIGATOR,
    Role.PSYCHOTHERAPIST,
    Role.SESSION_CLINICIAN,
    Role.OUTCOME_RATER,
    Role.PHARMACIST,
    Role.DATA_MANAGER,
    Role.MONITOR,
    Role.DSMB_MEMBER,
}


@pytest.fixture
def participant(people: Personas) -> Participant:
    return screened(people)


def _url(
    p: Participant, instrument: str, visit: str, occurrence: int = 1, variant: str = ""
) -> str:
    tail = f"as/{variant}/" if variant else ""
    return f"/s/kpt2002/participants/{p.pk}/forms/{instrument}/{visit}/{occurrence}/{tail}"


def test_it_draws_any_form_from_its_definition(people: Personas, participant: Participant) -> None:
    body = (
        client_of(people[Role.INVESTIGATOR])
        .get(_url(participant, "baseline", "baseline"))
        .content.decode()
    )
    assert '<label for="id_weight_kg">Weight (kg) <span aria-hidden="true">*</span></label>' in body
    assert re.search(
        r'<input id="id_weight_kg" name="weight_kg" type="number" value="" '
        r'min="40" max="150" step="any"',
        body,
    )
    assert "<legend>Sex <span" in body and 'value="female"' in body
    assert 'name="expected_version" value="0"' in body


def test_it_draws_the_hrs_as_rows_of_radio_buttons(
    people: Personas, participant: Participant
) -> None:
    body = (
        client_of(people[Role.PSYCHOTHERAPIST])
        .get(_url(participant, "hrs", "session"))
        .content.decode()
    )
    assert "<h2>Somaesthesia</h2>" in body and "<h2>Intensity</h2>" in body
    assert body.count('type="radio" name="som_01"') == 5
    assert "4 extremely" in body and "som_01: rush" in body


def test_field_errors_come_back_next_to_their_fields_with_the_values_kept(
    people: Personas, participant: Participant
) -> None:
    client = client_of(people[Role.INVESTIGATOR])
    response = client.post(
        _url(participant, "baseline", "baseline"),
        baseline(weight="150.5") | {"age": "thirty", "expected_version": "0"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert (
        '<div id="err_weight_kg" role="alert"><p class="error">Weight: expected a number '
        "between 40 and 150, got 150.5</p></div>"
    ) in body
    assert "Age: expected a whole number between 18 and 60, got &#x27;thirty&#x27;" in body
    assert 'value="150.5"' in body and 'value="thirty"' in body
    assert 'aria-invalid="true" aria-describedby="err_weight_kg"' in body
    assert 'value="male" checked' in body
    assert not FormRecord.objects.exists()


def test_a_good_entry_is_saved_and_leads_back_to_the_participant(
    people: Personas, participant: Participant
) -> None:
    client = client_of(people[Role.INVESTIGATOR])
    response = client.post(
        _url(participant, "baseline", "baseline"), baseline() | {"expected_version": "0"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/s/kpt2002/participants/{participant.pk}/"
    record = FormRecord.objects.get()
    assert current_data(record)["sex"] == "male"
    again = client.post(
        _url(participant, "baseline", "baseline"), baseline() | {"expected_version": "0"}
    )
    assert "nothing to save: version 1" in again.content.decode()
    assert FormVersion.objects.count() == 1


def test_a_change_needs_a_reason_on_the_page(people: Personas, participant: Participant) -> None:
    client = client_of(people[Role.INVESTIGATOR])
    client.post(_url(participant, "baseline", "baseline"), baseline() | {"expected_version": "0"})
    page = client.get(_url(participant, "baseline", "baseline")).content.decode()
    assert 'id="id_reason"' in page and 'name="expected_version" value="1"' in page
    response = client.post(
        _url(participant, "baseline", "baseline"), baseline(weight="71") | {"expected_version": "1"}
    )
    assert "required: expected a reason for changing version 1, got nothing" in (
        response.content.decode()
    )
    client.post(
        _url(participant, "baseline", "baseline"),
        baseline(weight="71") | {"expected_version": "1", "reason": "rounding"},
    )
    assert FormRecord.objects.get().current_version == 2


def test_a_conflict_shows_the_submitted_and_the_saved_values(
    people: Personas, participant: Participant
) -> None:
    inv = people[Role.INVESTIGATOR]
    save_form(inv, participant, "baseline", "baseline", baseline(weight="70"))
    save_form(inv, participant, "baseline", "baseline", baseline(weight="71"), reason="a")
    response = client_of(inv).post(
        _url(participant, "baseline", "baseline"),
        baseline(weight="88") | {"expected_version": "1", "reason": "mine"},
    )
    body = response.content.decode()
    assert "expected version 1, but investigator_kpt2002 saved version 2" in body
    assert 'value="88"' in body and "Saved meanwhile by someone else: <strong>71</strong>" in body
    assert 'name="expected_version" value="2"' in body
    assert current_data(FormRecord.objects.get())["weight_kg"] == 71.0


def test_a_locked_form_is_read_only_and_refuses_a_post(
    people: Personas, participant: Participant
) -> None:
    save_form(people[Role.INVESTIGATOR], participant, "baseline", "baseline", baseline())
    dm = client_of(people[Role.DATA_MANAGER])
    url = _url(participant, "baseline", "baseline")
    assert "Lock this form" in dm.get(url).content.decode()
    assert dm.post(url + "lock/").status_code == 302
    inv = client_of(people[Role.INVESTIGATOR])
    page = inv.get(url).content.decode()
    assert "<strong>locked</strong>" in page and 'name="weight_kg"' not in page
    response = inv.post(url, baseline(weight="72") | {"expected_version": "1", "reason": "x"})
    assert "expected an unlocked form, got one locked" in response.content.decode()
    assert FormRecord.objects.get().current_version == 1


@pytest.mark.parametrize("role", list(Role))
def test_reading_and_entering_by_role(
    people: Personas, participant: Participant, role: Role
) -> None:
    client = client_of(people[role])
    url = _url(participant, "baseline", "baseline")
    get = client.get(url)
    post = client.post(url, baseline() | {"expected_version": "0"})
    if role == Role.INVESTIGATOR:
        assert get.status_code == 200 and post.status_code == 302
    elif role in READERS:
        assert get.status_code == 200 and 'name="weight_kg"' not in get.content.decode()
        assert post.status_code == 403
    else:
        assert get.status_code == 403 and post.status_code == 403
    hrs = client.get(_url(participant, "hrs", "session"))
    expected = 200 if role in READERS - {Role.OUTCOME_RATER} else 403
    assert hrs.status_code == expected
    assert (
        client.get(_url(participant, "blinding_guess", "integration1", 1, "rater")).status_code
    ) == (200 if role in READERS else 403)
    lock = client.post(url + "lock/")  # nothing saved by anyone but the investigator
    assert lock.status_code == (404 if role == Role.DATA_MANAGER else 403)


def test_the_outsider_reads_and_enters_nothing(people: Personas, participant: Participant) -> None:
    save_form(people[Role.INVESTIGATOR], participant, "baseline", "baseline", baseline())
    client = client_of(people.outsider)
    url = _url(participant, "baseline", "baseline")
    assert client.get(url).status_code == 403
    assert client.post(url, baseline(weight="80")).status_code == 403
    assert client.post(url + "lock/").status_code == 403
    assert FormRecord.objects.get().current_version == 1


def test_the_rater_enters_only_their_own_blinding_guess(
    people: Personas, participant: Participant
) -> None:
    client = client_of(people[Role.OUTCOME_RATER])
    guess = valid_raw(people.study.protocol.instrument("blinding_guess"), "rater")
    own = _url(participant, "blinding_guess", "integration1", 1, "rater")
    assert 'value="rater" checked' in client.get(own).content.decode()
    assert client.post(own, guess | {"expected_version": "0"}).status_code == 302
    other = _url(participant, "blinding_guess", "integration1", 1, "therapist")
    assert client.get(other).status_code == 403
    response = client.post(own, guess | {"guesser_role": "therapist", "expected_version": "0"})
    assert response.status_code == 403
    assert FormRecord.objects.get().variant == "rater"


def test_unknown_instruments_and_variants_are_not_found(
    people: Personas, participant: Participant
) -> None:
    client = client_of(people[Role.INVESTIGATOR])
    assert client.get(_url(participant, "nonsense", "baseline")).status_code == 404
    assert client.get(_url(participant, "blinding_guess", "integration1")).status_code == 404
    assert client.get(_url(participant, "baseline", "baseline", 1, "rater")).status_code == 404
