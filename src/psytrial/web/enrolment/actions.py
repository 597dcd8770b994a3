"""Enrolment actions: screening, and the form entries that move a participant on.

    screen(user, study, site)            a new participant 'SPB-0001', status screened
    enter_form(user, participant, ...)   save_form, plus what the entry means for enrolment:
        eligibility  -> eligible or ineligible (the failed criteria are audited)
        consent      -> consented (only once eligible; the consent date not in the future)
        a form named by a stratum source (e.g. baseline for baseline.sex) -> the stratum
    record_eligibility / record_consent  enter_form for those two forms

Every step runs in one transaction with the form version and the audit entries, so a
refusal (e.g. consent before eligibility) leaves no trace of the attempted save.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from psytrial.core.errors import FormError
from psytrial.core.roles import Role
from psytrial.core.status import ParticipantEvent, ParticipantState, transition
from psytrial.web import clock
from psytrial.web.audit.trail import record as audit
from psytrial.web.enrolment import rules
from psytrial.web.enrolment.models import SiteSequence
from psytrial.web.forms.actions import refuse_if_study_locked, save_form
from psytrial.web.forms.catalog import CONSENT_ID
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.queries import current_values, latest_values
from psytrial.web.permissions import ActionRefused, require_role
from psytrial.web.trial.models import Participant, Site, Study
from psytrial.web.txn import action_transaction

User = AbstractBaseUser
SCREENERS = frozenset({Role.INVESTIGATOR})
# The participant's own columns that enrolment reads (refreshing them keeps its study and site).
_ENROLMENT_FIELDS = (
    "status", "stratum", "kit_code", "randomized_at", "drug_session_at", "emergency_unblinded"
)
_PRE_RANDOMIZATION = {
    ParticipantState.SCREENED,
    ParticipantState.ELIGIBLE,
    ParticipantState.CONSENTED,
}


def screen(user: User, study: Study, site: Site) -> Participant:
    """Create a participant at `site` with the site's next identifier (an investigator there)."""
    if site.study_id != study.pk:
        raise ActionRefused(f"expected a site of study {study.code}, got {site}")
    membership = require_role(user, study, SCREENERS, site)
    refuse_if_study_locked(study)
    with transaction.atomic():
        SiteSequence.objects.get_or_create(site=site)
        sequence = SiteSequence.objects.select_for_update().get(site=site)
        sequence.last_number += 1
        sequence.save(update_fields=["last_number"])
        participant = Participant.objects.create(
            study=study,
            site=site,
            code=f"{site.code.upper()}-{sequence.last_number:04d}",
            screened_at=clock.now(),
            status=ParticipantState.SCREENED.value,
        )
        participant.stratum = _stratum(participant).label or ""
        participant.save(update_fields=["stratum"])
        audit(
            actor=user.get_username(),
            role=membership.role,
            action="participant.screened",
            study=study.code,
            object_type="participant",
            object_id=participant.code,
            new={"site": site.code, "status": participant.status, "stratum": participant.stratum},
        )
    return participant


def enter_form(
    user: User,
    participant: Participant,
    instrument_id: str,
    visit_id: str,
    raw_data: Mapping[str, Any],
    *,
    reason: str = "",
    expected_version: int | None = None,
    occurrence: int | None = None,
) -> FormRecord:
    """Save a form entry (see `save_form`) and apply what it means for enrolment."""
    protocol = participant.study.protocol
    with action_transaction():
        record = save_form(
            user,
            participant,
            instrument_id,
            visit_id,
            raw_data,
            reason=reason,
            expected_version=expected_version,
            occurrence=occurrence,
        )
        stratum_source = instrument_id in rules.source_instruments(protocol)
        if instrument_id not in (CONSENT_ID, rules.ELIGIBILITY_ID) and not stratum_source:
            return record  # nothing about enrolment depends on this instrument
        # The participant as stored now, under the lock save_form took (its status decides).
        participant.refresh_from_db(fields=_ENROLMENT_FIELDS)
        if instrument_id == CONSENT_ID:
            _refuse_consent_now(participant)
        if instrument_id == rules.ELIGIBILITY_ID:
            _apply_eligibility(user, participant)
        if instrument_id == CONSENT_ID:
            _apply_consent(user, participant)
        if stratum_source:
            _apply_stratum(user, participant)
    return record


