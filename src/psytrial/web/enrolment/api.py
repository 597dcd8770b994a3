"""JSON API of enrolment, with the same permissions and blind as the pages.

GET  /enrolment/{code}/participants          participants at the caller's sites (paginated)
GET  /enrolment/{code}/participants/{pk}     one participant: status, kit code, eligibility,
                                             what blocks randomization, the forms the caller
                                             may see; `arm` only for callers who may open it
POST /enrolment/{code}/participants          screen a new participant at a site
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from psytrial.web.enrolment.actions import screen
from psytrial.web.enrolment.readiness import readiness
from psytrial.web.forms.apikit import ERRORS, answer, member_study
from psytrial.web.forms.permissions import READERS
from psytrial.web.forms.queries import visible_records
from psytrial.web.forms.viewkit import roles_at
from psytrial.web.permissions import (
    ActionDenied,
    ActionRefused,
    fetch_participant,
    require_role,
    roles_of,
    visible_participants,
)
from psytrial.web.quality.api.errors import ANY_OPERATION, ApiError
from psytrial.web.randomization.queries import arm_for_viewer
from psytrial.web.trial.models import Participant

router = Router(tags=["enrolment"])


class ParticipantOut(Schema):
    id: int
    code: str
    site: str
    status: str
    kit_code: str
    screened_at: datetime
    randomized_at: datetime | None


class FormEntryOut(Schema):
    instrument: str
    visit: str
    occurrence: int
    variant: str
    version: int
    locked: bool


class EligibilityOut(Schema):
    entered: bool
    eligible: bool | None
    failed: list[str]


class ParticipantDetailOut(ParticipantOut):
    stratum: str
    eligibility: EligibilityOut
    blockers: list[str]
    forms: list[FormEntryOut]
    arm: str | None


class ScreenIn(Schema):
    site: str


def _out(p: Participant) -> ParticipantOut:
    return ParticipantOut(
        id=p.pk,
        code=p.code,
        site=p.site.code,
        status=p.status,
        kit_code=p.kit_code,
        screened_at=p.screened_at,
        randomized_at=p.randomized_at,
    )


# Not through `answer`: its refusals come from the API's handlers, in their shape (ApiError).
@router.get(
    "/{code}/participants", response={200: list[ParticipantOut], **ANY_OPERATION, 403: ApiError}
)
@paginate(PageNumberPagination, page_size=50)
def participant_list(request: HttpRequest, code: str) -> list[ParticipantOut]:
    """Participants of the caller's sites, ordered by site and identifier."""
    try:
        return _listing(request, code)
    except ActionDenied as exc:
        raise HttpError(403, str(exc)) from None


def _listing(request: HttpRequest, code: str) -> list[ParticipantOut]:
    study = member_study(request.user, code)
    require_role(request.user, study, READERS)
    rows = visible_participants(request.user, study).order_by("site__code", "code")
    return [_out(p) for p in rows]


@router.get("/{code}/participants/{pk}", response={200: ParticipantDetailOut, **ERRORS})
def participant_detail(request: HttpRequest, code: str, pk: int) -> Any:
    return answer(lambda: _detail(request, code, pk))


def _detail(request: HttpRequest, code: str, pk: int) -> ParticipantDetailOut:
    study = member_study(request.user, code)
    person, _ = fetch_participant(request.user, study, pk, READERS)
    state = readiness(person)
    verdict = state.eligibility
    forms = [
        FormEntryOut(
            instrument=e.record.instrument_id,
            visit=e.record.visit_id,
            occurrence=e.record.occurrence,
            variant=e.record.variant,
            version=e.record.current_version,
            locked=e.record.locked,
        )
        for e in visible_records(
            person, roles_at(request.user, study, person.site), roles_of(request.user, study)
        )
    ]
    base = _out(person).dict()
    return ParticipantDetailOut(
        **base,
        stratum=person.stratum,
        eligibility=EligibilityOut(
            entered=verdict is not None,
            eligible=None if verdict is None else verdict.eligible,
            failed=[] if verdict is None else [c.id for c in verdict.failed],
        ),
        blockers=list(state.blockers),
        forms=forms,
        arm=arm_for_viewer(request.user, person),
    )


@router.post("/{code}/participants", response={201: ParticipantOut, **ERRORS})
def screen_participant(request: HttpRequest, code: str, body: ScreenIn) -> Any:
    """Screen a new participant at `site` (an investigator there)."""

    def run() -> ParticipantOut:
        study = member_study(request.user, code)
        site = study.sites.filter(code=body.site).first()
        if site is None:
            known = ", ".join(study.sites.values_list("code", flat=True))
            raise ActionRefused(f"site: expected one of {known}, got {body.site!r}")
        return _out(screen(request.user, study, site))

    return answer(run, ok=201)
