"""Session safety: the drug-session vital signs as a time series, alerts, the discharge check.

The protocol names the repeating vital-signs instrument and its alert limits
(`session_safety.instrument`, `session_safety.limits`). A reading is out of limits when a value
is below `min` or above `max`; a value exactly at a limit is within it. An alert states the
reading and the limit only, never anything about the arm, so it may go to every investigator.

    alerts_in(protocol, data)               -> [Alert] for one reading
    safety_view(user, study, participant_id) -> SafetyView (readers of the instrument only)
    after_vitals_saved(user, participant, record, before)   notify the site's investigators on
                                            commit when a saved reading is out of limits (called
                                            by `actions.enter_visit_form`, inside its transaction)

The vital signs reveal the arm (the full dose raises blood pressure and heart rate), so the
outcome rater never reaches this page, an alert, or a flag derived from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from psytrial.core.instruments import FormField, FormInstrument, InstrumentDef
from psytrial.core.protocol import Protocol, Visit
from psytrial.core.roles import Role
from psytrial.web.audit.trail import record as audit
from psytrial.web.forms.catalog import instrument
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.permissions import may_enter, may_read, may_see
from psytrial.web.forms.queries import current_data, current_version
from psytrial.web.forms.rendering import as_raw
from psytrial.web.forms.viewkit import roles_at
from psytrial.web.permissions import ActionDenied, AnyUser, fetch_participant, roles_of
from psytrial.web.trial.actions import notify
from psytrial.web.trial.models import Participant, Study
from psytrial.web.visits.notices import site_users


@dataclass(frozen=True)
class Alert:
    """One value of one reading outside its limit."""

    field_id: str
    label: str
    value: float
    unit: str
    side: str  # "below" or "above"
    limit: float

    @property
    def text(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"{self.label} {_num(self.value)}{unit} is {self.side} the alert limit of "
            f"{_num(self.limit)}{unit}"
        )


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Reading:
    occurrence: int
    time: str
    values: tuple[tuple[str, str], ...]  # (label with unit, shown value), in field order
    alerts: tuple[Alert, ...]
    saved_by: str
    saved_at: datetime
    url: str


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    value: str
    ok: bool | None  # for yes/no items: whether it is ticked; None for other fields


@dataclass(frozen=True)
class SessionSafety:
    visit: Visit
    readings: tuple[Reading, ...]
    new_reading_url: str | None
    checklist_label: str
    checklist: tuple[ChecklistItem, ...]
    checklist_url: str | None

    @property
    def alerts(self) -> tuple[tuple[Reading, Alert], ...]:
        return tuple((r, a) for r in self.readings for a in r.alerts)

    @property
    def ready_for_discharge(self) -> bool:
        ticks = [i.ok for i in self.checklist if i.ok is not None]
        return bool(ticks) and all(ticks)


@dataclass(frozen=True)
class SafetyView:
    participant: Participant
    limits: tuple[tuple[str, str], ...]  # (label, "90-180 mmHg")
    sessions: tuple[SessionSafety, ...]


def safety_instrument(protocol: Protocol) -> FormInstrument | None:
    if protocol.session_safety is None:
        return None
    defn = instrument(protocol, protocol.session_safety.instrument)
    return defn if isinstance(defn, FormInstrument) else None


def alerts_in(protocol: Protocol, data: Mapping[str, Any]) -> list[Alert]:
    """The values of one reading outside the protocol's limits (at a limit is within it)."""
    defn = safety_instrument(protocol)
    if defn is None or protocol.session_safety is None:
        return []
    found = []
    for field_id, limit in protocol.session_safety.limits.items():
        value = data.get(field_id)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        f = defn.field(field_id)
        if limit.min is not None and value < limit.min:
            found.append(Alert(field_id, f.label, value, f.unit, "below", limit.min))
        if limit.max is not None and value > limit.max:
            found.append(Alert(field_id, f.label, value, f.unit, "above", limit.max))
    return found


def sees_safety(user: AnyUser, participant: Participant) -> bool:
    """Whether the user reads the vital signs of this participant (never an outcome rater)."""
    defn = safety_instrument(participant.study.protocol)
    if defn is None:
        return False
    study = participant.study
    return may_read(roles_at(user, study, participant.site), defn) and may_see(
        roles_of(user, study), defn
    )


def safety_view(user: AnyUser, study: Study, participant_id: int) -> SafetyView:
    """The session safety page's content, for readers of the vital signs at the site."""
    participant, _ = fetch_participant(user, study, participant_id, set(Role))
    defn = safety_instrument(study.protocol)
    if defn is None or not sees_safety(user, participant):
        raise ActionDenied(
            f"expected a role that reads the session vital signs of "
            f"{participant.code}; outcome raters never see them"
        )
    here = roles_at(user, study, participant.site)
    sessions = tuple(
        _session(participant, visit, defn, here)
        for visit in study.protocol.schedule
        if defn.id in visit.instruments
    )
    return SafetyView(participant, _limits(study.protocol, defn), sessions)


