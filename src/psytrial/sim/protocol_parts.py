"""The parts of a protocol the cohort generator fills in, found once and named.

The generator knows what some forms mean by their field ids (the eligibility checklist's
fields are the eligibility criteria; the follow-up form asks heroin_use, urine, collateral;
the blinding-guess form asks guesser_role and guessed_arm), and which instrument plays which
part by the protocol's own declarations (the primary outcome's instrument is the follow-up
form, session_safety names the vital-signs form, secondary outcomes name the adverse-event
and blinding-guess forms). Everything else is filled generically (see `answers_forms`).
"""

from __future__ import annotations

from dataclasses import dataclass

from psytrial.core.instruments import (
    ColourTestInstrument,
    FormInstrument,
    HrsInstrument,
    InstrumentDef,
    VasInstrument,
)
from psytrial.core.protocol import Protocol, Visit

BASELINE_FIELDS = ("age", "sex", "weight_kg", "years_heroin_use")
DONT_KNOW = "dont_know"
PRE_RANDOMIZATION_ANCHOR = "screening"


@dataclass(frozen=True)
class ProtocolParts:
    """Named parts of one protocol; a part the protocol does not have is None or empty."""

    protocol: Protocol
    eligibility_form: FormInstrument | None
    vitals_form: FormInstrument | None
    followup_form: FormInstrument | None
    adverse_event_form: FormInstrument | None
    guess_form: FormInstrument | None
    withdrawal_form: FormInstrument | None
    horizon_months: int
    # The protocol expands its schedule on every call; the generator asks thousands of times.
    schedule: tuple[Visit, ...]
    instruments: dict[str, InstrumentDef]
    pre_randomization_visits: tuple[Visit, ...]
    post_randomization_visits: tuple[Visit, ...]
    arm_visits: dict[str, tuple[Visit, ...]]

    def visits_for_arm(self, arm_id: str) -> tuple[Visit, ...]:
        """The post-randomization visits participants of `arm_id` have."""
        return self.arm_visits[arm_id]

    def instrument(self, instrument_id: str) -> InstrumentDef:
        return self.instruments[instrument_id]

    def is_vitals(self, form: FormInstrument) -> bool:
        return self.vitals_form is not None and form.id == self.vitals_form.id

    def is_followup(self, form: FormInstrument) -> bool:
        return self.followup_form is not None and form.id == self.followup_form.id

    def is_guess(self, form: FormInstrument) -> bool:
        return self.guess_form is not None and form.id == self.guess_form.id

    def is_eligibility(self, form: FormInstrument) -> bool:
        return self.eligibility_form is not None and form.id == self.eligibility_form.id

    def vital_fields(self) -> tuple[str, ...]:
        """The numeric fields of the vital-signs form, in form order."""
        form = self.vitals_form
        if form is None:
            return ()
        return tuple(f.id for f in form.fields if f.type in ("integer", "number"))

    def guess_roles(self) -> tuple[str, ...]:
        """The guesser roles the blinding-guess form offers."""
        form = self.guess_form
        if form is None:
            return ()
        return next((f.choice_values for f in form.fields if f.id == "guesser_role"), ())

    def hrs_instruments(self) -> tuple[HrsInstrument, ...]:
        return tuple(i for i in self.protocol.instruments if isinstance(i, HrsInstrument))

    def vas(self, instrument_id: str) -> VasInstrument | None:
        found = _find(self.protocol, instrument_id)
        return found if isinstance(found, VasInstrument) else None

    def colour_test(self, instrument_id: str) -> ColourTestInstrument | None:
        found = _find(self.protocol, instrument_id)
        return found if isinstance(found, ColourTestInstrument) else None

    def sex_choices(self) -> tuple[str, ...]:
        """The choices of the first form field named `sex`, or () if no form asks it."""
        for form in self.forms():
            for f in form.fields:
                if f.id == "sex" and f.choice_values:
                    return f.choice_values
        return ()

    def forms(self) -> tuple[FormInstrument, ...]:
        return tuple(i for i in self.protocol.instruments if isinstance(i, FormInstrument))

    def field_ranges(self, field_id: str) -> list[tuple[str, float | None, float | None]]:
        """(form id, min, max) of every numeric form field named `field_id`."""
        out = []
        for form in self.forms():
            for f in form.fields:
                if f.id == field_id and f.type in ("integer", "number"):
                    low = float(f.min) if isinstance(f.min, int | float) else None
                    high = float(f.max) if isinstance(f.max, int | float) else None
                    out.append((form.id, low, high))
        return out


def _find(protocol: Protocol, instrument_id: str) -> InstrumentDef | None:
    return next((i for i in protocol.instruments if i.id == instrument_id), None)


def _form(protocol: Protocol, instrument_id: str | None) -> FormInstrument | None:
    found = _find(protocol, instrument_id) if instrument_id else None
    return found if isinstance(found, FormInstrument) else None


def _secondary_form(protocol: Protocol, kind: str, fallback: str) -> FormInstrument | None:
    for outcome in protocol.outcomes.secondary:
        if outcome.kind == kind:
            return _form(protocol, outcome.instrument)
    return _form(protocol, fallback)


def _eligibility_form(protocol: Protocol) -> FormInstrument | None:
    criteria = {c.id for c in protocol.eligibility}
    for instrument in protocol.instruments:
        if isinstance(instrument, FormInstrument):
            fields = {f.id for f in instrument.fields if f.type == "boolean"}
            if criteria <= fields:
                return instrument
    return None


def _withdrawal_form(protocol: Protocol) -> FormInstrument | None:
    for instrument_id in protocol.unscheduled_instruments:
        form = _form(protocol, instrument_id)
        if form is not None and {"kind", "date"} <= {f.id for f in form.fields}:
            return form
    return None


def protocol_parts(protocol: Protocol) -> ProtocolParts:
    safety = protocol.session_safety
    schedule = protocol.schedule
    post = tuple(v for v in schedule if v.anchor != PRE_RANDOMIZATION_ANCHOR)
    return ProtocolParts(
        protocol=protocol,
        eligibility_form=_eligibility_form(protocol),
        vitals_form=_form(protocol, safety.instrument if safety else None),
        followup_form=_form(protocol, protocol.outcomes.primary.instrument),
        adverse_event_form=_secondary_form(protocol, "adverse_events", "adverse_event"),
        guess_form=_secondary_form(protocol, "blinding_guesses", "blinding_guess"),
        withdrawal_form=_withdrawal_form(protocol),
        horizon_months=protocol.outcomes.primary.horizon_months,
        schedule=schedule,
        instruments={i.id: i for i in protocol.instruments},
        pre_randomization_visits=tuple(v for v in schedule if v.anchor == PRE_RANDOMIZATION_ANCHOR),
        post_randomization_visits=post,
        arm_visits={
            a.id: tuple(v for v in post if not v.arms or a.id in v.arms) for a in protocol.arms
        },
    )
