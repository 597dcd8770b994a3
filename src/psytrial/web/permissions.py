"""Authorization: who may act, and on which participants. Fetch and authorize in one call.

    ActionDenied   the user holds no role that may do this here (a view answers 403)
    ActionRefused  the user may do this, but the trial's rules refuse it now (shown as a message)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save

from psytrial.core.errors import PsytrialError
from psytrial.core.roles import Role
from psytrial.web import fastsql, txn
from psytrial.web.trial.models import Membership, Participant, Site, Study

AnyUser = AbstractBaseUser | AnonymousUser


class ActionDenied(PsytrialError):
    """The acting user holds no role that allows this action here."""


class ActionRefused(PsytrialError):
    """The action is allowed for the user, but the trial's rules refuse it now."""


def memberships(user: AnyUser, study: Study) -> list[Membership]:
    """The user's active memberships in `study` (with their sites).

    A request asks this several times (the view, the action, the form checks), so the answer
    is kept on the user object for as long as no membership changed: see `_MembershipCache`.
    """
    if not user.is_authenticated:
        return []
    return list(_cache.get(user, study))


class _MembershipCache:
    """Memberships kept on the user instance, keyed by study, valid for one generation.

    The generation counts saves and deletions of Membership rows in this process (the
    signals below; memberships change only through `Membership.save`, e.g.
    `trial.actions.grant_role`, never through `QuerySet.update`). Nothing is kept while a
    membership change waits for its transaction to commit on this connection (it might roll
    back), and the commit starts a new generation. Other processes' changes are seen by the
    next request, which loads a new user object; a user object never outlives a request in
    the web app (the demo's and the tests' long-lived users live in one process).
    """

    ATTRIBUTE = "_psytrial_memberships"

    def __init__(self) -> None:
        self.generation = 0
        self.lock = threading.Lock()

    def bump(self) -> None:
        with self.lock:
            self.generation += 1

    def changed(self, **_: object) -> None:
        self.bump()
        connection = transaction.get_connection()
        if connection.in_atomic_block:
            transaction.on_commit(self._committed)

    def _committed(self) -> None:
        self.bump()

    def _pending(self) -> bool:
        """A membership change on this connection awaits its commit (or its rollback)."""
        connection = transaction.get_connection()
        return connection.in_atomic_block and any(
            getattr(step[1], "__func__", None) is _MembershipCache._committed
            for step in connection.run_on_commit
        )

    def get(self, user: AbstractBaseUser, study: Study) -> tuple[Membership, ...]:
        kept: dict[int, tuple[int, tuple[Membership, ...]]] = user.__dict__.setdefault(
            self.ATTRIBUTE, {}
        )
        generation = self.generation
        hit = kept.get(study.pk)
        if hit is not None and hit[0] == generation and not self._pending():
            return hit[1]
        # Every request asks: a statement built once (`fastsql`), as the ORM's
        # `filter(user=, study=, active=True).select_related("site")` by id.
        rows = tuple(fastsql.rows(
            Membership, related=("site",), user_id=user.pk, study_id=study.pk, active=True
        ))
        if not self._pending():
            kept[study.pk] = (generation, rows)
        return rows


_cache = _MembershipCache()
post_save.connect(_cache.changed, sender=Membership, dispatch_uid="psytrial-memberships-saved")
post_delete.connect(
    _cache.changed, sender=Membership, dispatch_uid="psytrial-memberships-deleted"
)


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
    user: AnyUser, study: Study, participant_id: int, roles: Iterable[Role], *,
    lock: bool = False,
) -> tuple[Participant, Membership]:
    """Fetch a participant and check the user's role at its site, in one call.

    `lock`: inside an action transaction, also take the participant's row lock with the
    same statement (`txn.lock_participant` then sends nothing more)."""
    # As `visible_participants(user, study).filter(pk=...).first()`, with a statement built
    # once (`fastsql`) and the site check on the memberships already read.
    # The row is found by its id alone and its study checked here: with "and this study" in
    # the statement, PostgreSQL's planner, on a table without statistics yet, may read the
    # study's index (every participant of the study) to find one row, and a prepared
    # statement keeps that plan.
    mine = memberships(user, study)
    participant = fastsql.first(Participant, related=("site",), lock=lock, id=participant_id)
    if participant is not None and lock:
        txn.note_locked(participant.pk)
    if participant is not None and (participant.study_id != study.pk or not any(
        m.site_id is None or m.site_id == participant.site_id for m in mine
    )):
        participant = None
    if participant is None:
        raise ActionDenied(f"expected a participant of study {study.code} at one of your "
                           f"sites, got id {participant_id}")
    participant.study = study  # the same row, already loaded: spares a query per request
    return participant, require_role(user, study, roles, participant.site)