def _limits(protocol: Protocol, defn: FormInstrument) -> tuple[tuple[str, str], ...]:
    assert protocol.session_safety is not None
    shown = []
    for field_id, limit in protocol.session_safety.limits.items():
        f = defn.field(field_id)
        low = "" if limit.min is None else _num(limit.min)
        high = "" if limit.max is None else _num(limit.max)
        text = (
            f"{low}–{high}" if low and high else (f"at least {low}" if low else f"at most {high}")
        )
        shown.append((f.label, f"{text} {f.unit}".strip()))
    return tuple(shown)


def _session(
    participant: Participant, visit: Visit, defn: FormInstrument, here: set[Any]
) -> SessionSafety:
    records = list(
        FormRecord.objects.filter(
            participant=participant, instrument_id=defn.id, visit_id=visit.id, current_version__gt=0
        ).order_by("occurrence")
    )
    readings = sorted(
        (_reading(participant, visit, defn, r) for r in records),
        key=lambda r: (r.time, r.occurrence),
    )
    nxt = (max((r.occurrence for r in records), default=0)) + 1
    new_url = entry_url(participant, defn.id, visit.id, nxt) if may_enter(here, defn) else None
    label, items, url = _checklist(participant, visit, defn, here)
    return SessionSafety(visit, tuple(readings), new_url, label, items, url)


def _reading(
    participant: Participant, visit: Visit, defn: FormInstrument, record: FormRecord
) -> Reading:
    version = current_version(record)
    assert version is not None
    data = dict(version.data)
    limited = participant.study.protocol.session_safety
    shown = tuple(
        (_label(f), _shown(data.get(f.id)))
        for f in defn.fields
        if limited is not None and f.id in limited.limits
    )
    return Reading(
        occurrence=record.occurrence,
        time=_shown(data.get("time")),
        values=shown,
        alerts=tuple(alerts_in(participant.study.protocol, data)),
        saved_by=version.saved_by.get_username(),
        saved_at=version.saved_at,
        url=entry_url(participant, defn.id, visit.id, record.occurrence),
    )


def _label(f: FormField) -> str:
    return f"{f.label} ({f.unit})" if f.unit else f.label


def _shown(value: Any) -> str:
    raw = as_raw(value)
    return ", ".join(raw) if isinstance(raw, list) else raw


def _checklist(
    participant: Participant, visit: Visit, vitals: FormInstrument, here: set[Any]
) -> tuple[str, tuple[ChecklistItem, ...], str | None]:
    """The visit's discharge checklist: its other yes/no form (e.g. 'discharge'), if any."""
    protocol = participant.study.protocol
    for instrument_id in visit.instruments:
        defn: InstrumentDef = instrument(protocol, instrument_id)
        if defn.id == vitals.id or not isinstance(defn, FormInstrument):
            continue
        if not any(f.type == "boolean" for f in defn.fields):
            continue
        record = FormRecord.objects.filter(
            participant=participant, instrument_id=defn.id, visit_id=visit.id, occurrence=1
        ).first()
        data = current_data(record) if record is not None else {}
        items = tuple(
            ChecklistItem(
                _label(f),
                _shown(data.get(f.id)) or "not entered",
                (data.get(f.id) is True) if f.type == "boolean" else None,
            )
            for f in defn.fields
        )
        url = forms_url(participant, defn.id, visit.id, 1)
        return defn.label, items, url if may_read(here, defn) else None
    return "", (), None


def entry_url(participant: Participant, instrument_id: str, visit_id: str, occurrence: int) -> str:
    """This app's visit-aware entry page (it runs the session-safety and AE checks)."""
    return reverse(
        "visits:entry",
        kwargs={
            "code": participant.study.code,
            "pk": participant.pk,
            "instrument_id": instrument_id,
            "visit": visit_id or "-",
            "occurrence": occurrence,
        },
    )


def forms_url(participant: Participant, instrument_id: str, visit_id: str, occurrence: int) -> str:
    """The forms app's generic page of one entry."""
    return reverse(
        "forms:entry",
        kwargs={
            "code": participant.study.code,
            "pk": participant.pk,
            "instrument_id": instrument_id,
            "visit": visit_id or "-",
            "occurrence": occurrence,
        },
    )


def after_vitals_saved(
    user: AbstractBaseUser, participant: Participant, record: FormRecord, before: Mapping[str, Any]
) -> list[Alert]:
    """Audit and notify an out-of-limit reading; call inside the saving transaction.

    A correction that leaves the same alerts as before notifies nobody again.
    """
    study = participant.study
    now_data = current_data(record)
    alerts = alerts_in(study.protocol, now_data)
    if not alerts or alerts == alerts_in(study.protocol, before):
        return alerts
    texts = "; ".join(a.text for a in alerts)
    where = f"{participant.code} (site {participant.site.code}), visit {record.visit_id}"
    when = now_data.get("time") or "no time given"
    audit(
        actor=user.get_username(),
        action="session_safety.alert",
        study=study.code,
        object_type="form",
        object_id=f"{participant.code}/{record.key}",
        new={"alerts": [a.text for a in alerts], "time": when},
    )
    url = reverse("visits:safety", kwargs={"code": study.code, "pk": participant.pk})
    notify(
        site_users(participant, {Role.INVESTIGATOR}),
        study,
        f"Session safety alert for {where}, reading at {when}: {texts}.",
        url,
    )
    return alerts