def record_eligibility(
    user: User, participant: Participant, visit_id: str, raw_data: Mapping[str, Any], **options: Any
) -> FormRecord:
    return enter_form(user, participant, rules.ELIGIBILITY_ID, visit_id, raw_data, **options)


def record_consent(
    user: User, participant: Participant, visit_id: str, raw_data: Mapping[str, Any], **options: Any
) -> FormRecord:
    return enter_form(user, participant, CONSENT_ID, visit_id, raw_data, **options)


def _status(participant: Participant) -> ParticipantState:
    return ParticipantState(participant.status)


def _move(user: User, participant: Participant, event: ParticipantEvent, **details: Any) -> None:
    before = participant.status
    participant.status = transition(before, event).value
    participant.save(update_fields=["status"])
    audit(
        actor=user.get_username(),
        action=f"participant.{event.value}",
        study=participant.study.code,
        object_type="participant",
        object_id=participant.code,
        old={"status": before},
        new={"status": participant.status, **details},
    )


def _apply_eligibility(user: User, participant: Participant) -> None:
    values = latest_values(participant, rules.ELIGIBILITY_ID) or {}
    result = rules.eligibility(participant.study.protocol, values)
    state = _status(participant)
    failed = [c.id for c in result.failed]
    if result.eligible and state == ParticipantState.SCREENED:
        _move(user, participant, ParticipantEvent.ELIGIBILITY_CONFIRMED, failed=failed)
    elif result.eligible and state == ParticipantState.INELIGIBLE:
        raise ActionRefused(
            f"{participant.code} is ineligible, a final status: expected the checklist to "
            "keep failing criteria, got one that meets every criterion"
        )
    elif not result.eligible and state in _PRE_RANDOMIZATION:
        _move(user, participant, ParticipantEvent.ELIGIBILITY_FAILED, failed=failed)


def _refuse_consent_now(participant: Participant) -> None:
    state = _status(participant)
    if state in (ParticipantState.SCREENED, ParticipantState.INELIGIBLE):
        raise ActionRefused(
            f"expected an eligible participant before consent; {participant.code} is {state.value}"
        )


def _apply_consent(user: User, participant: Participant) -> None:
    values = latest_values(participant, CONSENT_ID) or {}
    given = values.get("consent_date")
    if isinstance(given, str) and date.fromisoformat(given) > clock.today():
        raise FormError(
            {
                "consent_date": [
                    f"expected a date not after today ({clock.today().isoformat()}), got {given}"
                ]
            }
        )
    if _status(participant) == ParticipantState.ELIGIBLE:
        _move(
            user,
            participant,
            ParticipantEvent.CONSENT_RECORDED,
            consent_version=values.get("consent_version"),
        )


def _stratum(participant: Participant) -> rules.StratumResult:
    protocol = participant.study.protocol
    values = current_values(participant, rules.source_instruments(protocol))
    return rules.stratum(protocol, participant.site.code, values.get)


def _apply_stratum(user: User, participant: Participant) -> None:
    if participant.randomized_at is not None:
        return  # the allocation used the stratum as it was; a later correction cannot move it
    label = _stratum(participant).label or ""
    if label == participant.stratum:
        return
    before = participant.stratum
    participant.stratum = label
    participant.save(update_fields=["stratum"])
    audit(
        actor=user.get_username(),
        action="participant.stratum",
        study=participant.study.code,
        object_type="participant",
        object_id=participant.code,
        old={"stratum": before},
        new={"stratum": label},
    )
