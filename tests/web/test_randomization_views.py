"""Randomization pages for every role and the outsider: the randomize button's target, the
statistician's list page (generate, upload, malformed upload), and the commitment on the
study page of every member."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from psytrial.core.allocation import SeededSource, generate_from, to_csv
from psytrial.core.protocol.adapters import allocation_parameters
from psytrial.core.roles import Role
from psytrial.web.randomization.models import AllocationList, AllocationSlot
from psytrial.web.trial.models import Participant
from tests.web.personas import Personas
from tests.web.test_enrolment_support import (  # noqa: F401
    client_of,
    fast_passwords,
    publish,
    ready,
)

pytestmark = pytest.mark.django_db
STAT = Role.RANDOMIZATION_STATISTICIAN


@pytest.mark.parametrize("role", list(Role))
def test_only_an_investigator_randomizes_from_the_page(people: Personas, role: Role) -> None:
    publish(people)
    p = ready(people)
    client = client_of(people[role])
    response = client.post(f"/s/kpt2002/participants/{p.pk}/randomize/")
    p.refresh_from_db()
    if role == Role.INVESTIGATOR:
        assert response.status_code == 302 and p.status == "randomized"
        page = client.get(response["Location"]).content.decode()
        assert f"SPB-0001 randomized: kit {p.kit_code}." in page
        again = client.post(f"/s/kpt2002/participants/{p.pk}/randomize/", follow=True)
        assert f"SPB-0001 was already randomized: kit {p.kit_code}." in again.content.decode()
    else:
        assert response.status_code == 403 and p.status == "consented"
    assert client.get(f"/s/kpt2002/participants/{p.pk}/randomize/").status_code == 405


def test_a_refusal_is_shown_with_its_reason(people: Personas) -> None:
    p = ready(people)
    client = client_of(people[Role.INVESTIGATOR])
    response = client.post(f"/s/kpt2002/participants/{p.pk}/randomize/", follow=True)
    assert "has not published the allocation list" in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_the_list_page_is_the_statisticians_alone(people: Personas, role: Role) -> None:
    client = client_of(people[role])
    page = client.get("/s/kpt2002/randomization/")
    generated = client.post(
        "/s/kpt2002/randomization/generate/", {"n_per_stratum": "8", "seed": "5"}
    )
    text = to_csv(generate_from(allocation_parameters(people.study.protocol, 2), SeededSource(9)))
    uploaded = _upload(client, text)
    if role == STAT:
        assert page.status_code == 200 and "Generate and seal" in page.content.decode()
        assert generated.status_code == 302
        body = client.get("/s/kpt2002/randomization/").content.decode()
        row = AllocationList.objects.get()
        assert row.commitment in body and body.count("<tr><td>sex=") == 16
        assert "<td>high</td>" in body and "<td>low</td>" in body
        assert "expected no allocation list yet, but one exists" in uploaded.content.decode()
    else:
        assert page.status_code == 403 and generated.status_code == 403
        assert uploaded.status_code == 403
        assert not AllocationList.objects.exists()


def test_the_outsider_gets_no_randomization_page(people: Personas) -> None:
    publish(people)
    p = ready(people)
    client = client_of(people.outsider)
    assert client.get("/s/kpt2002/randomization/").status_code == 403
    assert (
        client.post("/s/kpt2002/randomization/generate/", {"n_per_stratum": "4"}).status_code == 403
    )
    assert client.post("/s/kpt2002/randomization/upload/").status_code == 403
    assert client.post(f"/s/kpt2002/participants/{p.pk}/randomize/").status_code == 403


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"n_per_stratum": "ten"}, "n_per_stratum: expected a whole number of slots per stratum"),
        ({"n_per_stratum": "0"}, "n_per_stratum: expected an integer &gt;= 1, got 0"),
        ({"n_per_stratum": "4", "seed": "x"}, "seed: expected a whole number or nothing"),
        ({"n_per_stratum": "4", "seed": "-3"}, "seed: expected a whole number of at least 0"),
    ],
)
def test_bad_generation_parameters_are_named(
    people: Personas, form: dict[str, str], message: str
) -> None:
    client = client_of(people[STAT])
    response = client.post("/s/kpt2002/randomization/generate/", form, follow=True)
    assert message in response.content.decode()
    assert not AllocationList.objects.exists()


def _upload(client, text: str):  # type: ignore[no-untyped-def]
    sent = SimpleUploadedFile("list.csv", text.encode(), content_type="text/csv")
    return client.post("/s/kpt2002/randomization/upload/", {"csv": sent}, follow=True)


def test_an_uploaded_list_is_loaded_and_a_malformed_one_changes_nothing(people: Personas) -> None:
    client = client_of(people[STAT])
    text = to_csv(generate_from(allocation_parameters(people.study.protocol, 6), SeededSource(3)))
    bad = text.replace("sex=female,2,", "sex=female,7,", 1)
    response = _upload(client, bad)
    assert "The list was not loaded: line" in response.content.decode()
    assert "expected sequence 2 in stratum &#x27;sex=female&#x27;, got 7" in (
        response.content.decode()
    )
    assert not AllocationList.objects.exists() and not AllocationSlot.objects.exists()
    assert (
        "file: expected UTF-8 text"
        in client.post(
            "/s/kpt2002/randomization/upload/",
            {"csv": SimpleUploadedFile("x.csv", b"\xff\xfe")},
            follow=True,
        ).content.decode()
    )
    response = _upload(client, text)
    assert "Allocation list loaded; commitment" in response.content.decode()
    assert AllocationSlot.objects.count() == 12


@pytest.mark.parametrize("role", list(Role))
def test_every_member_sees_the_commitment_on_the_study_page(people: Personas, role: Role) -> None:
    client = client_of(people[role])
    assert "has not been published yet" in client.get("/s/kpt2002/").content.decode()
    row = publish(people)
    body = client.get("/s/kpt2002/").content.decode()
    assert f'<code class="commitment" id="commitment">{row.commitment}</code>' in body
    assert ("Allocation list</a>" in body) == (role == STAT)
    assert ("Screening</a>" in body) == (role == Role.INVESTIGATOR)


def test_participants_are_listed_with_kit_codes_only(people: Personas) -> None:
    publish(people)
    p = ready(people)
    client_of(people[Role.INVESTIGATOR]).post(f"/s/kpt2002/participants/{p.pk}/randomize/")
    p = Participant.objects.get(pk=p.pk)
    body = client_of(people[Role.MONITOR]).get("/s/kpt2002/participants/").content.decode()
    assert p.kit_code in body and ">high<" not in body and ">low<" not in body
    assert "Ketamine" not in body and "mg/kg" not in body
