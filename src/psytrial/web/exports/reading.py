"""Reading the current value of every form entry of a study in a few streamed queries.

The exports need all of a study's entries at once (5,000 participants with two years of
follow-up are ~200,000 entries), so they read the current version of every record in one
query, streamed in chunks, instead of going record by record through `forms.queries`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F

from psytrial.web.forms.models import FormVersion
from psytrial.web.trial.models import Study

CHUNK = 5000


@dataclass(frozen=True)
class Entry:
    """One form entry (a record) with its current values."""

    record_id: int
    participant_id: int
    participant: str
    site: str
    instrument: str
    visit: str
    occurrence: int
    variant: str
    version: int
    saved_at: datetime
    locked: bool
    data: dict[str, Any]


_FIELDS = (
    "record_id",
    "record__participant_id",
    "record__participant__code",
    "record__participant__site__code",
    "record__instrument_id",
    "record__visit_id",
    "record__occurrence",
    "record__variant",
    "version",
    "saved_at",
    "record__locked",
    "data",
)


def current_entries(
    study: Study,
    *,
    instruments: Collection[str] | None = None,
    participant_ids: Collection[int] | None = None,
) -> Iterator[Entry]:
    """The current version of every saved record of the study (optionally some only)."""
    rows = FormVersion.objects.filter(
        record__participant__study=study, version=F("record__current_version")
    )
    if instruments is not None:
        rows = rows.filter(record__instrument_id__in=list(instruments))
    if participant_ids is not None:
        rows = rows.filter(record__participant_id__in=list(participant_ids))
    for values in rows.values_list(*_FIELDS).order_by().iterator(chunk_size=CHUNK):
        yield Entry(*values[:-1], data=dict(values[-1] or {}))


def first_saved(study: Study, instruments: Collection[str]) -> dict[int, datetime]:
    """Record id -> when its first version was saved (the day the visit's data came in)."""
    rows = FormVersion.objects.filter(
        record__participant__study=study, version=1, record__instrument_id__in=list(instruments)
    )
    return dict(rows.values_list("record_id", "saved_at").order_by().iterator(chunk_size=CHUNK))
