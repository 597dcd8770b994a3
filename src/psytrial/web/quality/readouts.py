"""Reading queries and signatures as a user may see them; nothing here changes data.

    visible_queries(user, study, statuses=..., site=..., participant_id=...) -> list[Query]
    query_for(user, study, pk)            -> Query (fetch and authorize in one call)
    record_for(user, study, pk)           -> FormRecord the user may read
    counts_by_site(queries)               -> [(site code, open, answered)]

Visibility is the form's: the participant must be at one of the user's sites, and the user's
roles must read the instrument there, the blind included (an outcome rater never gets a
query on an arm-revealing instrument, not even in a count).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from psytrial.core.errors import ProtocolError
from psytrial.web.forms.catalog import instrument
from psytrial.web.forms.models import FormRecord
from psytrial.web.permissions import ActionDenied, AnyUser, visible_participants
from psytrial.web.quality import rules
from psytrial.web.quality.models import ANSWERED, OPEN, Query
from psytrial.web.trial.models import Study


def visible_queries(
    user: AnyUser,
    study: Study,
    *,
    statuses: Iterable[str] | None = None,
    site: str | None = None,
    participant_id: int | None = None,
) -> list[Query]:
    """The queries the user may read, most recently changed first."""
    rows = (
        Query.objects.filter(study=study, participant__in=visible_participants(user, study))
        .select_related("record", "participant", "participant__site", "raised_by")
        .order_by("-updated_at", "-pk")
    )
    if statuses is not None:
        rows = rows.filter(status__in=list(statuses))
    if site is not None:
        rows = rows.filter(participant__site__code=site)
    if participant_id is not None:
        rows = rows.filter(participant_id=participant_id)
    seen: dict[tuple[int, str, str], bool] = {}
    out = []
    for query in rows:
        key = (query.participant.site_id, query.record.instrument_id, query.record.variant)
        if key not in seen:
            seen[key] = _may_view(user, study, query.record)
        if seen[key]:
            out.append(query)
    return out


def query_for(user: AnyUser, study: Study, pk: int) -> Query:
    query = (
        Query.objects.filter(study=study, pk=pk)
        .select_related("record", "participant", "participant__site", "raised_by")
        .first()
    )
    if (
        query is None
        or not _may_view(user, study, query.record)
        or not visible_participants(user, study).filter(pk=query.participant_id).exists()
    ):
        raise ActionDenied(f"expected a query of study {study.code} that you may read, got id {pk}")
    return query


def record_for(user: AnyUser, study: Study, pk: int) -> FormRecord:
    record = (
        FormRecord.objects.filter(participant__study=study, pk=pk)
        .select_related("participant", "participant__site")
        .first()
    )
    if (
        record is None
        or not _may_view(user, study, record)
        or not visible_participants(user, study).filter(pk=record.participant_id).exists()
    ):
        raise ActionDenied(f"expected a form of study {study.code} that you may read, got id {pk}")
    return record


def counts_by_site(queries: Iterable[Query]) -> list[tuple[str, int, int]]:
    """Per site: unresolved queries still open, and those answered awaiting the data manager."""
    opened: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    for q in queries:
        site = q.participant.site.code
        opened[site] += q.status == OPEN
        answered[site] += q.status == ANSWERED
    return [(site, opened[site], answered[site]) for site in sorted(opened | answered)]


def _may_view(user: AnyUser, study: Study, record: FormRecord) -> bool:
    try:
        defn = instrument(study.protocol, record.instrument_id)
    except ProtocolError:
        return False
    return rules.may_view(user, rules.Place(record, study, defn))
