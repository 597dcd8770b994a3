"""Emergency unblinding: an investigator learns one participant's arm, with a reason.

    request_emergency_unblinding(user, study, participant_id, reason) -> EmergencyUnblinding
    revealed_arm(user, study, event_id)                             -> RevealedArm
    unblinding_log(user, study)                                     -> grants (no arm)
    requestable(user, study)                                        -> participants

The grant is audited (without the arm), the participant is flagged for everyone, and the
study's other investigators and the DSMB members are notified on commit (without the arm).
Only the requesting investigator can open the arm, through `blind.capability`, which honours
the grant for that participant alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.audit.trail import record
from psytrial.web.blind import capability
from psytrial.web.permissions import (
    ActionDenied,
    ActionRefused,
    AnyUser,
    fetch_participant,
    require_role,
    visible_participants,
)
from psytrial.web.pharmacy.allocation import arm_of, sealed_arm_token
from psytrial.web.pharmacy.readouts import participants_as
from psytrial.web.trial.actions import notify, users_with_role
from psytrial.web.trial.models import EmergencyUnblinding, Participant, Study

# Who reads the log of grants (participant, investigator, time, reason; never the arm).
LOG_READERS = frozenset({Role.INVESTIGATOR, Role.DSMB_MEMBER, Role.MONITOR})


@dataclass(frozen=True)
class RevealedArm:
    """The arm of one participant, for the investigator who holds the grant. Sealed data."""

    participant_code: str
    arm_id: str
    arm_label: str


def request_emergency_unblinding(
    user: AbstractBaseUser, study: Study, participant_id: int, reason: str
) -> EmergencyUnblinding:
    """Grant the investigator the arm of one participant; audit, flag and notify."""
    participant, _ = fetch_participant(user, study, participant_id, {Role.INVESTIGATOR})
    why = " ".join((reason or "").split())
    if not why:
        raise ActionRefused(
            "reason: expected why this participant's arm must be known, got nothing"
        )
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        _refuse_unless_allocated(participant)
        if EmergencyUnblinding.objects.filter(participant=participant, investigator=user).exists():
            raise ActionRefused(
                f"expected a participant not yet unblinded for you, but you "
                f"already hold the arm of {participant.code}"
            )
        was_flagged = participant.emergency_unblinded
        grant = EmergencyUnblinding.objects.create(
            participant=participant, investigator=user, reason=why, granted_at=clock.now()
        )
        participant.emergency_unblinded = True
        participant.save(update_fields=["emergency_unblinded"])
        record(
            actor=user.get_username(),
            action="emergency_unblinding.granted",
            role=Role.INVESTIGATOR.value,
            study=study.code,
            object_type="participant",
            object_id=participant.pk,
            old={"emergency_unblinded": was_flagged},
            new={"emergency_unblinded": True, "participant": participant.code, "grant": grant.pk},
            reason=why,
        )
        _notify_others(user, study, participant)
    return grant


def _refuse_unless_allocated(participant: Participant) -> None:
    if not participant.kit_code or sealed_arm_token(participant) is None:
        raise ActionRefused(
            f"expected a randomized participant, got {participant.code} in "
            f"status '{participant.status}' with no allocation"
        )


def _notify_others(user: AbstractBaseUser, study: Study, participant: Participant) -> None:
    others = [
        u for u in users_with_role(study, {Role.INVESTIGATOR, Role.DSMB_MEMBER}) if u.pk != user.pk
    ]
    text = (
        f"Emergency unblinding: participant {participant.code} (site "
        f"{participant.site.code}) was unblinded for {user.get_username()}. "
        "The arm is not shown here."
    )
    notify(others, study, text, reverse("unblinding:log", kwargs={"code": study.code}))


def revealed_arm(user: AnyUser, study: Study, event_id: int) -> RevealedArm:
    """The arm of a grant's participant, for the investigator who holds the grant only."""
    grant = (
        EmergencyUnblinding.objects.filter(pk=event_id, participant__study=study)
        .select_related("participant")
        .first()
    )
    if grant is None or grant.investigator_id != getattr(user, "pk", None):
        raise ActionDenied(
            f"expected an emergency unblinding of study {study.code} granted "
            f"to you, got id {event_id}"
        )
    participant = grant.participant
    fetch_participant(user, study, participant.pk, {Role.INVESTIGATOR})
    arm = arm_of(participant, capability(user, study, participant))
    return RevealedArm(participant.code, arm, study.protocol.arm(arm).label)


def unblinding_log(user: AnyUser, study: Study) -> QuerySet[EmergencyUnblinding]:
    """The grants at the user's sites, newest first; rows carry no arm."""
    require_role(user, study, LOG_READERS)
    mine = visible_participants(user, study)
    return (
        EmergencyUnblinding.objects.filter(participant__in=mine)
        .select_related("participant", "participant__site", "investigator")
        .order_by("-granted_at", "-pk")
    )


def requestable(user: AnyUser, study: Study) -> QuerySet[Participant]:
    """Randomized participants at the sites where the user is an investigator."""
    require_role(user, study, {Role.INVESTIGATOR})
    return participants_as(user, study, Role.INVESTIGATOR)
