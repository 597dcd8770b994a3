"""The JSON shapes of the visits API and the converters from this app's readouts to them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema

from psytrial.web.enrolment.pages import FormLink
from psytrial.web.visits.adverse import SeriousEvent
from psytrial.web.visits.schedule import VisitRow
from psytrial.web.visits.worklist import VisitItem


class FormLinkOut(Schema):
    label: str
    url: str
    state: str
    can_enter: bool


class VisitOut(Schema):
    id: str
    label: str
    target: date | None
    opens: date | None
    closes: date | None
    state: str
    status: str
    overdue: bool
    missed_reason: str | None
    forms: list[FormLinkOut] = []


class SeriousOut(Schema):
    record: int
    participant: str
    onset: str
    serious_since: datetime
    due_at: datetime
    reported: bool
    reported_at: datetime | None
    overdue: bool


class TimelineOut(Schema):
    participant: str
    site: str
    status: str
    kit_code: str
    flags: list[str]
    visits: list[VisitOut]
    unscheduled: list[FormLinkOut]
    serious: list[SeriousOut]


class VisitItemOut(Schema):
    participant: str
    participant_id: int
    site: str
    visit: VisitOut


class ActionOut(Schema):
    participant: str
    what: str
    url: str


class WorklistOut(Schema):
    today: date
    due: list[VisitItemOut]
    overdue: list[VisitItemOut]
    actions: list[ActionOut]
    serious: list[SeriousOut]
    open_queries: int | None


class SiteOverdueOut(Schema):
    site: str
    visits: list[VisitItemOut]


class CompletionOut(Schema):
    visit: str
    label: str
    due: int
    done: int
    marked_missed: int
    overdue: int


class DashboardArmOut(Schema):
    arm: str
    label: str
    randomized: int
    statuses: dict[str, int]
    serious_events: int
    participants_with_serious: int


class EnrolmentOut(Schema):
    month: str
    site: str
    screened: int
    randomized: int
    randomized_to_date: int


class DashboardOut(Schema):
    today: date
    enrolment: list[EnrolmentOut]
    statuses: dict[str, int]
    completion: list[CompletionOut]
    serious_events: int
    serious_unreported: int
    serious_overdue: int
    per_arm: list[DashboardArmOut] | None


class ReadingOut(Schema):
    occurrence: int
    time: str
    values: dict[str, str]
    alerts: list[str]


class SafetySessionOut(Schema):
    visit: str
    readings: list[ReadingOut]
    checklist: dict[str, str]
    ready_for_discharge: bool


class SafetyOut(Schema):
    participant: str
    limits: dict[str, str]
    sessions: list[SafetySessionOut]


class VisitEntryIn(Schema):
    data: dict[str, Any]
    reason: str = ""
    expected_version: int | None = None
    occurrence: int | None = None


class VisitEntryOut(Schema):
    record: int
    occurrence: int
    version: int
    alerts: list[str]


class MissedIn(Schema):
    reason: str


class ReportedIn(Schema):
    reference: str = ""


class WithdrawalIn(Schema):
    kind: str
    date: date
    reason: str


class StatusOut(Schema):
    participant: str
    status: str


def link_out(link: FormLink) -> FormLinkOut:
    return FormLinkOut(label=link.label, url=link.url, state=link.state, can_enter=link.can_enter)


def visit_out(row: VisitRow, links: tuple[FormLink, ...] = ()) -> VisitOut:
    window = row.window
    return VisitOut(
        id=row.id,
        label=row.label,
        target=window.target if window else None,
        opens=window.opens if window else None,
        closes=window.closes if window else None,
        state=row.state.value,
        status=row.status,
        overdue=row.overdue,
        missed_reason=row.missed.reason if row.missed else None,
        forms=[link_out(x) for x in links],
    )


def serious_out(event: SeriousEvent, now: datetime) -> SeriousOut:
    return SeriousOut(
        record=event.record.pk,
        participant=event.participant.code,
        onset=event.onset,
        serious_since=event.serious_since,
        due_at=event.due_at,
        reported=event.reported,
        reported_at=event.report.reported_at if event.report else None,
        overdue=event.overdue(now),
    )


def item_out(item: VisitItem) -> VisitItemOut:
    return VisitItemOut(
        participant=item.participant.code,
        participant_id=item.participant.pk,
        site=item.participant.site.code,
        visit=visit_out(item.row),
    )
