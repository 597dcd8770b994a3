"""Enrolment: per-site identifiers, the eligibility decision with its failed criteria, consent
only after eligibility, and the stratum from the protocol's sources."""

from __future__ import annotations

from datetime import timedelta

import pytest

from psytrial.core.errors import FormError
from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.audit.models import AuditEntry
from psytrial.web.enrolment import rules
from psytrial.web.enrolment.actions import enter_form, record_consent, record_eligibility, screen
from psytrial.web.enrolment.readiness import blockers, eligibility_of
from psytrial.web.forms.models import FormRecord
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Participant
from tests.web.personas import PASSWORD, Personas, make_study, personas
from tests.web.test_enrolment_support import (  # noqa: F401
    CONSENT,
    ELIGIBLE,
    FIXED,
    baseline,
    fast_passwords,
    ready,
    screened,
    site_of,
)

pytestmark = pytest.mark.django_db


def _inv(people: Personas) -> object:
    return people[Role.INVESTIGATOR]


def test_it_numbers_participants_per_site(people: Personas) -> None:
    study = people.study
    other = study.sites.create(code="msk", name="Moscow")
    spb = site_of(study)
    inv = _inv(people)
    codes = [screen(inv, study, s).code for s in (spb, spb, other, spb, other)]  # type: ignore[arg-type]
    assert codes == ["SPB-0001", "SPB-0002", "MSK-0001", "SPB-0003", "MSK-0002"]
    first = Participant.objects.get(code="SPB-0001")
    assert first.status == "screened" and first.site == spb
    entry = AuditEntry.objects.filter(action="participant.screened").first()
    assert entry is not None and entry.new["site"] == "spb"


@pytest.mark.parametrize("role", [r for r in Role if r != Role.INVESTIGATOR])
def test_only_an_investigator_screens(people: Personas, role: Role) -> None:
    with pytest.raises(ActionDenied):
        screen(people[role], people.study, site_of(people.study))
    with pytest.raises(ActionDenied):
        screen(people.outsider, people.study, site_of(people.study))
    assert not Participant.objects.exists()


def test_a_site_investigator_screens_only_at_their_site(people: Personas) -> None:
    study = people.study
    other = study.sites.create(code="msk", name="Moscow")
    local = create_user("spb_investigator", PASSWORD)
    grant_role(local, study, Role.INVESTIGATOR, site_of(study))
    assert screen(local, study, site_of(study)).code == "SPB-0001"
    with pytest.raises(ActionDenied, match="at site msk"):
        screen(local, study, other)


def test_an_eligible_checklist_makes_the_participant_eligible(people: Personas) -> None:
    p = screened(people)
    record_eligibility(_inv(people), p, "screening", ELIGIBLE)
    p.refresh_from_db()
    assert p.status == "eligible"
    verdict = eligibility_of(p)
    assert verdict is not None and verdict.eligible and verdict.failed == ()


def test_a_failed_criterion_makes_the_participant_ineligible_and_is_named(people: Personas) -> None:
    p = screened(people)
    record_eligibility(
        _inv(people), p, "screening", ELIGIBLE | {"detoxified": "false", "pregnancy": "true"}
    )
    p.refresh_from_db()
    assert p.status == "ineligible"
    verdict = eligibility_of(p)
    assert verdict is not None and [c.id for c in verdict.failed] == ["detoxified", "pregnancy"]
    assert "detoxified (inclusion criterion not met" in verdict.summary()
    entry = AuditEntry.objects.get(action="participant.eligibility_failed")
    assert entry.old == {"status": "screened"}
    assert entry.new == {"status": "ineligible", "failed": ["detoxified", "pregnancy"]}


def test_an_ineligible_participant_cannot_become_eligible_again(people: Personas) -> None:
    p = screened(people)
    inv = _inv(people)
    record_eligibility(inv, p, "screening", ELIGIBLE | {"psychosis": "true"})
    versions = FormRecord.objects.get(participant=p).current_version
    with pytest.raises(ActionRefused, match="ineligible, a final status"):
        record_eligibility(inv, p, "screening", ELIGIBLE, reason="typo", expected_version=1)
    assert FormRecord.objects.get(participant=p).current_version == versions
    p.refresh_from_db()
    assert p.status == "ineligible"


