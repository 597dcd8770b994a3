"""JSON API of trial conduct, with the same permissions and blind as the pages.

GET  /visits/{code}/participants/{pk}/timeline        visits, windows, states, forms, flags
GET  /visits/{code}/participants/{pk}/safety          vital signs series, alerts, checklist
POST /visits/{code}/participants/{pk}/forms/{instrument}/{visit}
                                                      a visit-aware entry (vitals, follow-up,
                                                      adverse event; visit '-' = unscheduled)
POST /visits/{code}/participants/{pk}/visits/{visit}/missed    mark a visit missed
POST /visits/{code}/participants/{pk}/withdrawal      withdrawal or loss to follow-up
POST /visits/{code}/adverse-events/{record}/reported  mark a serious AE reported
GET  /visits/{code}/worklist                          the user's sites: due, overdue, actions
GET  /visits/{code}/overdue                           overdue visits by site
GET  /visits/{code}/dashboard                         the dashboard; `per_arm` only for the
                                                      DSMB (trial statistician after lock)
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from psytrial.web import clock
from psytrial.web.forms.apikit import ERRORS, answer, member_study
from psytrial.web.forms.queries import current_data
from psytrial.web.permissions import ActionRefused, fetch_participant
from psytrial.web.trial.models import Participant
from psytrial.web.visits import actions
from psytrial.web.visits.access import TIMELINE_READERS
from psytrial.web.visits.adverse import serious_events
from psytrial.web.visits.api_schemas import (
    ActionOut,
    CompletionOut,
    DashboardArmOut,
    DashboardOut,
    EnrolmentOut,
    MissedIn,
    ReadingOut,
    ReportedIn,
    SafetyOut,
    SafetySessionOut,
    SeriousOut,
    SiteOverdueOut,
    StatusOut,
    TimelineOut,
    VisitEntryIn,
    VisitEntryOut,
    VisitOut,
    WithdrawalIn,
    WorklistOut,
    item_out,
    link_out,
    serious_out,
    visit_out,
)
from psytrial.web.visits.dashboard import dashboard as build_dashboard
from psytrial.web.visits.safety import alerts_in, safety_view
from psytrial.web.visits.timeline import timeline as build_timeline
from psytrial.web.visits.worklist import overdue_by_site
from psytrial.web.visits.worklist import worklist as build_worklist

router = Router(tags=["visits"])


@router.get("/{code}/participants/{pk}/timeline", response={200: TimelineOut, **ERRORS})
def timeline(request: HttpRequest, code: str, pk: int) -> Any:
    """A participant's visits, windows, states and forms, as the caller may see them."""

    def run() -> TimelineOut:
        t = build_timeline(request.user, member_study(request.user, code), pk)
        now = clock.now()
        p = t.participant
        return TimelineOut(
            participant=p.code,
            site=p.site.code,
            status=p.status,
            kit_code=p.kit_code,
            flags=list(t.flags),
            visits=[visit_out(v.row, v.forms) for v in t.visits],
            unscheduled=[link_out(x) for x in t.unscheduled],
            serious=[serious_out(e, now) for e in t.serious],
        )

    return answer(run)


@router.get("/{code}/participants/{pk}/safety", response={200: SafetyOut, **ERRORS})
def safety(request: HttpRequest, code: str, pk: int) -> Any:
    """The drug-session vital signs with their alerts, and the discharge checklist."""

    def run() -> SafetyOut:
        v = safety_view(request.user, member_study(request.user, code), pk)
        return SafetyOut(
            participant=v.participant.code,
            limits=dict(v.limits),
            sessions=[
                SafetySessionOut(
                    visit=s.visit.id,
                    readings=[
                        ReadingOut(
                            occurrence=r.occurrence,
                            time=r.time,
                            values=dict(r.values),
                            alerts=[a.text for a in r.alerts],
                        )
                        for r in s.readings
                    ],
                    checklist={i.label: i.value for i in s.checklist},
                    ready_for_discharge=s.ready_for_discharge,
                )
                for s in v.sessions
            ],
        )

    return answer(run)


@router.post(
    "/{code}/participants/{pk}/forms/{instrument_id}/{visit}",
    response={201: VisitEntryOut, **ERRORS},
)
def enter(
    request: HttpRequest, code: str, pk: int, instrument_id: str, visit: str, payload: VisitEntryIn
) -> Any:
    """Save an entry of a visit-aware instrument (vital signs, follow-up, adverse event)."""

    def run() -> VisitEntryOut:
        participant = _participant(request, code, pk)
        if instrument_id not in actions.context_instruments(participant.study):
            known = ", ".join(sorted(actions.context_instruments(participant.study)))
            raise ActionRefused(
                f"instrument: expected one of {known} (others: the forms API), got {instrument_id}"
            )
        record = actions.enter_visit_form(
            request.user,
            participant,
            instrument_id,
            "" if visit == "-" else visit,
            payload.data,
            reason=payload.reason,
            expected_version=payload.expected_version,
            occurrence=payload.occurrence,
        )
        alerts = alerts_in(participant.study.protocol, current_data(record))
        return VisitEntryOut(
            record=record.pk,
            occurrence=record.occurrence,
            version=record.current_version,
            alerts=[a.text for a in alerts] if instrument_id == _vitals_id(participant) else [],
        )

    return answer(run, ok=201)


