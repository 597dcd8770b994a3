"""Who is told about a participant's safety events: the holders of some roles at its site.

Notifications go out on commit (`psytrial.web.trial.actions.notify`) and never carry the arm.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from psytrial.core.roles import Role
from psytrial.web.trial.models import Membership, Participant


def site_users(participant: Participant, roles: Iterable[Role]) -> list[AbstractBaseUser]:
    """Active members holding one of `roles` at the participant's site or at every site."""
    rows = (
        Membership.objects.filter(
            study_id=participant.study_id, active=True, role__in=[r.value for r in roles]
        )
        .filter(Q(site__isnull=True) | Q(site_id=participant.site_id))
        .select_related("user")
        .order_by("user_id")
    )
    return list({m.user_id: m.user for m in rows}.values())
