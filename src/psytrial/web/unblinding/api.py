"""JSON API of emergency unblinding, with the same rules as the pages.

GET  /unblinding/{code}/grants               investigators, DSMB, monitors: no arm
POST /unblinding/{code}/participants/{pid}   an investigator requests; answered with the
                                             arm, for that investigator only
GET  /unblinding/{code}/grants/{id}          the grant's investigator only: the arm
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from psytrial.web.pharmacy.apierrors import ERRORS, PharmacyErrorOut, answer, member_study
from psytrial.web.trial.models import EmergencyUnblinding
from psytrial.web.unblinding import actions

router = Router(tags=["unblinding"])


class GrantOut(Schema):
    id: int
    participant: str
    site: str
    investigator: str
    granted_at: datetime
    reason: str


class RevealedArmOut(Schema):
    grant: int
    participant: str
    arm_id: str
    arm_label: str


class RequestIn(Schema):
    reason: str


def _grant(g: EmergencyUnblinding) -> GrantOut:
    return GrantOut(
        id=g.pk,
        participant=g.participant.code,
        site=g.participant.site.code,
        investigator=g.investigator.get_username(),
        granted_at=g.granted_at,
        reason=g.reason,
    )


def _arm(request: HttpRequest, code: str, grant_id: int) -> RevealedArmOut:
    arm = actions.revealed_arm(request.user, member_study(request.user, code), grant_id)
    return RevealedArmOut(
        grant=grant_id, participant=arm.participant_code, arm_id=arm.arm_id, arm_label=arm.arm_label
    )


@router.get("/{code}/grants", response={200: list[GrantOut], **ERRORS})
def grants(request: HttpRequest, code: str) -> Status[list[GrantOut] | PharmacyErrorOut]:
    """Every emergency unblinding at the user's sites, newest first; never the arm."""
    return answer(
        lambda: [
            _grant(g)
            for g in actions.unblinding_log(request.user, member_study(request.user, code))
        ]
    )


@router.post("/{code}/participants/{pid}", response={201: RevealedArmOut, **ERRORS})
def request_unblinding(
    request: HttpRequest, code: str, pid: int, payload: RequestIn
) -> Status[RevealedArmOut | PharmacyErrorOut]:
    """Unblind one participant for the requesting investigator, with a reason."""

    def run() -> RevealedArmOut:
        study = member_study(request.user, code)
        grant = actions.request_emergency_unblinding(request.user, study, pid, payload.reason)
        return _arm(request, code, grant.pk)

    return answer(run, ok=201)


@router.get("/{code}/grants/{grant_id}", response={200: RevealedArmOut, **ERRORS})
def arm(
    request: HttpRequest, code: str, grant_id: int
) -> Status[RevealedArmOut | PharmacyErrorOut]:
    """The arm of a grant's participant, for the investigator who holds the grant."""
    return answer(lambda: _arm(request, code, grant_id))
