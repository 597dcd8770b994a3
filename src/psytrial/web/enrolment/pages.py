"""What the participant page lists: each visit's forms, as links the viewer may follow.

Built from the protocol's schedule, so a new visit or instrument needs no code. The blind
applies: an outcome rater gets no row for an arm-revealing instrument (only their own blinding
guess), and visits that only one arm has are listed only to viewers who may see the arm.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from psytrial.core.errors import ProtocolError
from psytrial.core.instruments import InstrumentDef
from psytrial.core.protocol import Protocol
from psytrial.core.roles import Role
from psytrial.web.forms.catalog import CONSENT_ID, instrument
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.permissions import may_enter, may_read, may_see, variant_values
from psytrial.web.forms.queries import UNSCHEDULED, is_repeatable
from psytrial.web.trial.models import Participant

Key = tuple[str, str, int, str]


@dataclass(frozen=True)
class FormLink:
    label: str
    url: str
    state: str
    can_enter: bool


@dataclass(frozen=True)
class VisitForms:
    visit_id: str
    label: str
    links: tuple[FormLink, ...]


def visit_forms(
    participant: Participant, roles_here: set[Role], roles_all: set[Role], sees_arms: bool
) -> list[VisitForms]:
    """Every visit with the forms the viewer may read (roles at the site, blind study-wide)."""
    protocol = participant.study.protocol
    records: dict[Key, FormRecord] = {
        (r.instrument_id, r.visit_id, r.occurrence, r.variant): r
        for r in FormRecord.objects.filter(participant=participant)
    }
    view = _Viewer(participant, roles_here, roles_all, records)
    visits = []
    for visit in protocol.schedule:
        if visit.arms and not sees_arms:
            continue
        links = [
            link
            for defn in _instruments_at(protocol, visit.id)
            for link in view.links(defn, visit.id)
        ]
        if links:
            visits.append(VisitForms(visit.id, visit.label, tuple(links)))
    unscheduled = [
        link
        for instrument_id in protocol.unscheduled_instruments
        for link in view.links(protocol.instrument(instrument_id), UNSCHEDULED)
    ]
    if unscheduled:
        visits.append(VisitForms("", "Unscheduled", tuple(unscheduled)))
    return visits


def _instruments_at(protocol: Protocol, visit_id: str) -> list[InstrumentDef]:
    defs = list(protocol.instruments_at(visit_id))
    visit = protocol.visit(visit_id)
    if visit.phase == "screening" and CONSENT_ID not in visit.instruments:
        try:
            protocol.instrument(CONSENT_ID)
        except ProtocolError:  # the protocol declares no consent form: use the built-in one
            defs.append(instrument(protocol, CONSENT_ID))
    return defs


class _Viewer:
    def __init__(
        self,
        participant: Participant,
        roles_here: set[Role],
        roles_all: set[Role],
        records: dict[Key, FormRecord],
    ) -> None:
        self.participant = participant
        self.roles_here = roles_here
        self.roles_all = roles_all
        self.records = records

    def links(self, defn: InstrumentDef, visit_id: str) -> list[FormLink]:
        found = []
        for variant in variant_values(defn):
            if not (
                may_read(self.roles_here, defn, variant) and may_see(self.roles_all, defn, variant)
            ):
                continue
            found.extend(self._entries(defn, visit_id, variant))
        return found

    def _entries(self, defn: InstrumentDef, visit_id: str, variant: str) -> list[FormLink]:
        protocol = self.participant.study.protocol
        can_enter = may_enter(self.roles_here, defn, variant)
        existing = sorted(
            occ
            for (i, v, occ, var) in self.records
            if i == defn.id and v == visit_id and var == variant
        )
        if not is_repeatable(protocol, defn, visit_id):
            return [self._link(defn, visit_id, 1, variant, can_enter)]
        links = [self._link(defn, visit_id, occ, variant, can_enter) for occ in existing]
        if can_enter:
            nxt = (existing[-1] if existing else 0) + 1
            links.append(
                FormLink(
                    f"{self._label(defn, variant)}: new entry",
                    self._url(defn, visit_id, nxt, variant),
                    "",
                    True,
                )
            )
        return links

    def _link(
        self, defn: InstrumentDef, visit_id: str, occurrence: int, variant: str, can_enter: bool
    ) -> FormLink:
        record = self.records.get((defn.id, visit_id, occurrence, variant))
        state = "not entered"
        if record is not None:
            state = f"version {record.current_version}" + (", locked" if record.locked else "")
        label = self._label(defn, variant)
        if is_repeatable(self.participant.study.protocol, defn, visit_id):
            label += f" #{occurrence}"
        return FormLink(
            label,
            self._url(defn, visit_id, occurrence, variant),
            state,
            can_enter and not (record is not None and record.locked),
        )

    @staticmethod
    def _label(defn: InstrumentDef, variant: str) -> str:
        return f"{defn.label} ({variant})" if variant else defn.label

    def _url(self, defn: InstrumentDef, visit_id: str, occurrence: int, variant: str) -> str:
        kwargs: dict[str, object] = {
            "code": self.participant.study.code,
            "pk": self.participant.pk,
            "instrument_id": defn.id,
            "visit": visit_id or "-",
            "occurrence": occurrence,
        }
        if variant:
            kwargs["variant"] = variant
        return reverse("forms:entry_variant" if variant else "forms:entry", kwargs=kwargs)
