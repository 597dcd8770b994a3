"""The study dashboard: enrolment by site over time, visit completion, serious adverse events,
participants by status; and, for the DSMB (and the trial statistician after lock), per arm.

    dashboard(user, study) -> Dashboard   (any member; figures over the user's sites)

Blinded roles get no per-arm figure of any kind: every number here except `per_arm` is counted
over all participants together, so a blind viewer's dashboard is the same whichever arm each
participant is in. `per_arm` is built only for a DSMB member or, after database lock, the
trial statistician, with a capability from `psytrial.web.blind` (the pharmacist and the
randomization statistician, though unblinded, have no use for it here).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from psytrial.core.errors import BlindingError
from psytrial.core.visits import VisitState
from psytrial.web import clock
from psytrial.web.blind import capability
from psytrial.web.permissions import ActionDenied, AnyUser, memberships, visible_participants
from psytrial.web.randomization.models import AllocationSlot
from psytrial.web.randomization.queries import open_arm
from psytrial.web.trial.models import Participant, Study
from psytrial.web.trial.models.participant import STATUS_CHOICES
from psytrial.web.visits.access import per_arm_role, viewer_arm
from psytrial.web.visits.adverse import SeriousEvent, serious_events
from psytrial.web.visits.chart import cumulative_chart
from psytrial.web.visits.schedule import VisitRow, batch, local_date, participant_schedule

OPENED = {VisitState.OPEN, VisitState.LATE, VisitState.MISSED, VisitState.DONE}


@dataclass(frozen=True)
class EnrolmentMonth:
    month: str
    site: str
    screened: int
    randomized: int
    randomized_to_date: int


@dataclass(frozen=True)
class Completion:
    visit_id: str
    label: str
    due: int  # window opened, participant still expected (or visit done)
    done: int
    marked_missed: int
    overdue: int

    @property
    def percent_done(self) -> str:
        return f"{100 * self.done / self.due:.0f}%" if self.due else "–"


@dataclass(frozen=True)
class ArmRow:
    arm_id: str
    label: str
    randomized: int
    statuses: tuple[tuple[str, int], ...]
    serious_events: int
    participants_with_serious: int


@dataclass(frozen=True)
class Dashboard:
    today: date
    now: datetime
    enrolment: tuple[EnrolmentMonth, ...]
    chart_svg: str
    statuses: tuple[tuple[str, int], ...]
    completion: tuple[Completion, ...]
    serious: tuple[SeriousEvent, ...]
    per_arm: tuple[ArmRow, ...] | None

    @property
    def serious_unreported(self) -> int:
        return sum(1 for e in self.serious if not e.reported)

    @property
    def serious_overdue(self) -> int:
        return sum(1 for e in self.serious if e.overdue(self.now))


def dashboard(user: AnyUser, study: Study) -> Dashboard:
    if not memberships(user, study):
        raise ActionDenied(f"expected a member of study {study.code}")
    people = list(
        visible_participants(user, study)
        .select_related("study", "site")
        .order_by("site__code", "code")
    )
    today = clock.today()
    serious = tuple(serious_events(people))
    months, enrolment, series = _enrolment(people, today)
    return Dashboard(
        today=today,
        now=clock.now(),
        enrolment=enrolment,
        chart_svg=cumulative_chart(months, series),
        statuses=_statuses(people),
        completion=_completion(user, people, today),
        serious=serious,
        per_arm=_per_arm(user, study, people, serious),
    )


def _statuses(people: list[Participant]) -> tuple[tuple[str, int], ...]:
    counts = Counter(p.status for p in people)
    return tuple((label, counts.get(value, 0)) for value, label in STATUS_CHOICES)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _month_range(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _enrolment(
    people: list[Participant], today: date
) -> tuple[list[str], tuple[EnrolmentMonth, ...], dict[str, list[int]]]:
    """Screened and randomized per site and month, from the first screening to today."""
    screened_days = [d for p in people if (d := local_date(p.screened_at)) is not None]
    if not screened_days:
        return [_month(today)], (), {}
    months = _month_range(min(screened_days), max(today, *screened_days))
    sites = sorted({p.site.code for p in people})
    screened = Counter((p.site.code, _month(local_date(p.screened_at) or today)) for p in people)
    randomized = Counter(
        (p.site.code, _month(d)) for p in people if (d := local_date(p.randomized_at)) is not None
    )
    rows, series = [], {}
    for site in sites:
        total, line = 0, []
        for month in months:
            total += randomized.get((site, month), 0)
            line.append(total)
            rows.append(
                EnrolmentMonth(
                    month,
                    site,
                    screened.get((site, month), 0),
                    randomized.get((site, month), 0),
                    total,
                )
            )
        series[site] = line
    return months, tuple(rows), series


def _completion(user: AnyUser, people: list[Participant], today: date) -> tuple[Completion, ...]:
    progress = batch(people)
    by_visit: dict[str, list[VisitRow]] = {}
    labels: dict[str, str] = {}
    for participant in people:
        for row in participant_schedule(
            participant, today, arm=viewer_arm(user, participant), progress=progress[participant.pk]
        ):
            by_visit.setdefault(row.id, []).append(row)
            labels[row.id] = row.label
    if not people:
        return ()
    order = [v.id for v in people[0].study.protocol.schedule if v.id in by_visit]
    return tuple(_completion_of(v, labels[v], by_visit[v]) for v in order)


def _completion_of(visit_id: str, label: str, rows: list[VisitRow]) -> Completion:
    done = sum(1 for r in rows if r.state == VisitState.DONE)
    due = sum(
        1 for r in rows if r.state in OPENED and (r.state == VisitState.DONE or not r.not_expected)
    )
    return Completion(
        visit_id,
        label,
        due,
        done,
        marked_missed=sum(1 for r in rows if r.missed is not None),
        overdue=sum(1 for r in rows if r.overdue),
    )


def _per_arm(
    user: AnyUser, study: Study, people: list[Participant], serious: tuple[SeriousEvent, ...]
) -> tuple[ArmRow, ...] | None:
    if per_arm_role(user, study) is None:
        return None
    try:
        cap = capability(user, study)
    except BlindingError:
        return None
    arm_of: dict[int, str] = {}
    slots = AllocationSlot.objects.filter(participant__in=[p.pk for p in people])
    for slot in slots:
        arm_of[slot.participant_id] = open_arm(slot, cap, study.pk)
    rows = []
    for arm in study.protocol.arms:
        members = [p for p in people if arm_of.get(p.pk) == arm.id]
        counts = Counter(p.status for p in members)
        events = [e for e in serious if arm_of.get(e.participant.pk) == arm.id]
        rows.append(
            ArmRow(
                arm.id,
                arm.label,
                len(members),
                tuple((label, counts.get(v, 0)) for v, label in STATUS_CHOICES),
                len(events),
                len({e.participant.pk for e in events}),
            )
        )
    return tuple(rows)
