"""Everything the analysis export reads from the database, loaded once, in a few queries.

The table builders (`analysis`, `analysis_rows`) then work on this snapshot alone, so they
are plain functions of data and the export's cost is a handful of streamed queries however
many participants there are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache

from django.utils import timezone

from psytrial.core.instruments import InstrumentDef
from psytrial.core.protocol import Protocol, Visit
from psytrial.web import clock
from psytrial.web.exports.reading import Entry, current_entries, first_saved
from psytrial.web.pharmacy.models import Administration, DosePreparation
from psytrial.web.trial.models import Participant, Study
from psytrial.web.visits.models import MissedVisit


@dataclass
class Snapshot:
    study: Study
    protocol: Protocol
    today: date
    people: list[Participant]
    entries: dict[int, list[Entry]] = field(default_factory=dict)
    first_saved: dict[int, datetime] = field(default_factory=dict)
    administered: set[int] = field(default_factory=set)
    dosing_weight: dict[int, Decimal] = field(default_factory=dict)
    missed: set[tuple[int, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        # The protocol expands its monthly visits on every access: look them up once.
        self.schedule: tuple[Visit, ...] = self.protocol.schedule
        self.visits: dict[str, Visit] = {v.id: v for v in self.schedule}
        self.order: dict[str, int] = {v.id: i for i, v in enumerate(self.schedule)}
        self.instruments: dict[str, InstrumentDef] = {i.id: i for i in self.protocol.instruments}
        primary = self.protocol.outcomes.primary.instrument
        self.followup_visits: list[Visit] = [
            v
            for v in self.schedule
            if v.month is not None and v.month >= 1 and primary in v.instruments
        ]

    def of(self, participant: Participant) -> list[Entry]:
        return self.entries.get(participant.pk, [])


def load(study: Study) -> Snapshot:
    protocol = study.protocol
    people = list(
        Participant.objects.filter(study=study)
        .select_related("site")
        .order_by("site__code", "code")
    )
    snap = Snapshot(study, protocol, clock.today(), people)
    grouped: dict[int, list[Entry]] = defaultdict(list)
    for entry in current_entries(study):
        grouped[entry.participant_id].append(entry)
    snap.entries = dict(grouped)
    snap.first_saved = first_saved(study, [protocol.outcomes.primary.instrument])
    snap.administered = set(
        Administration.objects.filter(participant__study=study).values_list(
            "participant_id", flat=True
        )
    )
    snap.dosing_weight = dict(
        DosePreparation.objects.filter(participant__study=study).values_list(
            "participant_id", "weight_kg"
        )
    )
    snap.missed = set(
        MissedVisit.objects.filter(participant__study=study).values_list(
            "participant_id", "visit_id"
        )
    )
    return snap


def local_day(moment: datetime | None) -> date | None:
    """The date in the installation's time zone (settings.TIME_ZONE), like the visits app."""
    return moment.astimezone(_zone()).date() if moment is not None else None


@lru_cache(maxsize=1)
def _zone() -> tzinfo:
    return timezone.get_default_timezone()
