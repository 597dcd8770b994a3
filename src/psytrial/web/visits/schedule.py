"""A participant's visits, derived: windows from the protocol and the anchor dates, states from
the forms entered and the clock's today.

    anchor_dates(participant)                      screening, randomization, drug_session dates
    participant_schedule(participant, today, ...)  -> [VisitRow]  (one per applicable visit)
    batch(participants)                            the saved forms and marked visits of many
                                                   participants in two queries (worklists)

The anchors are the participant's screening date, randomization date and the ACTUAL date of
the drug session (`Participant.drug_session_at`, set when the dose is administered), so the
integration and follow-up visits move with the real session, not with its target.

A visit is done when every instrument it gives has a saved version: one entry for a plain or
repeating form, and one per guesser for an instrument entered once per person (the blinding
guess). A visit the user marked missed (`MissedVisit`) keeps the core's state for its window
but is no longer overdue. Once a participant has left the trial (withdrawn, lost, completed,
ineligible) the visits not done are no longer expected.

Arm-specific visits (`Visit.arms`) are scheduled only where the arm is open to the viewer: in
an open design, or for a viewer the blind lets see this participant's arm. Everyone else never
sees them, so a blind viewer's schedule is the same in every arm (a double-blind protocol may
not declare them at all: `psytrial.core.protocol.checks`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from psytrial.core.instruments import InstrumentDef
from psytrial.core.protocol import Protocol, Visit
from psytrial.core.status import TERMINAL_STATES, ParticipantState
from psytrial.core.visits import (
    OVERDUE_STATES,
    ScheduledVisit,
    VisitSpec,
    VisitState,
    VisitWindow,
    schedule,
)
from psytrial.web.forms.catalog import instrument
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.permissions import variant_values
from psytrial.web.trial.models import Participant
from psytrial.web.visits.models import MissedVisit

Saved = set[tuple[str, str, str]]  # (instrument id, visit id, variant) with a saved version

STATE_LABELS: Mapping[str, str] = {
    VisitState.NOT_YET_SCHEDULED: "not yet scheduled",
    VisitState.SCHEDULED: "scheduled",
    VisitState.OPEN: "open",
    VisitState.LATE: "late",
    VisitState.MISSED: "window closed, not done",
    VisitState.DONE: "done",
}


@dataclass(frozen=True)
class VisitRow:
    """One visit of one participant on one day."""

    visit: Visit
    window: VisitWindow | None
    state: VisitState
    missed: MissedVisit | None = None
    not_expected: bool = False  # the participant left the trial before doing it

    @property
    def id(self) -> str:
        return self.visit.id

    @property
    def label(self) -> str:
        return self.visit.label

    @property
    def overdue(self) -> bool:
        return self.state in OVERDUE_STATES and self.missed is None and not self.not_expected

    @property
    def due_now(self) -> bool:
        return self.state == VisitState.OPEN and self.missed is None and not self.not_expected

    @property
    def status(self) -> str:
        """The state in words, as every page and the API show it."""
        if self.missed is not None:
            return "missed (marked)"
        if self.not_expected and self.state != VisitState.DONE:
            return "not expected"
        return STATE_LABELS[self.state]

    @property
    def may_be_marked_missed(self) -> bool:
        return (
            self.missed is None
            and not self.not_expected
            and self.state in (VisitState.OPEN, VisitState.LATE, VisitState.MISSED)
        )


@dataclass
class Progress:
    """What was entered for one participant: saved form keys and the visits marked missed."""

    saved: Saved = field(default_factory=set)
    missed: dict[str, MissedVisit] = field(default_factory=dict)


def local_date(moment: object) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


def anchor_dates(participant: Participant) -> dict[str, date | None]:
    return {
        "screening": local_date(participant.screened_at),
        "randomization": local_date(participant.randomized_at),
        "drug_session": local_date(participant.drug_session_at),
    }


def applicable_visits(protocol: Protocol, arm: str | None) -> list[Visit]:
    """The protocol's visits for a participant; arm-specific ones only with a known arm."""
    return [v for v in protocol.schedule if not v.arms or (arm is not None and arm in v.arms)]


def has_arm_specific_visits(protocol: Protocol) -> bool:
    return any(v.arms for v in protocol.schedule)


def required_entries(protocol: Protocol, visit: Visit) -> list[tuple[str, str]]:
    """(instrument id, variant) pairs that must be saved for the visit to be done."""
    needed: list[tuple[str, str]] = []
    for instrument_id in visit.instruments:
        defn: InstrumentDef = instrument(protocol, instrument_id)
        needed.extend((instrument_id, variant) for variant in variant_values(defn))
    return needed


def is_done(protocol: Protocol, visit: Visit, saved: Saved) -> bool:
    needed = required_entries(protocol, visit)
    return bool(needed) and all((i, visit.id, v) in saved for i, v in needed)


def progress_of(participant: Participant) -> Progress:
    return batch([participant])[participant.pk]


def batch(participants: Iterable[Participant]) -> dict[int, Progress]:
    """Saved forms and marked visits of many participants, in two queries."""
    ids = [p.pk for p in participants]
    found: dict[int, Progress] = defaultdict(Progress)
    rows = FormRecord.objects.filter(participant_id__in=ids, current_version__gt=0).values_list(
        "participant_id", "instrument_id", "visit_id", "variant"
    )
    for pid, instrument_id, visit_id, variant in rows:
        found[pid].saved.add((instrument_id, visit_id, variant))
    for missed in MissedVisit.objects.filter(participant_id__in=ids).select_related("marked_by"):
        found[missed.participant_id].missed[missed.visit_id] = missed
    return {pid: found[pid] for pid in ids}


def participant_schedule(
    participant: Participant,
    today: date,
    *,
    arm: str | None = None,
    progress: Progress | None = None,
) -> list[VisitRow]:
    """Every applicable visit of the participant with its window and state on `today`."""
    protocol = participant.study.protocol
    progress = progress if progress is not None else progress_of(participant)
    visits = applicable_visits(protocol, arm)
    left = ParticipantState(participant.status) in TERMINAL_STATES
    rows = []
    for visit, scheduled in zip(visits, _windows(participant, visits), strict=True):
        done = is_done(protocol, visit, progress.saved)
        rows.append(
            VisitRow(
                visit=visit,
                window=scheduled.window,
                state=scheduled.state(today, done=done),
                missed=progress.missed.get(visit.id),
                not_expected=left,
            )
        )
    return rows


def _windows(participant: Participant, visits: list[Visit]) -> list[ScheduledVisit]:
    specs = [
        VisitSpec(
            id=v.id,
            label=v.label,
            anchor=v.anchor,
            offset_days=v.offset_days,
            window_before=v.window.before,
            window_after=v.window.after,
        )
        for v in visits
    ]
    return schedule(anchor_dates(participant), specs)
