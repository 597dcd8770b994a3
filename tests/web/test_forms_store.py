"""The versioned form store: every save is a version, every change audited field by field,
and every bad input refused with a field-level message while nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

from psytrial.core.errors import FormError
from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.audit.models import AuditEntry
from psytrial.web.forms.actions import lock_form, save_form
from psytrial.web.forms.errors import FormConflict, FormLocked, FormUnchanged
from psytrial.web.forms.models import FormRecord, FormVersion
from psytrial.web.forms.queries import current_data
from psytrial.web.trial.models import Participant, Study
from tests.web.personas import Personas
from tests.web.test_enrolment_support import (  # noqa: F401
    FIXED,
    baseline,
    fast_passwords,
    screened,
    valid_raw,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(people: Personas) -> Participant:
    return screened(people)


def _inv(people: Personas) -> Any:
    return people[Role.INVESTIGATOR]


def _snapshot() -> tuple[int, int, int]:
    return FormRecord.objects.count(), FormVersion.objects.count(), AuditEntry.objects.count()


def _refused(error: type[FormError], call: Any) -> FormError:
    before = _snapshot()
    with pytest.raises(error) as caught:
        call()
    assert _snapshot() == before, "a refused save must change nothing"
    return caught.value


def test_it_stores_the_first_version_and_audits_every_field(
    people: Personas, participant: Participant
) -> None:
    with clock.simulated(lambda: FIXED):
        record = save_form(_inv(people), participant, "baseline", "baseline", baseline())
    assert record.current_version == 1
    assert current_data(record) == {
        "age": 35,
        "sex": "male",
        "weight_kg": 70.0,
        "years_heroin_use": 8.0,
    }
    version = record.versions.get()
    assert version.saved_by == _inv(people) and version.saved_at == FIXED and version.reason == ""
    entry = AuditEntry.objects.filter(action="form.saved").get()
    assert entry.object_id == f"{participant.code}/baseline/baseline/1"
    assert entry.old == {"values": {}}
    assert entry.new == {
        "version": 1,
        "values": {"age": 35, "sex": "male", "weight_kg": 70.0, "years_heroin_use": 8.0},
    }


def test_it_needs_a_reason_to_change_a_saved_form(
    people: Personas, participant: Participant
) -> None:
    inv = _inv(people)
    save_form(inv, participant, "baseline", "baseline", baseline(weight="70"))
    error = _refused(
        FormError,
        lambda: save_form(inv, participant, "baseline", "baseline", baseline(weight="72")),
    )
    assert error.field_errors == {
        "reason": ["required: expected a reason for changing version 1, got nothing"]
    }
    record = save_form(
        inv,
        participant,
        "baseline",
        "baseline",
        baseline(weight="72"),
        reason="scale recalibrated",
        expected_version=1,
    )
    assert record.current_version == 2
    assert [v.data["weight_kg"] for v in record.versions.order_by("version")] == [70.0, 72.0]
    entry = AuditEntry.objects.filter(action="form.saved").order_by("-seq").first()
    assert entry is not None
    assert entry.old == {"values": {"weight_kg": 70.0}}
    assert entry.new == {"version": 2, "values": {"weight_kg": 72.0}}
    assert entry.reason == "scale recalibrated"


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("weight_kg", "150.5", "expected a number between 40 and 150, got 150.5"),
        ("age", "17", "expected a whole number between 18 and 60, got 17"),
        ("age", "thirty", "expected a whole number between 18 and 60, got 'thirty'"),
        ("age", "35.5", "expected a whole number between 18 and 60, got 35.5"),
        ("sex", "unknown", "expected one of: male, female, got 'unknown'"),
        ("sex", "", "required: expected one of: male, female, got nothing"),
    ],
)
def test_it_refuses_bad_values_field_by_field(
    people: Personas, participant: Participant, field: str, raw: str, message: str
) -> None:
    data = baseline() | {field: raw}
    error = _refused(
        FormError, lambda: save_form(_inv(people), participant, "baseline", "baseline", data)
    )
    assert error.field_errors == {field: [message]}


def test_it_names_unknown_fields(people: Personas, participant: Participant) -> None:
    error = _refused(
        FormError,
        lambda: save_form(
            _inv(people), participant, "baseline", "baseline", baseline() | {"height": "180"}
        ),
    )
    assert list(error.field_errors) == ["height"]
    assert error.field_errors["height"][0].startswith("unknown field; expected one of: age")


def test_it_refuses_a_double_submit(people: Personas, participant: Participant) -> None:
    inv = _inv(people)
    save_form(inv, participant, "baseline", "baseline", baseline(), expected_version=0)
    error = _refused(
        FormUnchanged,
        lambda: save_form(inv, participant, "baseline", "baseline", baseline(), expected_version=0),
    )
    assert "nothing to save: version 1" in error.field_errors["__all__"][0]
    assert "already holds exactly these values" in error.field_errors["__all__"][0]


def test_a_stale_version_is_a_conflict_that_keeps_the_later_writers_data(
    people: Personas, participant: Participant
) -> None:
    inv = _inv(people)
    save_form(inv, participant, "baseline", "baseline", baseline(weight="70"))
    # two editors open version 1; the first saves version 2
    save_form(
        inv,
        participant,
        "baseline",
        "baseline",
        baseline(weight="71"),
        reason="typo",
        expected_version=1,
    )
    late = baseline(weight="75") | {"age": "36"}
    error = _refused(
        FormConflict,
        lambda: save_form(
            inv, participant, "baseline", "baseline", late, reason="remeasured", expected_version=1
        ),
    )
    assert isinstance(error, FormConflict)
    assert error.submitted == late and error.current_version == 2
    assert "expected version 1, but investigator_kpt2002 saved version 2" in str(error)
    record = FormRecord.objects.get(participant=participant, instrument_id="baseline")
    assert current_data(record)["weight_kg"] == 71.0
    # the later writer resubmits on top of version 2
    record = save_form(
        inv, participant, "baseline", "baseline", late, reason="remeasured", expected_version=2
    )
    assert record.current_version == 3


def test_a_first_save_with_a_version_expected_is_a_conflict(
    people: Personas, participant: Participant
) -> None:
    error = _refused(
        FormConflict,
        lambda: save_form(
            _inv(people), participant, "baseline", "baseline", baseline(), expected_version=2
        ),
    )
    assert isinstance(error, FormConflict) and error.current_version == 0


def test_it_refuses_to_edit_a_locked_form(people: Personas, participant: Participant) -> None:
    inv = _inv(people)
    record = save_form(inv, participant, "baseline", "baseline", baseline())
    lock_form(people[Role.DATA_MANAGER], record, reason="queries closed")
    error = _refused(
        FormLocked,
        lambda: save_form(
            inv,
            participant,
            "baseline",
            "baseline",
            baseline(weight="80"),
            reason="late fix",
            expected_version=1,
        ),
    )
    assert "expected an unlocked form, got one locked" in error.field_errors["__all__"][0]


def test_it_refuses_any_save_in_a_locked_study(
    people: Personas, participant: Participant, study: Study
) -> None:
    Study.objects.filter(pk=study.pk).update(locked_at=FIXED)
    participant.study.refresh_from_db()
    error = _refused(
        FormLocked, lambda: save_form(_inv(people), participant, "baseline", "baseline", baseline())
    )
    assert "expected an open database, got one locked on 2024-03-01" in str(error)


def test_a_locked_study_refuses_locking_a_form(
    people: Personas, participant: Participant, study: Study
) -> None:
    record = save_form(_inv(people), participant, "baseline", "baseline", baseline())
    Study.objects.filter(pk=study.pk).update(locked_at=FIXED)
    record.participant.study.refresh_from_db()
    _refused(FormLocked, lambda: lock_form(people[Role.DATA_MANAGER], record))
    assert not FormRecord.objects.get(pk=record.pk).locked


def test_it_refuses_an_instrument_the_visit_does_not_give(
    people: Personas, participant: Participant
) -> None:
    error = _refused(
        FormError, lambda: save_form(_inv(people), participant, "baseline", "screening", baseline())
    )
    assert error.field_errors["__all__"] == [
        "visit screening: expected one of its instruments (eligibility, consent), got baseline"
    ]
    error = _refused(
        FormError, lambda: save_form(_inv(people), participant, "baseline", "", baseline())
    )
    assert "unscheduled instruments: adverse_event, withdrawal" in str(error)


def test_repeating_and_unscheduled_forms_number_their_entries(
    people: Personas, participant: Participant
) -> None:
    clinician = people[Role.SESSION_CLINICIAN]
    study = participant.study
    vitals = valid_raw(study.protocol.instrument("vitals"))
    first = save_form(clinician, participant, "vitals", "session", vitals)
    second = save_form(clinician, participant, "vitals", "session", vitals | {"time": "10:30"})
    assert (first.occurrence, second.occurrence) == (1, 2)
    ae = valid_raw(study.protocol.instrument("adverse_event"))
    assert save_form(clinician, participant, "adverse_event", "", ae).occurrence == 1
    assert save_form(_inv(people), participant, "adverse_event", "", ae).occurrence == 2
    error = _refused(
        FormError,
        lambda: save_form(clinician, participant, "vitals", "session", vitals, occurrence=9),
    )
    assert error.field_errors["__all__"] == ["expected occurrence 1 to 3 of vitals, got 9"]
    error = _refused(
        FormError,
        lambda: save_form(
            _inv(people), participant, "baseline", "baseline", baseline(), occurrence=2
        ),
    )
    assert error.field_errors["__all__"] == [
        "expected one entry of baseline per visit, got occurrence 2"
    ]


def test_the_time_of_every_version_comes_from_the_web_clock(
    people: Personas, participant: Participant
) -> None:
    with clock.simulated(lambda: FIXED):
        record = save_form(_inv(people), participant, "baseline", "baseline", baseline())
    assert record.versions.get().saved_at == FIXED


def test_a_new_version_lapses_the_signature_of_the_old_one(
    people: Personas, participant: Participant
) -> None:
    from psytrial.web.quality.signatures import sign_form
    from tests.web.personas import PASSWORD

    inv = _inv(people)
    record = save_form(inv, participant, "baseline", "baseline", baseline())
    sign_form(inv, record, PASSWORD)
    record.refresh_from_db()
    assert record.signed_by == inv
    record = save_form(
        inv,
        participant,
        "baseline",
        "baseline",
        baseline(weight="71"),
        reason="typo",
        expected_version=1,
    )
    record.refresh_from_db()
    assert record.signed_by is None and record.signed_at is None
    assert AuditEntry.objects.filter(action="form.signature_lapsed").count() == 1
