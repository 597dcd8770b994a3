"""The site worklist: what the user's sites must do today.

    worklist(user, study)                -> Worklist (form readers of the study)
    overdue_by_site(user, study)         -> [(site code, [VisitItem])]

Sections: visits due now (window open, target not passed), overdue visits (late, or window
closed and not marked missed), participants needing an action of the user's role
(randomization for investigators, dose preparation and its check for pharmacists only,
administration for session clinicians), unreported serious adverse events, and the count of
open data queries when the data-quality app is installed. Nothing here depends on the arm:
for a blind viewer the lists are the same in every arm.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.urls import reverse

from psytrial.core.roles import Role
from psytrial.core.status import TERMINAL_STATES, ParticipantState
from psytrial.web import clock
from psytrial.web.forms.viewkit import roles_at
from psytrial.web.permissions import AnyUser, require_role, roles_of, visible_participants
from psytrial.web.pharmacy.readouts import pharmacy_rows, session_rows
from psytrial.web.trial.models import Participant, Study
from psytrial.web.visits.access import TIMELINE_READERS, viewer_arm
from psytrial.web.visits.adverse import SeriousEvent, serious_events
from psytrial.web.visits.schedule import VisitRow, batch, participant_schedule

ACTIVE = [s.value for s in ParticipantState if s not in TERMINAL_STATES]


@dataclass(frozen=True)
class VisitItem:
    participant: Participant
    row: VisitRow


@dataclass(frozen=True)
class ActionItem:
    participant: Participant
    what: str
    url: str


@dataclass(frozen=True)
class Worklist:
    today: date
    due: tuple[VisitItem, ...]
    overdue: tuple[VisitItem, ...]
    actions: tuple[ActionItem, ...]
    serious: tuple[SeriousEvent, ...]
    open_queries: int | None


def worklist(user: AnyUser, study: Study) -> Worklist:
    require_role(user, study, TIMELINE_READERS)
    today = clock.today()
    items = _visit_items(user, study, today)
    people = list(_active(user, study))
    return Worklist(
        today=today,
        due=tuple(i for i in items if i.row.due_now),
        overdue=tuple(i for i in items if i.row.overdue),
        actions=tuple(_actions(user, study, people)),
        serious=tuple(e for e in serious_events(people) if not e.reported),
        open_queries=open_query_count(user, study),
    )


def overdue_by_site(user: AnyUser, study: Study) -> list[tuple[str, list[VisitItem]]]:
    """The overdue visits of the user's sites, grouped by site (sites in code order)."""
    require_role(user, study, TIMELINE_READERS)
    grouped: dict[str, list[VisitItem]] = {}
    for item in _visit_items(user, study, clock.today()):
        if item.row.overdue:
            grouped.setdefault(item.participant.site.code, []).append(item)
    return sorted(grouped.items())


def _active(user: AnyUser, study: Study) -> Iterable[Participant]:
    return (
        visible_participants(user, study)
        .filter(status__in=ACTIVE)
        .select_related("study", "site")
        .order_by("site__code", "code")
    )


def _visit_items(user: AnyUser, study: Study, today: date) -> list[VisitItem]:
    people = list(_active(user, study))
    progress = batch(people)
    items: list[VisitItem] = []
    for participant in people:
        rows = participant_schedule(
            participant, today, arm=viewer_arm(user, participant), progress=progress[participant.pk]
        )
        items.extend(VisitItem(participant, r) for r in rows if r.due_now or r.overdue)
    return sorted(
        items, key=lambda i: (_target(i.row), i.participant.site.code, i.participant.code, i.row.id)
    )


def _target(row: VisitRow) -> date:
    return row.window.target if row.window is not None else date.max


def _actions(user: AnyUser, study: Study, people: list[Participant]) -> list[ActionItem]:
    roles = roles_of(user, study)
    found: list[ActionItem] = []
    if Role.INVESTIGATOR in roles:
        found += [
            ActionItem(p, "randomize", _participant_url(study, p))
            for p in people
            if p.status == ParticipantState.CONSENTED
            and p.randomized_at is None
            and _investigator_at(user, study, p)
        ]
    if Role.PHARMACIST in roles:
        found += [
            ActionItem(
                p,
                f"dose preparation: {stage}",
                reverse("pharmacy:participant", kwargs={"code": study.code, "pid": p.pk}),
            )
            for p, stage in pharmacy_rows(user, study)
            if p.status == ParticipantState.RANDOMIZED
            and stage in ("awaiting preparation", "awaiting check")
        ]
    if Role.SESSION_CLINICIAN in roles:
        ready = {p.pk for p in people if p.status == ParticipantState.RANDOMIZED}
        found += [
            ActionItem(
                _by_pk(people, v.participant_id),
                "administration: kit ready",
                reverse(
                    "pharmacy:administer", kwargs={"code": study.code, "pid": v.participant_id}
                ),
            )
            for v in session_rows(user, study)
            if v.stage == "ready" and v.participant_id in ready
        ]
    return found


def _investigator_at(user: AnyUser, study: Study, participant: Participant) -> bool:
    return Role.INVESTIGATOR in roles_at(user, study, participant.site)


def _by_pk(people: list[Participant], pk: int) -> Participant:
    return next(p for p in people if p.pk == pk)


def _participant_url(study: Study, participant: Participant) -> str:
    return reverse("enrolment:participant", kwargs={"code": study.code, "pk": participant.pk})


def open_query_count(user: AnyUser, study: Study) -> int | None:
    """Open data queries the user may read, if the data-quality app is installed; else None."""
    if not apps.is_installed("psytrial.web.quality"):
        return None
    try:
        from psytrial.web.quality.models import OPEN
        from psytrial.web.quality.readouts import visible_queries
    except ImportError:
        return None
    return len(visible_queries(user, study, statuses=[OPEN]))
