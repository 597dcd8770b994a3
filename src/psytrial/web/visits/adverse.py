"""Serious adverse events and their expedited-report clocks.

An adverse event is an entry of the protocol's unscheduled `adverse_event` form. When an entry
is saved with `serious` = yes, its clock starts (at the save of the first version of the
current run of serious versions) and runs until an investigator marks it reported
(`actions.mark_sae_reported`, audited). The deadline is a setting:

    PSYTRIAL_SAE_REPORT_HOURS   hours from the serious entry to the report's deadline;
                                a Django setting of that name, else the environment variable,
                                else 24.

ASSUMPTION: 24 hours by default, the usual sponsor requirement for an investigator's report of
a serious adverse event (ICH E6(R2) 4.11.1 asks for "immediate" reporting; ICH E2A's 7 and 15
days are the sponsor's deadlines to the regulator, which this clock does not track).

Investigators and DSMB members (at the participant's site, or study-wide) are notified on
commit when an entry becomes serious; the text names the participant and the deadline, never
the arm or the event term.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from psytrial.core.roles import Role
from psytrial.web.config import ConfigError, env_int
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.queries import UNSCHEDULED, current_data
from psytrial.web.trial.actions import notify
from psytrial.web.trial.models import Participant
from psytrial.web.visits.models import ExpeditedReport
from psytrial.web.visits.notices import site_users

AE_INSTRUMENT = "adverse_event"
SERIOUS_FIELD = "serious"
DEFAULT_REPORT_HOURS = 24


def report_deadline() -> timedelta:
    """How long after a serious entry its expedited report is due (see the module docstring)."""
    configured = getattr(settings, "PSYTRIAL_SAE_REPORT_HOURS", None)
    if configured is None:
        return timedelta(
            hours=env_int("PSYTRIAL_SAE_REPORT_HOURS", DEFAULT_REPORT_HOURS, minimum=1)
        )
    if isinstance(configured, bool) or not isinstance(configured, int) or configured < 1:
        raise ConfigError(
            f"PSYTRIAL_SAE_REPORT_HOURS: expected a whole number of hours of at "
            f"least 1, got {configured!r}"
        )
    return timedelta(hours=configured)


@dataclass(frozen=True)
class SeriousEvent:
    """A serious adverse event entry and where its expedited-report clock stands."""

    record: FormRecord
    participant: Participant
    onset: str
    serious_since: datetime
    due_at: datetime
    report: ExpeditedReport | None

    @property
    def reported(self) -> bool:
        return self.report is not None

    def overdue(self, now: datetime) -> bool:
        return self.report is None and now > self.due_at

    def clock(self, now: datetime) -> str:
        """The clock in words: 'reported ...', 'due in 5 h', or 'overdue by 2 h'."""
        if self.report is not None:
            return f"reported {self.report.reported_at:%Y-%m-%d %H:%M}"
        left = self.due_at - now
        if left < timedelta(0):
            return f"overdue by {_span(-left)}"
        return f"due in {_span(left)}"


def _span(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} d {hours % 24} h"
    return f"{hours} h {int(delta.total_seconds() // 60) % 60} min"


def is_serious(data: Mapping[str, Any]) -> bool:
    return data.get(SERIOUS_FIELD) is True


def serious_events(participants: Iterable[Participant]) -> list[SeriousEvent]:
    """The serious adverse events of the participants, earliest deadline first."""
    by_id = {p.pk: p for p in participants}
    records = (
        FormRecord.objects.filter(
            participant_id__in=list(by_id),
            instrument_id=AE_INSTRUMENT,
            visit_id=UNSCHEDULED,
            current_version__gt=0,
        )
        .prefetch_related("versions")
        .order_by("pk")
    )
    reports = {
        r.record_id: r
        for r in ExpeditedReport.objects.filter(record__in=records).select_related("reported_by")
    }
    deadline = report_deadline()
    found = []
    for record in records:
        since = serious_since(record)
        if since is None:
            continue
        data = current_data(record)
        found.append(
            SeriousEvent(
                record,
                by_id[record.participant_id],
                str(data.get("onset_date") or ""),
                since,
                since + deadline,
                reports.get(record.pk),
            )
        )
    return sorted(found, key=lambda e: (e.due_at, e.record.pk))


def serious_since(record: FormRecord) -> datetime | None:
    """When the current run of serious versions began; None if the entry is not serious now."""
    since = None
    for version in sorted(record.versions.all(), key=lambda v: v.version):
        since = (since or version.saved_at) if is_serious(version.data) else None
    return since


def after_ae_saved(
    user: AbstractBaseUser, participant: Participant, record: FormRecord, before: Mapping[str, Any]
) -> SeriousEvent | None:
    """Notify investigators and DSMB members when an entry becomes serious (on commit)."""
    if is_serious(before) or not is_serious(current_data(record)):
        return None
    events = serious_events([participant])
    event = next((e for e in events if e.record.pk == record.pk), None)
    if event is None:
        return None
    study = participant.study
    url = reverse("visits:timeline", kwargs={"code": study.code, "pk": participant.pk})
    notify(
        site_users(participant, {Role.INVESTIGATOR, Role.DSMB_MEMBER}),
        study,
        f"Serious adverse event reported for {participant.code} (site "
        f"{participant.site.code}): the expedited report is due by "
        f"{event.due_at:%Y-%m-%d %H:%M %Z}.",
        url,
    )
    return event
