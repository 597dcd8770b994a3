"""Form lock after cleaning, and the study database lock that ends data collection.

    lock_checked_form(user, record, reason="")  -> FormRecord  (no unresolved query on it)
    lock_study(user, study, reason)             -> Study       (no unresolved query anywhere)
    refuse_if_locked_now(study)                 FormLocked if the database is locked

Once `study.locked_at` is set no data changes anywhere: every write action refuses a locked
study (`forms.actions.refuse_if_study_locked`), and `psytrial.web.blind` unblinds the roles
that are blind only until the lock (the trial statistician) for the final analysis.
ASSUMPTION: a database lock is final; unlocking (for a late correction) is not offered, since
it would need its own approval workflow, which no reference describes for this trial.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse

from psytrial.core.errors import FormError
from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.audit.trail import record as audit
from psytrial.web.forms.actions import lock_form, refuse_if_study_locked
from psytrial.web.forms.models import FormRecord
from psytrial.web.permissions import ActionRefused
from psytrial.web.quality import rules
from psytrial.web.quality.models import UNRESOLVED, Query
from psytrial.web.trial.actions import notify, users_with_role
from psytrial.web.trial.models import Participant, Study

User = AbstractBaseUser
TOLD_OF_LOCK = frozenset(
    {Role.DATA_MANAGER, Role.TRIAL_STATISTICIAN, Role.DSMB_MEMBER, Role.INVESTIGATOR, Role.MONITOR}
)


def refuse_if_locked_now(study: Study) -> None:
    """Refuse a locked study, reading the lock afresh (a lock committed meanwhile counts)."""
    refuse_if_study_locked(Study.objects.only("code", "locked_at").get(pk=study.pk))


def unresolved_queries(study: Study, record: FormRecord | None = None) -> int:
    rows = Query.objects.filter(study=study, status__in=UNRESOLVED)
    return (rows.filter(record=record) if record is not None else rows).count()


def lock_checked_form(user: User, record: FormRecord, *, reason: str = "") -> FormRecord:
    """Lock a form against changes, once every query on it is closed (a data manager)."""
    place = rules.place_of(record)
    rules.require_at_site(user, place, rules.CLOSERS, "lock a form")
    with transaction.atomic():
        refuse_if_locked_now(place.study)
        left = unresolved_queries(place.study, record)
        if left:
            raise ActionRefused(
                f"expected every query on {record.key} closed before the form "
                f"is locked, got {left} still open or answered"
            )
        return lock_form(user, record, reason=reason)


def lock_study(user: User, study: Study, reason: str) -> Study:
    """Lock the study database: no open queries, a reason, a study-wide data manager."""
    membership = rules.require_study_wide(user, study, rules.DATABASE_LOCKERS, "lock the database")
    why = " ".join((reason or "").split())
    if not why:
        raise FormError(
            {
                "reason": [
                    "required: expected why the database is locked now "
                    "(e.g. last participant's last visit cleaned), got nothing"
                ]
            }
        )
    with transaction.atomic():
        fresh = Study.objects.select_for_update().get(pk=study.pk)
        if fresh.locked_at is not None:
            raise ActionRefused(
                f"expected an open database, but study {fresh.code} was locked "
                f"on {fresh.locked_at:%Y-%m-%d %H:%M}"
            )
        left = unresolved_queries(fresh)
        if left:
            raise ActionRefused(
                f"expected no open queries to lock the database, got {left} "
                "open or answered; close them first"
            )
        fresh.locked_at = clock.now()
        fresh.save(update_fields=["locked_at"])
        audit(
            actor=user.get_username(),
            role=membership.role,
            action="study.locked",
            study=fresh.code,
            object_type="study",
            object_id=fresh.pk,
            old={"locked_at": None},
            new={
                "locked_at": fresh.locked_at,
                "participants": Participant.objects.filter(study=fresh).count(),
                "forms": FormRecord.objects.filter(participant__study=fresh).count(),
            },
            reason=why,
        )
        notify(
            users_with_role(fresh, set(TOLD_OF_LOCK)),
            fresh,
            f"The database of study {fresh.code} is locked: no data can change now, and "
            "the final analysis may be unblinded.",
            reverse("trial:study", kwargs={"code": fresh.code}),
        )
    study.locked_at = fresh.locked_at
    return fresh
