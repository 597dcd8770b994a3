"""The data-quality endpoints: queries, form records (signature, lock) and the database lock.

GET  /quality/{code}/queries?status=&site=&participant=   queries the caller may read
POST /quality/{code}/queries                  {record, field_id, text}: a data manager raises
GET  /quality/{code}/queries/{id}             one query with its history
POST /quality/{code}/queries/{id}/answer      {text}: the site answers
POST /quality/{code}/queries/{id}/close       {text?}: a data manager closes
POST /quality/{code}/queries/{id}/reopen      {text}: a data manager re-opens
GET  /quality/{code}/records?participant=&instrument=   saved forms the caller may read
POST /quality/{code}/records/{id}/sign        {password}: an investigator signs
POST /quality/{code}/records/{id}/lock        {reason?}: a data manager locks the form
GET  /quality/{code}/lock                     the lock state and the unresolved query count
POST /quality/{code}/lock                     {reason}: a study-wide data manager locks
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Query as QueryParam
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from psytrial.core.errors import FormError
from psytrial.web.forms.apikit import member_study
from psytrial.web.forms.models import FormRecord
from psytrial.web.permissions import ActionDenied, require_role, visible_participants
from psytrial.web.quality import actions, lock, readouts, rules
from psytrial.web.quality.api.errors import ERRORS
from psytrial.web.quality.models import STATUS_CHOICES, UNRESOLVED, Query
from psytrial.web.quality.signatures import sign_form, signature_of
from psytrial.web.quality.views import LIST_ROLES
from psytrial.web.trial.models import Study

MAX_ID = 2**63 - 1  # the largest id a database row can have

router = Router(tags=["quality"])


class EventOut(Schema):
    kind: str
    author: str
    role: str
    at: datetime
    text: str


class QueryOut(Schema):
    id: int
    participant: str
    participant_id: int
    site: str
    record: int
    form: str
    field_id: str
    text: str
    status: str
    raised_by: str
    raised_at: datetime
    updated_at: datetime


class QueryDetailOut(QueryOut):
    events: list[EventOut]


class RaiseIn(Schema):
    record: int
    field_id: str
    text: str


class TextIn(Schema):
    text: str = ""


class SignatureOut(Schema):
    version: int
    signed_by: str
    signed_at: datetime


class RecordOut(Schema):
    id: int
    participant: str
    participant_id: int
    instrument: str
    visit: str
    occurrence: int
    variant: str
    version: int
    locked: bool
    signature: SignatureOut | None
    unresolved_queries: int


class SignIn(Schema):
    password: str


class ReasonIn(Schema):
    reason: str = ""


class LockOut(Schema):
    locked: bool
    locked_at: datetime | None
    unresolved_queries: int


def _query(q: Query) -> QueryOut:
    return QueryOut(
        id=q.pk,
        participant=q.participant.code,
        participant_id=q.participant_id,
        site=q.participant.site.code,
        record=q.record_id,
        form=q.record.key,
        field_id=q.field_id,
        text=q.text,
        status=q.status,
        raised_by=q.raised_by.get_username(),
        raised_at=q.raised_at,
        updated_at=q.updated_at,
    )


def _detail(q: Query) -> QueryDetailOut:
    events = [
        EventOut(kind=e.kind, author=e.author.get_username(), role=e.role, at=e.at, text=e.text)
        for e in q.events.select_related("author")
    ]
    return QueryDetailOut(**_query(q).dict(), events=events)


def _record(r: FormRecord, unresolved: int) -> RecordOut:
    s = signature_of(r)
    signature = (
        None
        if s is None
        else SignatureOut(
            version=s.version, signed_by=s.signed_by.get_username(), signed_at=s.signed_at
        )
    )
    return RecordOut(
        id=r.pk,
        participant=r.participant.code,
        participant_id=r.participant_id,
        instrument=r.instrument_id,
        visit=r.visit_id,
        occurrence=r.occurrence,
        variant=r.variant,
        version=r.current_version,
        locked=r.locked,
        signature=signature,
        unresolved_queries=unresolved,
    )


def _reader(request: HttpRequest, code: str) -> Study:
    study = member_study(request.user, code)
    require_role(request.user, study, LIST_ROLES)
    return study


@router.get("/{code}/queries", response={200: list[QueryOut], **ERRORS})
@paginate(LimitOffsetPagination)
def query_list(
    request: HttpRequest,
    code: str,
    status: str = "",
    site: str = "",
    participant: int | None = QueryParam(None, ge=1, le=MAX_ID),
) -> list[QueryOut]:
    """Queries the caller may read, most recently changed first; status `unresolved` = open
    or answered."""
    study = _reader(request, code)
    statuses = {"": None, "unresolved": UNRESOLVED}.get(status, (status,))
    if statuses is not None and not set(statuses) <= set(dict(STATUS_CHOICES)):
        known = ", ".join(["unresolved", *dict(STATUS_CHOICES)])
        raise FormError({"status": [f"expected one of {known}, got {status!r}"]})
    rows = readouts.visible_queries(
        request.user, study, statuses=statuses, site=site or None, participant_id=participant
    )
    return [_query(q) for q in rows]


@router.post("/{code}/queries", response={201: QueryDetailOut, **ERRORS})
def raise_query(request: HttpRequest, code: str, payload: RaiseIn) -> Status:
    study = member_study(request.user, code)
    record = readouts.record_for(request.user, study, payload.record)
    query = actions.raise_query(request.user, record, payload.field_id, payload.text)
    return Status(201, _detail(query))


@router.get("/{code}/queries/{query_id}", response={200: QueryDetailOut, **ERRORS})
def query_detail(request: HttpRequest, code: str, query_id: int) -> QueryDetailOut:
    study = member_study(request.user, code)
    return _detail(readouts.query_for(request.user, study, query_id))


def _step(request: HttpRequest, code: str, query_id: int, step: str, text: str) -> QueryDetailOut:
    study = member_study(request.user, code)
    query = readouts.query_for(request.user, study, query_id)
    action = {
        "answer": actions.answer_query,
        "close": actions.close_query,
        "reopen": actions.reopen_query,
    }[step]
    return _detail(action(request.user, query, text))


@router.post("/{code}/queries/{query_id}/answer", response={200: QueryDetailOut, **ERRORS})
def answer(request: HttpRequest, code: str, query_id: int, payload: TextIn) -> QueryDetailOut:
    return _step(request, code, query_id, "answer", payload.text)


@router.post("/{code}/queries/{query_id}/close", response={200: QueryDetailOut, **ERRORS})
def close(request: HttpRequest, code: str, query_id: int, payload: TextIn) -> QueryDetailOut:
    return _step(request, code, query_id, "close", payload.text)


@router.post("/{code}/queries/{query_id}/reopen", response={200: QueryDetailOut, **ERRORS})
def reopen(request: HttpRequest, code: str, query_id: int, payload: TextIn) -> QueryDetailOut:
    return _step(request, code, query_id, "reopen", payload.text)


@router.get("/{code}/records", response={200: list[RecordOut], **ERRORS})
@paginate(LimitOffsetPagination)
def record_list(
    request: HttpRequest,
    code: str,
    participant: int | None = QueryParam(None, ge=1, le=MAX_ID),
    instrument: str = "",
) -> list[RecordOut]:
    """Saved form records the caller may read, with signature, lock and unresolved queries."""
    study = _reader(request, code)
    rows = (
        FormRecord.objects.filter(
            participant__in=visible_participants(request.user, study), current_version__gt=0
        )
        .select_related("participant", "participant__site")
        .order_by("participant__code", "pk")
    )
    if participant is not None:
        rows = rows.filter(participant_id=participant)
    if instrument:
        rows = rows.filter(instrument_id=instrument)
    counts = _unresolved_by_record(request, study)
    out = []
    seen: dict[tuple[int, str, str], bool] = {}
    for r in rows:
        key = (r.participant.site_id, r.instrument_id, r.variant)
        if key not in seen:
            seen[key] = _readable(request, r)
        if seen[key]:
            out.append(_record(r, counts.get(r.pk, 0)))
    return out


def _readable(request: HttpRequest, record: FormRecord) -> bool:
    try:
        rules.require_view(request.user, rules.place_of(record))
    except ActionDenied:
        return False
    return True


def _unresolved_by_record(request: HttpRequest, study: Study) -> dict[int, int]:
    counts: dict[int, int] = {}
    for q in readouts.visible_queries(request.user, study, statuses=UNRESOLVED):
        counts[q.record_id] = counts.get(q.record_id, 0) + 1
    return counts


@router.post("/{code}/records/{record_id}/sign", response={200: RecordOut, **ERRORS})
def sign(request: HttpRequest, code: str, record_id: int, payload: SignIn) -> RecordOut:
    study = member_study(request.user, code)
    record = readouts.record_for(request.user, study, record_id)
    sign_form(request.user, record, payload.password)
    record.refresh_from_db()
    return _record(record, lock.unresolved_queries(study, record))


@router.post("/{code}/records/{record_id}/lock", response={200: RecordOut, **ERRORS})
def lock_record(request: HttpRequest, code: str, record_id: int, payload: ReasonIn) -> RecordOut:
    study = member_study(request.user, code)
    record = readouts.record_for(request.user, study, record_id)
    locked = lock.lock_checked_form(request.user, record, reason=payload.reason)
    return _record(locked, 0)


@router.get("/{code}/lock", response={200: LockOut, **ERRORS})
def lock_state(request: HttpRequest, code: str) -> LockOut:
    """Any member: whether the database is locked; the count covers queries they may read."""
    study = member_study(request.user, code)
    visible = readouts.visible_queries(request.user, study, statuses=UNRESOLVED)
    return LockOut(
        locked=study.is_locked, locked_at=study.locked_at, unresolved_queries=len(visible)
    )


@router.post("/{code}/lock", response={200: LockOut, **ERRORS})
def lock_database(request: HttpRequest, code: str, payload: ReasonIn) -> LockOut:
    study = member_study(request.user, code)
    locked = lock.lock_study(request.user, study, payload.reason)
    return LockOut(locked=True, locked_at=locked.locked_at, unresolved_queries=0)
