"""The blind, as the web layer applies it: who may open sealed data, who sees which instrument.

The rules are the core's (`psytrial.core.blinding`); this module feeds them the user's roles in
the study, the protocol's blind-status map, the database lock and any emergency grant.
Templates never receive sealed data: views open it only with a capability from here.
"""

from __future__ import annotations

from psytrial.core.blinding import may_see_instrument, may_see_sealed
from psytrial.core.errors import BlindingError
from psytrial.core.roles import Role
from psytrial.web.permissions import AnyUser, roles_of
from psytrial.web.sealing import Capability
from psytrial.web.trial.models import EmergencyUnblinding, Participant, Study


def unblinding_role(user: AnyUser, study: Study) -> Role | None:
    """The user's role that unblinds the whole study now, if any."""
    status_map = study.protocol.blinding.status_map()
    for role in sorted(roles_of(user, study)):
        if may_see_sealed(role, status_map, study.is_locked):
            return role
    return None


def capability(user: AnyUser, study: Study, participant: Participant | None = None) -> Capability:
    """A capability to open sealed data, or BlindingError for a blinded user."""
    user_id = int(getattr(user, "pk", 0) or 0)
    role = unblinding_role(user, study)
    if role is not None:
        return Capability(user_id, study.pk, None, role.value)
    if participant is not None and _emergency_grant(user, participant):
        return Capability(user_id, study.pk, participant.pk, "emergency")
    raise BlindingError(
        f"expected an unblinded role in study {study.code} to see the allocation; "
        f"{getattr(user, 'username', 'anonymous')} is blind"
    )


def is_unblinded(user: AnyUser, study: Study) -> bool:
    return unblinding_role(user, study) is not None


def _emergency_grant(user: AnyUser, participant: Participant) -> bool:
    status_map = participant.study.protocol.blinding.status_map()
    roles = roles_of(user, participant.study)
    granted = EmergencyUnblinding.objects.filter(participant=participant, investigator=user.pk)
    return granted.exists() and any(
        may_see_sealed(role, status_map, participant.study.is_locked, emergency_grant=True)
        for role in roles
    )


def sees_instrument(user: AnyUser, study: Study, reveals_arm: bool) -> bool:
    """False if any of the user's roles must not see an arm-revealing instrument."""
    return all(may_see_instrument(role, reveals_arm) for role in roles_of(user, study))
