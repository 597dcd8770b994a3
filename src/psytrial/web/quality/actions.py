"""Action functions of the query lifecycle.

    raise_query(user, record, field_id, text)   data manager      -> Query (open)
    answer_query(user, query, text)             the site          -> Query (answered)
    close_query(user, query, text="")           data manager      -> Query (closed)
    reopen_query(user, query, text)             data manager      -> Query (open)

Each checks the user's role at the participant's site (`rules`), refuses a locked database,
then in one transaction moves the status, adds the `QueryEvent` and writes the audit entry.
Who is notified, on commit: the site's answerers when a query is raised or re-opened, the
data managers when it is answered. Texts are the users' own words; nothing sealed is added.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.urls import reverse

from psytrial.core.errors import FormError
from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.audit.trail import record as audit
from psytrial.web.forms.models import FormRecord
from psytrial.web.permissions import ActionRefused
from psytrial.web.quality import rules
from psytrial.web.quality.lock import refuse_if_locked_now
from psytrial.web.quality.models import ANSWERED, CLOSED, OPEN, Query, QueryEvent
from psytrial.web.trial.actions import notify
from psytrial.web.trial.models import Membership
from psytrial.web.txn import action_transaction

User = AbstractBaseUser
MAX_TEXT = 2000


def raise_query(user: User, record: FormRecord, field_id: str, text: str) -> Query:
    """Ask the site about one field of a saved form."""
    place = rules.place_of(record)
    membership = rules.require_at_site(user, place, rules.RAISERS, "raise a query")
    words = _text(text, "text", "the question to the site")
    if field_id not in rules.field_ids(place.definition):
        known = ", ".join(rules.field_ids(place.definition))
        raise FormError(
            {"field_id": [f"expected a field of {place.definition.id} ({known}), got {field_id!r}"]}
        )
    with action_transaction():
        refuse_if_locked_now(place.study)
        fresh = FormRecord.objects.select_for_update().get(pk=record.pk)
        if fresh.current_version == 0:
            raise ActionRefused(f"expected a saved form, got {fresh.key} with no data yet")
        if fresh.locked:
            raise ActionRefused(
                f"expected an unlocked form, got {fresh.key} locked; "
                "a locked form cannot be corrected"
            )
        now = clock.now()
        query = Query.objects.create(
            study=place.study,
            participant=record.participant,
            record=fresh,
            field_id=field_id,
            text=words,
            status=OPEN,
            raised_by=user,
            raised_at=now,
            updated_at=now,
        )
        _event_and_audit(user, membership, query, "raised", words, old_status="")
        _notify(place, query, rules.answerers(place), f"Query on {_where(query)}: please answer.")
    return query


def answer_query(user: User, query: Query, text: str) -> Query:
    """The site's answer (what was checked, or what was corrected in the form)."""
    place = rules.place_of(query.record)
    membership = rules.require_at_site(user, place, rules.answerers(place), "answer a query")
    words = _text(text, "text", "the site's answer")
    return _move(
        user,
        membership,
        query,
        {OPEN},
        ANSWERED,
        "answered",
        words,
        notify_roles=rules.CLOSERS,
        note=f"Query on {_where(query)} was answered.",
    )


def close_query(user: User, query: Query, text: str = "") -> Query:
    """The data manager accepts the answer (or withdraws the question)."""
    place = rules.place_of(query.record)
    membership = rules.require_at_site(user, place, rules.CLOSERS, "close a query")
    words = " ".join((text or "").split())[:MAX_TEXT]
    return _move(user, membership, query, {OPEN, ANSWERED}, CLOSED, "closed", words)


def reopen_query(user: User, query: Query, text: str) -> Query:
    """The data manager asks again about a closed query, saying why."""
    place = rules.place_of(query.record)
    membership = rules.require_at_site(user, place, rules.CLOSERS, "re-open a query")
    words = _text(text, "text", "why the query is re-opened")
    return _move(
        user,
        membership,
        query,
        {CLOSED},
        OPEN,
        "reopened",
        words,
        notify_roles=rules.answerers(place),
        note=f"Query on {_where(query)} was re-opened: please answer.",
    )


def _move(
    user: User,
    membership: Membership,
    query: Query,
    allowed: set[str],
    to: str,
    kind: str,
    text: str,
    *,
    notify_roles: frozenset[Role] = frozenset(),
    note: str = "",
) -> Query:
    with action_transaction():
        refuse_if_locked_now(query.study)
        fresh = (
            Query.objects.select_for_update()
            .select_related("record", "participant", "study")
            .get(pk=query.pk)
        )
        if fresh.status not in allowed:
            wanted = " or ".join(sorted(allowed))
            raise ActionRefused(
                f"expected a query that is {wanted} to mark it {kind}, got "
                f"query {fresh.pk} {fresh.status}"
            )
        old = fresh.status
        fresh.status = to
        fresh.updated_at = clock.now()
        fresh.save(update_fields=["status", "updated_at"])
        _event_and_audit(user, membership, fresh, kind, text, old_status=old)
        if notify_roles:
            _notify(rules.place_of(fresh.record), fresh, notify_roles, note)
    return fresh


def _event_and_audit(
    user: User, membership: Membership, query: Query, kind: str, text: str, *, old_status: str
) -> None:
    QueryEvent.objects.create(
        query=query, kind=kind, author=user, role=membership.role, at=query.updated_at, text=text
    )
    audit(
        actor=user.get_username(),
        role=membership.role,
        action=f"query.{kind}",
        study=query.study.code,
        object_type="query",
        object_id=query.pk,
        old={"status": old_status} if old_status else {},
        new={
            "status": query.status,
            "participant": query.participant.code,
            "form": query.record.key,
            "field": query.field_id,
            "text": text,
        },
    )


def _text(text: str, field: str, what: str) -> str:
    words = " ".join((text or "").split())
    if not words:
        raise FormError({field: [f"required: expected {what}, got nothing"]})
    if len(words) > MAX_TEXT:
        raise FormError({field: [f"expected at most {MAX_TEXT} characters, got {len(words)}"]})
    return words


def _where(query: Query) -> str:
    return f"{query.participant.code} {query.record.key} field {query.field_id}"


def _notify(place: rules.Place, query: Query, roles: frozenset[Role], text: str) -> None:
    """Tell the holders of `roles` at the query's site who may read the form, on commit."""
    rows = (
        Membership.objects.filter(study=place.study, active=True, role__in=[r.value for r in roles])
        .filter(Q(site__isnull=True) | Q(site_id=query.participant.site_id))
        .select_related("user")
    )
    users = [u for u in {m.user_id: m.user for m in rows}.values() if rules.may_view(u, place)]
    url = reverse("quality:query", kwargs={"code": place.study.code, "pk": query.pk})
    notify(users, place.study, text, url)
