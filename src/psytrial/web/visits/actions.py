"""Action functions of trial conduct; the only way this app changes trial data.

    enter_visit_form(user, participant, instrument_id, visit_id, raw, ...) -> FormRecord
        a form entry with the checks and consequences the generic form layer cannot know:
        the first-use date rule on follow-up forms, session-safety alerts on vital signs,
        the expedited-report clock and notices on serious adverse events
    mark_missed(user, participant, visit_id, reason)               -> MissedVisit
    mark_sae_reported(user, study, record_id, reference="")         -> ExpeditedReport
    withdraw(user, participant, date=, reason=, by_investigator=)  -> Participant
    mark_lost(user, participant, date=, reason=)                    -> Participant

Each checks the acting user's role at the participant's site, runs in one transaction with
its audit entry, and notifies on commit. Status changes go through `psytrial.core.status`,
whose IllegalTransition (a TransitionError) refuses them in states that do not allow them,
before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError

from psytrial.core.errors import ProtocolError
from psytrial.core.status import ParticipantEvent, transition
from psytrial.web import clock
from psytrial.web.audit.trail import record as audit
from psytrial.web.enrolment.actions import enter_form
from psytrial.web.forms.actions import entry_role, refuse_if_study_locked
from psytrial.web.forms.catalog import instrument
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.queries import UNSCHEDULED, check_placement, current_data
from psytrial.web.forms.validation import clean
from psytrial.web.permissions import ActionDenied, ActionRefused, fetch_participant
from psytrial.web.trial.models import Participant, Study
from psytrial.web.txn import action_transaction, lock_participant
from psytrial.web.visits.access import SAE_REPORTERS, WITHDRAWERS, missed_markers, viewer_arm
from psytrial.web.visits.adverse import AE_INSTRUMENT, after_ae_saved, serious_since
from psytrial.web.visits.followup import check_first_use, followup_instrument
from psytrial.web.visits.models import ExpeditedReport, MissedVisit
from psytrial.web.visits.safety import after_vitals_saved, safety_instrument
from psytrial.web.visits.schedule import participant_schedule

WITHDRAWAL_INSTRUMENT = "withdrawal"
WITHDRAWAL_KINDS: Mapping[str, ParticipantEvent] = {
    "withdrew": ParticipantEvent.WITHDREW,
    "investigator": ParticipantEvent.WITHDREW,
    "lost": ParticipantEvent.LOST,
}


def context_instruments(study: Study) -> frozenset[str]:
    """The instruments whose entries must go through `enter_visit_form`."""
    protocol = study.protocol
    ids = {AE_INSTRUMENT, followup_instrument(protocol)}
    vitals = safety_instrument(protocol)
    if vitals is not None:
        ids.add(vitals.id)
    return frozenset(ids)


def enter_visit_form(
    user: AbstractBaseUser,
    participant: Participant,
    instrument_id: str,
    visit_id: str,
    raw: Mapping[str, Any],
    *,
    reason: str = "",
    expected_version: int | None = None,
    occurrence: int | None = None,
) -> FormRecord:
    """Save an entry like the generic form page does, plus the visit-aware checks.

    A first withdrawal form is a withdrawal: it goes through `end_participation`, so the
    status changes with it whichever page it was entered on.
    """
    protocol = participant.study.protocol
    if instrument_id == WITHDRAWAL_INSTRUMENT and visit_id == UNSCHEDULED and not (
        FormRecord.objects.filter(participant=participant, instrument_id=instrument_id).exists()
    ):
        end_participation(user, participant, raw, reason=reason)
        return FormRecord.objects.get(participant=participant, instrument_id=instrument_id)
    defn = instrument(protocol, instrument_id)
    entry_role(user, participant, defn)
    if instrument_id == followup_instrument(protocol):
        check_placement(protocol, defn, visit_id)
        check_first_use(participant, visit_id, clean(defn, raw))
    vitals = safety_instrument(protocol)
    with action_transaction():
        lock_participant(participant.pk)
        consequences = (vitals is not None and instrument_id == vitals.id) or (
            instrument_id == AE_INSTRUMENT and visit_id == UNSCHEDULED
        )
        # The entry as it was, for the consequences that compare (alerts, the SAE clock).
        before = _before(participant, instrument_id, visit_id, occurrence) if consequences else {}
        record = enter_form(
            user,
            participant,
            instrument_id,
            visit_id,
            raw,
            reason=reason,
            expected_version=expected_version,
            occurrence=occurrence,
        )
        if vitals is not None and instrument_id == vitals.id:
            after_vitals_saved(user, participant, record, before)
        if instrument_id == AE_INSTRUMENT and visit_id == UNSCHEDULED:
            after_ae_saved(user, participant, record, before)
    return record


def _before(
    participant: Participant, instrument_id: str, visit_id: str, occurrence: int | None
) -> dict[str, Any]:
    if occurrence is None:
        return {}
    record = FormRecord.objects.filter(
        participant=participant,
        instrument_id=instrument_id,
        visit_id=visit_id,
        occurrence=occurrence,
        variant="",
    ).first()
    return current_data(record) if record is not None else {}


def mark_missed(
    user: AbstractBaseUser, participant: Participant, visit_id: str, reason: str
) -> MissedVisit:
    """Mark a visit missed, with the reason; refused before its window opens or once done."""
    study = participant.study
    try:
        visit = study.protocol.visit(visit_id)
    except ProtocolError as exc:
        raise ActionRefused(str(exc)) from None
    participant, membership = fetch_participant(
        user, study, participant.pk, missed_markers(study.protocol, visit)
    )
    refuse_if_study_locked(study)
    why = " ".join((reason or "").split())
    if not why:
        raise ActionRefused(f"reason: expected why visit {visit_id} was missed, got nothing")
    with action_transaction():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        rows = participant_schedule(participant, clock.today(), arm=viewer_arm(user, participant))
        row = next((r for r in rows if r.id == visit_id), None)
        if row is None:
            raise ActionRefused(
                f"visit: expected a visit of {participant.code}'s schedule, got {visit_id!r}"
            )
        if not row.may_be_marked_missed:
            raise ActionRefused(
                f"visit {visit_id}: expected an open, late or closed visit not "
                f"done and not marked, got one {row.status}"
            )
        try:
            missed = MissedVisit.objects.create(
                participant=participant,
                visit_id=visit_id,
                reason=why,
                marked_by=user,
                marked_at=clock.now(),
            )
        except IntegrityError:
            raise ActionRefused(f"visit {visit_id}: already marked missed") from None
        audit(
            actor=user.get_username(),
            role=membership.role,
            action="visit.missed",
            study=study.code,
            object_type="visit",
            object_id=f"{participant.code}/{visit_id}",
            old={"state": row.state.value},
            new={"state": "missed", "visit": visit_id},
            reason=why,
        )
    return missed


def mark_sae_reported(
    user: AbstractBaseUser, study: Study, record_id: int, reference: str = ""
) -> ExpeditedReport:
    """An investigator marks a serious adverse event reported; this stops its clock."""
    found = (
        FormRecord.objects.filter(
            pk=record_id,
            participant__study=study,
            instrument_id=AE_INSTRUMENT,
            visit_id=UNSCHEDULED,
        )
        .select_related("participant")
        .first()
    )
    if found is None:
        raise ActionDenied(f"expected an adverse event of study {study.code}, got id {record_id}")
    participant, membership = fetch_participant(user, study, found.participant_id, SAE_REPORTERS)
    refuse_if_study_locked(study)
    with action_transaction():
        record = FormRecord.objects.select_for_update().get(pk=found.pk)
        if serious_since(record) is None:
            raise ActionRefused(
                f"{participant.code}/{record.key}: expected a serious adverse "
                "event, got one not marked serious"
            )
        existing = ExpeditedReport.objects.filter(record=record).first()
        if existing is not None:
            raise ActionRefused(
                f"{participant.code}/{record.key}: expected an unreported "
                f"event, but it was marked reported by "
                f"{existing.reported_by.get_username()} at "
                f"{existing.reported_at:%Y-%m-%d %H:%M}"
            )
        report = ExpeditedReport.objects.create(
            record=record,
            reported_by=user,
            reported_at=clock.now(),
            reference=reference.strip()[:200],
        )
        audit(
            actor=user.get_username(),
            role=membership.role,
            action="adverse_event.reported",
            study=study.code,
            object_type="form",
            object_id=f"{participant.code}/{record.key}",
            old={"reported": False},
            new={"reported": True, "reference": report.reference},
        )
    return report


def withdraw(
    user: AbstractBaseUser,
    participant: Participant,
    *,
    date: date,
    reason: str,
    by_investigator: bool = False,
) -> Participant:
    """The participant withdrew consent (or the investigator withdrew them)."""
    kind = "investigator" if by_investigator else "withdrew"
    return end_participation(
        user, participant, {"kind": kind, "date": date.isoformat(), "reason": reason}
    )


def mark_lost(
    user: AbstractBaseUser, participant: Participant, *, date: date, reason: str
) -> Participant:
    """The participant is lost to follow-up (only after randomization, as in CONSORT)."""
    return end_participation(
        user, participant, {"kind": "lost", "date": date.isoformat(), "reason": reason}
    )


def end_participation(
    user: AbstractBaseUser, participant: Participant, raw: Mapping[str, Any], *, reason: str = ""
) -> Participant:
    """Withdrawal or loss to follow-up: the withdrawal form and the status change, together."""
    study = participant.study
    participant, membership = fetch_participant(user, study, participant.pk, WITHDRAWERS)
    refuse_if_study_locked(study)
    kind = str(raw.get("kind") or "")
    event = WITHDRAWAL_KINDS.get(kind)
    if event is None:
        raise ActionRefused(
            f"kind: expected one of {', '.join(WITHDRAWAL_KINDS)}, got {kind or 'nothing'}"
        )
    transition(participant.status, event)  # refuse before anything is written
    with action_transaction():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        before = participant.status
        after = transition(before, event)
        if WITHDRAWAL_INSTRUMENT in study.protocol.unscheduled_instruments:
            enter_form(user, participant, WITHDRAWAL_INSTRUMENT, UNSCHEDULED, raw, reason=reason)
        participant.status = after.value
        participant.save(update_fields=["status"])
        audit(
            actor=user.get_username(),
            role=membership.role,
            action=f"participant.{event.value}",
            study=study.code,
            object_type="participant",
            object_id=participant.code,
            old={"status": before},
            new={"status": after.value, "kind": kind},
            reason=str(raw.get("reason") or "").strip(),
        )
    return participant


__all__ = [
    "ActionDenied",
    "ActionRefused",
    "context_instruments",
    "end_participation",
    "enter_visit_form",
    "mark_lost",
    "mark_missed",
    "mark_sae_reported",
    "withdraw",
]
