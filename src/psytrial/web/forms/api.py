"""JSON API of the form store, with the same permissions and blind as the form pages.

GET /forms/{code}/participants/{pk}/{instrument}/{visit}/{occurrence}[?variant=]
    the entry's current data and version history ("-" as visit for unscheduled forms)
PUT the same path, body {data, reason, expected_version}: save a new version (through the
    enrolment steps for eligibility, consent and stratum sources, like the page)

Data values may be typed JSON (numbers, booleans) or strings as a web form sends them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from psytrial.core.errors import ProtocolError
from psytrial.core.roles import Role
from psytrial.web.fastsql import rows
from psytrial.web.forms.apikit import ERRORS, answer, member_study
from psytrial.web.forms.catalog import instrument
from psytrial.web.forms.models import FormRecord, FormVersion
from psytrial.web.forms.permissions import may_read, may_see
from psytrial.web.forms.viewkit import roles_at
from psytrial.web.permissions import ActionDenied, ActionRefused, fetch_participant, roles_of
from psytrial.web.trial.models import Participant
from psytrial.web.txn import action_transaction

router = Router(tags=["forms"])

_PATH = "/{code}/participants/{pk}/{instrument_id}/{visit}/{occurrence}"


class VersionOut(Schema):
    version: int
    saved_by: str
    saved_at: datetime
    reason: str


class FormEntryDetailOut(Schema):
    instrument: str
    visit: str
    occurrence: int
    variant: str
    version: int
    locked: bool
    data: dict[str, Any]
    history: list[VersionOut]


class FormEntryIn(Schema):
    data: dict[str, Any]
    reason: str = ""
    expected_version: int | None = None


def _readable(
    request: HttpRequest, code: str, pk: int, instrument_id: str, variant: str
) -> Participant:
    study = member_study(request.user, code)
    participant, _ = fetch_participant(request.user, study, pk, set(Role))
    try:
        defn = instrument(study.protocol, instrument_id)
    except ProtocolError as exc:
        raise ActionRefused(str(exc)) from None
    if not (
        may_read(roles_at(request.user, study, participant.site), defn, variant)
        and may_see(roles_of(request.user, study), defn, variant)
    ):
        raise ActionDenied(f"expected a role that may read {instrument_id}")
    return participant


def _entry(
    participant: Participant, instrument_id: str, visit: str, occurrence: int, variant: str
) -> FormEntryDetailOut:
    record = FormRecord.objects.filter(
        participant=participant,
        instrument_id=instrument_id,
        visit_id="" if visit == "-" else visit,
        occurrence=occurrence,
        variant=variant,
    ).first()
    if record is None:
        return FormEntryDetailOut(
            instrument=instrument_id,
            visit=visit,
            occurrence=occurrence,
            variant=variant,
            version=0,
            locked=False,
            data={},
            history=[],
        )
    return _detail(record, visit)


def _detail(record: FormRecord, visit: str) -> FormEntryDetailOut:
    """The entry with its history, from one query (the versions carry the current data); a
    first save's history is the version just written, so nothing is read back for it."""
    if record.current_version == 1 and record.latest is not None:
        versions = [record.latest]
    else:
        versions = rows(
            FormVersion, related=("saved_by",), order_by="version", record_id=record.pk
        )
    current = next((v for v in versions if v.version == record.current_version), None)
    return FormEntryDetailOut(
        instrument=record.instrument_id,
        visit=visit,
        occurrence=record.occurrence,
        variant=record.variant,
        version=record.current_version,
        locked=record.locked,
        data=dict(current.data) if current is not None else {},
        history=[
            VersionOut(
                version=v.version,
                saved_by=v.saved_by.get_username(),
                saved_at=v.saved_at,
                reason=v.reason,
            )
            for v in versions
        ],
    )


@router.get(_PATH, response={200: FormEntryDetailOut, **ERRORS})
def read_entry(
    request: HttpRequest,
    code: str,
    pk: int,
    instrument_id: str,
    visit: str,
    occurrence: int,
    variant: str = "",
) -> Any:
    def run() -> FormEntryDetailOut:
        participant = _readable(request, code, pk, instrument_id, variant)
        return _entry(participant, instrument_id, visit, occurrence, variant)

    return answer(run)


@router.put(_PATH, response={200: FormEntryDetailOut, **ERRORS})
def save_entry(
    request: HttpRequest,
    code: str,
    pk: int,
    instrument_id: str,
    visit: str,
    occurrence: int,
    body: FormEntryIn,
) -> Any:
    from psytrial.web.visits.actions import enter_visit_form

    def run() -> FormEntryDetailOut:
        study = member_study(request.user, code)
        with action_transaction():  # the save's transaction, opened to lock as it reads
            participant, _ = fetch_participant(request.user, study, pk, set(Role), lock=True)
            return _save(participant)

    def _save(participant: Participant) -> FormEntryDetailOut:
        try:
            record = enter_visit_form(
                request.user,
                participant,
                instrument_id,
                "" if visit == "-" else visit,
                body.data,
                reason=body.reason,
                expected_version=body.expected_version,
                occurrence=occurrence,
            )
        except ProtocolError as exc:
            raise ActionRefused(str(exc)) from None
        return _detail(record, visit)

    return answer(run)