def _vitals_id(participant: Participant) -> str:
    safety_spec = participant.study.protocol.session_safety
    return safety_spec.instrument if safety_spec is not None else ""


def _participant(request: HttpRequest, code: str, pk: int) -> Participant:
    study = member_study(request.user, code)
    participant, _ = fetch_participant(request.user, study, pk, TIMELINE_READERS)
    return participant


@router.post(
    "/{code}/participants/{pk}/visits/{visit_id}/missed", response={201: VisitOut, **ERRORS}
)
def missed(request: HttpRequest, code: str, pk: int, visit_id: str, payload: MissedIn) -> Any:
    """Mark a visit missed, with the reason."""

    def run() -> VisitOut:
        study = member_study(request.user, code)
        participant, _ = fetch_participant(request.user, study, pk, set(TIMELINE_READERS))
        actions.mark_missed(request.user, participant, visit_id, payload.reason)
        t = build_timeline(request.user, study, pk)
        row = next(v.row for v in t.visits if v.row.id == visit_id)
        return visit_out(row)

    return answer(run, ok=201)


@router.post("/{code}/participants/{pk}/withdrawal", response={201: StatusOut, **ERRORS})
def withdrawal(request: HttpRequest, code: str, pk: int, payload: WithdrawalIn) -> Any:
    """Record a withdrawal (kind withdrew or investigator) or a loss to follow-up (lost)."""

    def run() -> StatusOut:
        study = member_study(request.user, code)
        participant, _ = fetch_participant(request.user, study, pk, set(TIMELINE_READERS))
        done = actions.end_participation(
            request.user,
            participant,
            {"kind": payload.kind, "date": payload.date.isoformat(), "reason": payload.reason},
        )
        return StatusOut(participant=done.code, status=done.status)

    return answer(run, ok=201)


@router.post("/{code}/adverse-events/{record_id}/reported", response={201: SeriousOut, **ERRORS})
def reported(request: HttpRequest, code: str, record_id: int, payload: ReportedIn) -> Any:
    """Mark a serious adverse event reported (an investigator at the site)."""

    def run() -> SeriousOut:
        study = member_study(request.user, code)
        report = actions.mark_sae_reported(request.user, study, record_id, payload.reference)
        event = next(
            e for e in serious_events([report.record.participant]) if e.record.pk == record_id
        )
        return serious_out(event, clock.now())

    return answer(run, ok=201)


@router.get("/{code}/worklist", response={200: WorklistOut, **ERRORS})
def worklist(request: HttpRequest, code: str) -> Any:
    """Due and overdue visits, needed actions and open queries of the caller's sites."""

    def run() -> WorklistOut:
        w = build_worklist(request.user, member_study(request.user, code))
        now = clock.now()
        return WorklistOut(
            today=w.today,
            due=[item_out(i) for i in w.due],
            overdue=[item_out(i) for i in w.overdue],
            actions=[
                ActionOut(participant=a.participant.code, what=a.what, url=a.url) for a in w.actions
            ],
            serious=[serious_out(e, now) for e in w.serious],
            open_queries=w.open_queries,
        )

    return answer(run)


@router.get("/{code}/overdue", response={200: list[SiteOverdueOut], **ERRORS})
def overdue(request: HttpRequest, code: str) -> Any:
    """Overdue visits of the caller's sites, by site."""
    return answer(
        lambda: [
            SiteOverdueOut(site=site, visits=[item_out(i) for i in items])
            for site, items in overdue_by_site(request.user, member_study(request.user, code))
        ]
    )


@router.get("/{code}/dashboard", response={200: DashboardOut, **ERRORS})
def dashboard(request: HttpRequest, code: str) -> Any:
    """Enrolment, statuses, visit completion, serious AEs; per arm only for the DSMB."""

    def run() -> DashboardOut:
        d = build_dashboard(request.user, member_study(request.user, code))
        per_arm = (
            None
            if d.per_arm is None
            else [
                DashboardArmOut(
                    arm=a.arm_id,
                    label=a.label,
                    randomized=a.randomized,
                    statuses=dict(a.statuses),
                    serious_events=a.serious_events,
                    participants_with_serious=a.participants_with_serious,
                )
                for a in d.per_arm
            ]
        )
        return DashboardOut(
            today=d.today,
            enrolment=[
                EnrolmentOut(
                    month=m.month,
                    site=m.site,
                    screened=m.screened,
                    randomized=m.randomized,
                    randomized_to_date=m.randomized_to_date,
                )
                for m in d.enrolment
            ],
            statuses=dict(d.statuses),
            completion=[
                CompletionOut(
                    visit=c.visit_id,
                    label=c.label,
                    due=c.due,
                    done=c.done,
                    marked_missed=c.marked_missed,
                    overdue=c.overdue,
                )
                for c in d.completion
            ],
            serious_events=len(d.serious),
            serious_unreported=d.serious_unreported,
            serious_overdue=d.serious_overdue,
            per_arm=per_arm,
        )

    return answer(run)