def test_a_corrected_checklist_can_still_exclude_before_randomization(people: Personas) -> None:
    p = ready(people)
    assert p.status == "consented"
    record_eligibility(
        _inv(people),
        p,
        "screening",
        ELIGIBLE | {"cardiovascular": "true"},
        reason="ECG result arrived",
        expected_version=1,
    )
    p.refresh_from_db()
    assert p.status == "ineligible"


def test_it_refuses_consent_before_eligibility_and_keeps_nothing(people: Personas) -> None:
    p = screened(people)
    with pytest.raises(
        ActionRefused, match="expected an eligible participant before consent; SPB-0001 is screened"
    ):
        record_consent(_inv(people), p, "screening", CONSENT)
    assert not FormRecord.objects.filter(instrument_id="consent").exists()
    assert not AuditEntry.objects.filter(action="form.saved").exists()


def test_it_refuses_a_consent_date_in_the_future(people: Personas) -> None:
    p = screened(people)
    inv = _inv(people)
    with clock.simulated(lambda: FIXED):
        record_eligibility(inv, p, "screening", ELIGIBLE)
        tomorrow = (FIXED + timedelta(days=1)).date().isoformat()
        with pytest.raises(FormError) as caught:
            record_consent(inv, p, "screening", CONSENT | {"consent_date": tomorrow})
    assert caught.value.field_errors == {
        "consent_date": [f"expected a date not after today (2024-03-01), got {tomorrow}"]
    }
    assert not FormRecord.objects.filter(instrument_id="consent").exists()


def test_consent_moves_an_eligible_participant_to_consented(people: Personas) -> None:
    p = screened(people)
    inv = _inv(people)
    record_eligibility(inv, p, "screening", ELIGIBLE)
    record_consent(inv, p, "screening", CONSENT)
    p.refresh_from_db()
    assert p.status == "consented"
    entry = AuditEntry.objects.get(action="participant.consent_recorded")
    assert entry.new == {"status": "consented", "consent_version": "2.1"}


def test_the_stratum_comes_from_the_baseline_sex(people: Personas) -> None:
    p = screened(people)
    assert p.stratum == ""
    assert "stratum sex: baseline.sex not entered yet" in blockers(p)
    inv = _inv(people)
    enter_form(inv, p, "baseline", "baseline", baseline("female"))
    p.refresh_from_db()
    assert p.stratum == "sex=female"
    enter_form(inv, p, "baseline", "baseline", baseline("male"), reason="entry error")
    p.refresh_from_db()
    assert p.stratum == "sex=male"
    entry = AuditEntry.objects.filter(action="participant.stratum").order_by("-seq").first()
    assert entry is not None and entry.old == {"stratum": "sex=female"}


def test_blockers_name_every_missing_step(people: Personas) -> None:
    p = screened(people)
    assert blockers(p) == [
        "eligibility checklist not entered yet",
        "consent not recorded yet",
        "expected status consented, got screened",
        "stratum sex: baseline.sex not entered yet",
    ]
    assert blockers(ready(people)) == []


def test_strata_labels_match_the_allocation_lists_labels() -> None:
    study = make_study()
    protocol = study.protocol
    values = {"baseline": {"sex": "female"}}
    result = rules.stratum(protocol, "spb", values.get)
    assert result.label in protocol.stratum_labels()
    assert rules.stratum(protocol, "spb", {}.get).missing == (
        "stratum sex: baseline.sex not entered yet",
    )


def test_an_unstratified_protocol_has_the_single_stratum_all() -> None:
    study = make_study("kpt2007.yaml")
    assert rules.stratum(study.protocol, "spb", {}.get).label == "all"
    people = personas(study)
    assert screened(people).stratum == "all"
