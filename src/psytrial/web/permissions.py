"""Authorization: who may act, and on which participants. Fetch and authorize in one call.

    ActionDenied   the user holds no role that may do this here (a view answers 403)
    ActionRefused  the user may do this, but the trial's rules refuse it now (shown as a message)
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from psytrial.core.errors import PsytrialError
from psytrial.core.roles import Role
from psytrial.web.trial.models import Membership, Participant, Site, Study

AnyUser = AbstractBaseUser | AnonymousUser


class ActionDenied(PsytrialError):
    """The acting user holds no role that allows this action here."""


class ActionRefused(PsytrialError):
    """The action is allowed for the user, but the trial's rules refuse it now."""


def memberships(user: AnyUser, study: Study) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user, study=study, active=True)
                .select_related("site"))


def roles_of(user: AnyUser, study: Study) -> set[Role]:
    return {m.role_enum for m in memberships(user, study)}


def require_role(
    user: AnyUser, study: Study, roles: Iterable[Role], site: Site | None = None
) -> Membership:
    """The user's membership that allows one of `roles` at `site` (None: any site), or deny."""
    wanted = set(roles)
    for membership in memberships(user, study):
        if membership.role_enum in wanted and (
            site is None or membership.site_id is None or membership.site_id == site.pk
        ):
            return membership
    names = ", ".join(sorted(r.value for r in wanted))
    where = f" at site {site.code}" if site is not None else ""
    raise ActionDenied(f"expected a {names} of study {study.code}{where}; "
                       f"{getattr(user, 'username', 'anonymous')} is not")


def visible_participants(user: AnyUser, study: Study) -> QuerySet[Participant]:
    """Participants of the sites where the user holds any role (all sites if study-wide)."""
    mine = memberships(user, study)
    base = Participant.objects.filter(study=study).select_related("site")
    if any(m.site_id is None for m in mine):
        return base
    site_ids = [m.site_id for m in mine]
    return base.filter(Q(site_id__in=site_ids)) if site_ids else base.none()


def fetch_participant(
    user: AnyUser, study: Study, participant_id: int, roles: Iterable[Role]
) -> tuple[Participant, Membership]:
    """Fetch a participant and check the user's role at its site, in one call."""
    participant = visible_participants(user, study).filter(pk=participant_id).first()
    if participant is None:
        raise ActionDenied(f"expected a participant of study {study.code} at one of your "
                           f"sites, got id {participant_id}")
    return participant, require_role(user, study, roles, participant.site)
