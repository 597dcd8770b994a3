"""Form signatures: an investigator re-enters the password; a wrong one is refused and audited
without the password; a signature binds its version and lapses when the form changes."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.enrolment.actions import enter_form
from psytrial.web.forms.errors import FormLocked
from psytrial.web.forms.models import FormRecord
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.quality.errors import InputRefused
from psytrial.web.quality.lock import lock_study
from psytrial.web.quality.models import Signature
from psytrial.web.quality.signatures import lapse_signature, sign_form, signature_of
from psytrial.web.trial.models import Participant
from tests.web.personas import PASSWORD, Personas
from tests.web.test_enrolment_support import baseline, fast_passwords, ready  # noqa: F401
from tests.web.test_quality_support import extra_user, record_of

pytestmark = pytest.mark.django_db
WRONG = "not my password 123"


@pytest.fixture
def participant(people: Personas) -> Participant:
    return ready(people)


def _baseline(p: Participant) -> FormRecord:
    return record_of(p, "baseline", "baseline")


def test_an_investigator_signs_the_current_version(
    people: Personas, participant: Participant
) -> None:
    inv = people[Role.INVESTIGATOR]
    signature = sign_form(inv, _baseline(participant), PASSWORD)
    record = _baseline(participant)
    assert (signature.version, signature.signed_by, record.signed_by) == (1, inv, inv)
    assert signature_of(record) == signature and signature.holds
    entry = AuditEntry.objects.get(action="form.signed")
    assert entry.object_id == f"{participant.code}/baseline/baseline/1"
    assert entry.new["version"] == 1 and entry.role == "investigator"


def test_a_wrong_password_is_refused_and_audited_without_the_password(
    people: Personas, participant: Participant
) -> None:
    with pytest.raises(InputRefused) as refused:
        sign_form(people[Role.INVESTIGATOR], _baseline(participant), WRONG)
    assert refused.value.field_errors == {
        "password": [
            "expected your own password to sign, got a wrong one; the attempt was recorded"
        ]
    }
    assert not Signature.objects.exists() and _baseline(participant).signed_by is None
    failed = AuditEntry.objects.get(action="form.signature_refused")
    assert failed.actor == people[Role.INVESTIGATOR].get_username()
    every_entry = json.dumps(list(AuditEntry.objects.values("old", "new", "reason")))
    assert WRONG not in every_entry and PASSWORD not in every_entry


def test_another_users_password_does_not_sign(people: Personas, participant: Participant) -> None:
    other = extra_user(people, Role.INVESTIGATOR, name="second_investigator")
    other.set_password("a different password 99")
    other.save()
    with pytest.raises(InputRefused):
        sign_form(other, _baseline(participant), PASSWORD)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.INVESTIGATOR])
def test_only_an_investigator_signs(people: Personas, participant: Participant, role: Role) -> None:
    with pytest.raises(ActionDenied):
        sign_form(people[role], _baseline(participant), PASSWORD)
    with pytest.raises(ActionDenied):
        sign_form(people.outsider, _baseline(participant), PASSWORD)
    assert not AuditEntry.objects.filter(action__startswith="form.sign").exists()


def test_a_version_is_signed_once(people: Personas, participant: Participant) -> None:
    sign_form(people[Role.INVESTIGATOR], _baseline(participant), PASSWORD)
    with pytest.raises(ActionRefused, match="version 1 of baseline/baseline/1 was signed by"):
        sign_form(people[Role.INVESTIGATOR], _baseline(participant), PASSWORD)


def test_a_changed_form_no_longer_holds_its_signature(
    people: Personas, participant: Participant
) -> None:
    inv = people[Role.INVESTIGATOR]
    sign_form(inv, _baseline(participant), PASSWORD)
    enter_form(inv, participant, "baseline", "baseline", baseline(weight="72"), reason="re-weighed")
    record = _baseline(participant)
    assert record.current_version == 2 and signature_of(record) is None
    assert sign_form(inv, record, PASSWORD).version == 2


def test_the_save_that_changes_a_signed_form_audits_the_lost_signature(
    people: Personas, participant: Participant
) -> None:
    inv = people[Role.INVESTIGATOR]
    sign_form(inv, _baseline(participant), PASSWORD)
    record = enter_form(
        inv, participant, "baseline", "baseline", baseline(weight="72"), reason="re-weighed"
    )
    assert _baseline(participant).signed_by is None
    lapsed = Signature.objects.get()
    assert (lapsed.version, lapsed.lapsed_by_version, lapsed.holds) == (1, 2, False)
    entry = AuditEntry.objects.get(action="form.signature_lapsed")
    assert entry.old == {"signed_version": 1, "signed_by": inv.get_username()}
    assert entry.new == {"version": 2} and entry.actor == inv.get_username()
    assert "version 2 changed the form after version 1 was signed" in entry.reason
    saved = AuditEntry.objects.filter(action="form.saved").order_by("-seq").first()
    assert saved is not None and saved.seq < entry.seq  # in the save's own transaction
    with transaction.atomic():
        assert lapse_signature(record, actor="x") is None  # nothing left to lapse


def test_nothing_is_signed_after_the_database_lock(
    people: Personas, participant: Participant
) -> None:
    lock_study(people[Role.DATA_MANAGER], people.study, "final")
    with pytest.raises(FormLocked, match="expected an open database"):
        sign_form(people[Role.INVESTIGATOR], _baseline(participant), PASSWORD)
