"""Tidy CSV per instrument (one row per entry, current values), the data dictionary, who may
export them, and the export pages for every role."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.enrolment.actions import enter_form
from psytrial.web.exports.actions import export_dictionary, export_instrument
from psytrial.web.permissions import ActionDenied
from psytrial.web.trial.models import Participant
from tests.web.personas import Personas
from tests.web.test_enrolment_support import (  # noqa: F401
    baseline,
    client_of,
    fast_passwords,
    ready,
)
from tests.web.test_quality_support import extra_user

pytestmark = pytest.mark.django_db
EXPORTERS = {Role.DATA_MANAGER, Role.TRIAL_STATISTICIAN, Role.MONITOR, Role.DSMB_MEMBER}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def two(people: Personas) -> tuple[Participant, Participant]:
    first, second = ready(people), ready(people, sex="female")
    enter_form(
        people[Role.INVESTIGATOR],
        second,
        "baseline",
        "baseline",
        baseline(sex="female", weight="61.5"),
        reason="re-weighed",
    )
    return first, second


def test_one_row_per_entry_with_its_current_values(
    people: Personas, two: tuple[Participant, Participant]
) -> None:
    first, second = two
    result = export_instrument(people[Role.DATA_MANAGER], people.study, "baseline")
    lines = result.content.splitlines()
    assert lines[0] == (
        "participant,site,visit,occurrence,variant,version,saved_at,locked,"
        "age,sex,weight_kg,years_heroin_use"
    )
    rows = _rows(result.content)
    assert [(r["participant"], r["version"], r["sex"], r["weight_kg"]) for r in rows] == [
        (first.code, "1", "male", "70"),
        (second.code, "2", "female", "61.5"),
    ]
    assert rows[0]["site"] == "spb" and rows[0]["visit"] == "baseline"
    assert rows[0]["age"] == "35" and rows[0]["locked"] == "false"
    assert result.rows == 2 and result.name == "kpt2002_baseline.csv"


def test_booleans_and_unscheduled_entries_are_written_plainly(
    people: Personas, two: tuple[Participant, Participant]
) -> None:
    rows = _rows(export_instrument(people[Role.MONITOR], people.study, "eligibility").content)
    assert {r["psychosis"] for r in rows} == {"false"} and {r["visit"] for r in rows} == {
        "screening"
    }


def test_the_dictionary_describes_every_field(people: Personas) -> None:
    result = export_dictionary(people[Role.TRIAL_STATISTICIAN], people.study)
    rows = {(r["instrument"], r["variable"]): r for r in _rows(result.content)}
    assert result.content.splitlines()[0] == "variable,label,type,range,unit,instrument,visit"
    weight = rows[("baseline", "weight_kg")]
    assert (weight["label"], weight["type"], weight["range"], weight["unit"], weight["visit"]) == (
        "Weight",
        "number",
        "40..150",
        "kg",
        "baseline",
    )
    urine = rows[("followup", "urine")]
    assert urine["range"] == "negative|positive|not_done"
    assert urine["visit"] == ";".join(f"m{m:02d}" for m in range(1, 25))
    assert rows[("adverse_event", "serious")]["visit"] == "unscheduled"
    assert rows[("adverse_event", "serious")]["range"] == "true|false"
    assert rows[("hrs", "som_01")]["range"] == "0..4"
    assert rows[("(every instrument)", "participant")]["type"] == "text"


@pytest.mark.parametrize("role", list(Role))
def test_only_exporters_export(people: Personas, role: Role) -> None:
    if role in EXPORTERS:
        assert export_instrument(people[role], people.study, "baseline").rows == 0
        assert export_dictionary(people[role], people.study).rows > 0
    else:
        with pytest.raises(ActionDenied):
            export_instrument(people[role], people.study, "baseline")
        with pytest.raises(ActionDenied):
            export_dictionary(people[role], people.study)


def test_an_outsider_exports_nothing(people: Personas) -> None:
    with pytest.raises(ActionDenied):
        export_instrument(people.outsider, people.study, "baseline")
    assert not AuditEntry.objects.filter(action__startswith="export.").exists()


def test_a_role_kept_from_arm_revealing_data_cannot_export_it(people: Personas) -> None:
    both = extra_user(people, Role.DATA_MANAGER, name="dm_and_rater")
    from psytrial.web.trial.actions import grant_role

    grant_role(both, people.study, Role.OUTCOME_RATER)
    with pytest.raises(ActionDenied, match="outcome raters never see"):
        export_instrument(both, people.study, "hrs")
    names = {r["instrument"] for r in _rows(export_dictionary(both, people.study).content)}
    assert "hrs" not in names and "vitals" not in names and "baseline" in names


def test_a_site_exporter_gets_its_sites_participants_only(
    people: Personas, two: tuple[Participant, Participant]
) -> None:
    other = people.study.sites.create(code="msk", name="Moscow")
    monitor_msk = extra_user(people, Role.MONITOR, other)
    assert export_instrument(monitor_msk, people.study, "baseline").rows == 0


def test_every_file_handed_out_is_audited_with_its_checksum(
    people: Personas, two: tuple[Participant, Participant]
) -> None:
    result = export_instrument(people[Role.DATA_MANAGER], people.study, "baseline")
    entry = AuditEntry.objects.get(action="export.instrument")
    assert (entry.actor, entry.object_id, entry.new["rows"], entry.new["sha256"]) == (
        people[Role.DATA_MANAGER].get_username(),
        "baseline",
        2,
        result.sha256,
    )


# -- pages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_the_export_pages_answer_each_role(
    people: Personas, two: tuple[Participant, Participant], role: Role
) -> None:
    client = client_of(people[role])
    base = f"/s/{people.study.code}/exports/"
    pages = [base, base + "instruments/baseline.csv", base + "dictionary.csv"]
    for url in pages:
        expected = 200 if role in EXPORTERS else 403
        assert client.get(url).status_code == expected, url
    analysis = client.get(base + "analysis.zip")
    allowed = {Role.DATA_MANAGER, Role.TRIAL_STATISTICIAN, Role.DSMB_MEMBER}
    assert analysis.status_code == (200 if role in allowed else 403)
    unblinded = client.get(base + "analysis.zip?unblinded=1")
    assert unblinded.status_code == (200 if role == Role.DSMB_MEMBER else 403)


def test_the_export_pages_refuse_an_outsider_and_send_anonymous_users_to_log_in(
    people: Personas,
) -> None:
    base = f"/s/{people.study.code}/exports/"
    assert client_of(people.outsider).get(base).status_code == 403
    response = client_of(people.outsider).get(base + "analysis.zip")
    assert response.status_code == 403
    from django.test import Client

    assert Client().get(base).status_code == 302


def test_the_blinded_zip_holds_the_six_tables_without_an_arm(
    people: Personas, two: tuple[Participant, Participant]
) -> None:
    response = client_of(people[Role.TRIAL_STATISTICIAN]).get(
        f"/s/{people.study.code}/exports/analysis.zip"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="kpt2002_analysis_blinded.zip"'
    )
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(names) == sorted(
        [
            "participants.csv",
            "followup.csv",
            "scores.csv",
            "adverse_events.csv",
            "blinding_guesses.csv",
            "screening.csv",
        ]
    )


def test_the_index_lists_what_the_user_may_export(people: Personas) -> None:
    page = (
        client_of(people[Role.TRIAL_STATISTICIAN])
        .get(f"/s/{people.study.code}/exports/")
        .content.decode()
    )
    assert "Hallucinogen Rating Scale" in page and "Blinded" in page
    assert "?unblinded=1" not in page  # blind until the lock
    dsmb = client_of(people[Role.DSMB_MEMBER]).get(f"/s/{people.study.code}/exports/")
    assert "?unblinded=1" in dsmb.content.decode()
