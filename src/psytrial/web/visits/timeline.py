"""The participant timeline: visits with windows and states, their forms, flags, unscheduled
forms, and the serious adverse events with their report clocks.

    timeline(user, study, participant_id) -> Timeline   (form readers at the site)

The forms of each visit come from the enrolment app's `visit_forms`, which applies the blind
(an outcome rater gets no row for an arm-revealing instrument, not even its name). Entries that
need visit-aware checks (vital signs, follow-up, adverse events) are sent to this app's entry
page. Flags that derive from arm-revealing data (a session-safety alert) are shown only to
those who may read that data; the emergency-unblinding flag is a flag only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from django.urls import resolve

from psytrial.core.roles import Role
from psytrial.core.status import ParticipantEvent, allowed_events
from psytrial.web import clock
from psytrial.web.enrolment.pages import FormLink, visit_forms
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.queries import current_data
from psytrial.web.forms.viewkit import roles_at
from psytrial.web.permissions import AnyUser, fetch_participant, roles_of
from psytrial.web.trial.models import Participant, Study
from psytrial.web.visits.access import (
    SAE_REPORTERS,
    TIMELINE_READERS,
    WITHDRAWERS,
    missed_markers,
    viewer_arm,
)
from psytrial.web.visits.actions import context_instruments
from psytrial.web.visits.adverse import SeriousEvent, serious_events
from psytrial.web.visits.safety import (
    alerts_in,
    entry_url,
    safety_instrument,
    sees_safety,
)
from psytrial.web.visits.schedule import VisitRow, participant_schedule


@dataclass(frozen=True)
class TimelineVisit:
    row: VisitRow
    forms: tuple[FormLink, ...]
    may_mark_missed: bool


@dataclass(frozen=True)
class Timeline:
    participant: Participant
    today: date
    visits: tuple[TimelineVisit, ...]
    unscheduled: tuple[FormLink, ...]
    flags: tuple[str, ...]
    serious: tuple[SeriousEvent, ...]
    may_report_sae: bool
    end_kinds: tuple[str, ...]  # withdrawal kinds the viewer may record now
    sees_safety: bool


def timeline(user: AnyUser, study: Study, participant_id: int) -> Timeline:
    participant, _ = fetch_participant(user, study, participant_id, TIMELINE_READERS)
    today = clock.today()
    here = roles_at(user, study, participant.site)
    rows = participant_schedule(participant, today, arm=viewer_arm(user, participant))
    links = _links(participant, here, roles_of(user, study))
    visits = tuple(
        TimelineVisit(
            r,
            links.get(r.id, ()),
            r.may_be_marked_missed
            and not study.is_locked
            and bool(here & missed_markers(study.protocol, r.visit)),
        )
        for r in rows
    )
    safety = sees_safety(user, participant)
    serious = tuple(serious_events([participant]))
    return Timeline(
        participant=participant,
        today=today,
        visits=visits,
        unscheduled=links.get("", ()),
        flags=_flags(participant, serious, safety),
        serious=serious,
        may_report_sae=bool(here & SAE_REPORTERS) and not study.is_locked,
        end_kinds=_end_kinds(participant) if here & WITHDRAWERS and not study.is_locked else (),
        sees_safety=safety,
    )


def _links(
    participant: Participant, here: set[Role], everywhere: set[Role]
) -> dict[str, tuple[FormLink, ...]]:
    special = context_instruments(participant.study)
    found = {}
    for group in visit_forms(participant, here, everywhere, sees_arms=True):
        found[group.visit_id] = tuple(
            _visit_aware(participant, link, special) for link in group.links
        )
    return found


def _visit_aware(participant: Participant, link: FormLink, special: frozenset[str]) -> FormLink:
    """Send entries of the visit-aware instruments to this app's entry page."""
    if not link.can_enter:
        return link
    kwargs = resolve(link.url).kwargs
    if kwargs.get("instrument_id") not in special or kwargs.get("variant"):
        return link
    visit = kwargs["visit"]
    return replace(
        link,
        url=entry_url(
            participant,
            kwargs["instrument_id"],
            "" if visit == "-" else visit,
            kwargs["occurrence"],
        ),
    )


def _flags(
    participant: Participant, serious: tuple[SeriousEvent, ...], safety: bool
) -> tuple[str, ...]:
    flags = []
    if participant.emergency_unblinded:
        flags.append("emergency unblinded")
    now = clock.now()
    if any(e.overdue(now) for e in serious):
        flags.append("serious adverse event report overdue")
    elif any(not e.reported for e in serious):
        flags.append("serious adverse event report due")
    if safety and _has_alert(participant):
        flags.append("session safety alert")
    return tuple(flags)


def _has_alert(participant: Participant) -> bool:
    protocol = participant.study.protocol
    vitals = safety_instrument(protocol)
    if vitals is None:
        return False
    records = FormRecord.objects.filter(
        participant=participant, instrument_id=vitals.id, current_version__gt=0
    )
    return any(alerts_in(protocol, current_data(r)) for r in records)


def _end_kinds(participant: Participant) -> tuple[str, ...]:
    allowed = set(allowed_events(participant.status))
    kinds = []
    if ParticipantEvent.WITHDREW in allowed:
        kinds += ["withdrew", "investigator"]
    if ParticipantEvent.LOST in allowed:
        kinds.append("lost")
    return tuple(kinds)
