"""Who enters and who reads which instrument: a table, so changing it needs no code.

Entry roles are looked up first by instrument id (`ENTRY_BY_ID`), then by kind
(`ENTRY_BY_KIND`); a protocol's new instrument thus gets its kind's default:

    id / kind                                        entered by
    eligibility, consent, baseline, withdrawal       investigator
    adverse_event                                    investigator, session clinician
    prep_note, integration_note                      psychotherapist
    vitals, discharge                                session clinician
    followup, craving, colour_test                   outcome rater
    blinding_guess                                   per guesser, see VARIANTS
    kind hrs (participant-completed)                 psychotherapist (enters the answers)
    kind vas, colour_test, questionnaire             outcome rater
    kind form (any other form)                       investigator

Instruments in `VARIANTS` are entered once per person: the blinding guess has one record per
value of its `guesser_role` field; the participant's and the therapist's guesses are entered
by the psychotherapist, the rater's by the outcome rater. A guess made by a role that never
sees arm-revealing instruments (the rater) is that role's own and does not reveal the arm to
it; everyone else's guesses do (the protocol marks the instrument `reveals_arm`).

On top of the table, the blind: a role in `ARM_REVEALING_HIDDEN_FROM` (the outcome rater)
never enters or reads an arm-revealing instrument, whatever the table says.

ASSUMPTION: the split of data entry between roles follows the design brief's role table; it
is not published for the reference trial.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from psytrial.core.instruments import FormInstrument, InstrumentDef
from psytrial.core.roles import ARM_REVEALING_HIDDEN_FROM, Role

_INV = Role.INVESTIGATOR
_PT = Role.PSYCHOTHERAPIST
_SC = Role.SESSION_CLINICIAN
_OR = Role.OUTCOME_RATER

ENTRY_BY_ID: Mapping[str, frozenset[Role]] = {
    "eligibility": frozenset({_INV}),
    "consent": frozenset({_INV}),
    "baseline": frozenset({_INV}),
    "withdrawal": frozenset({_INV}),
    "adverse_event": frozenset({_INV, _SC}),
    "prep_note": frozenset({_PT}),
    "integration_note": frozenset({_PT}),
    "vitals": frozenset({_SC}),
    "discharge": frozenset({_SC}),
    "followup": frozenset({_OR}),
    "craving": frozenset({_OR}),
    "colour_test": frozenset({_OR}),
}

ENTRY_BY_KIND: Mapping[str, frozenset[Role]] = {
    "hrs": frozenset({_PT}),
    "vas": frozenset({_OR}),
    "colour_test": frozenset({_OR}),
    "questionnaire": frozenset({_OR}),
    "form": frozenset({_INV}),
}


@dataclass(frozen=True)
class Variants:
    """An instrument entered once per value of `field` (whose entry it is)."""

    field: str
    roles: Mapping[str, frozenset[Role]]
    guesser_role: Mapping[str, Role] = field(default_factory=dict)

    def all_roles(self) -> frozenset[Role]:
        return frozenset(r for roles in self.roles.values() for r in roles)


VARIANTS: Mapping[str, Variants] = {
    "blinding_guess": Variants(
        field="guesser_role",
        roles={
            "participant": frozenset({_PT}),
            "therapist": frozenset({_PT}),
            "psychotherapist": frozenset({_PT}),
            "session_clinician": frozenset({_SC}),
            "rater": frozenset({_OR}),
            "outcome_rater": frozenset({_OR}),
        },
        guesser_role={
            "therapist": _PT,
            "psychotherapist": _PT,
            "session_clinician": _SC,
            "rater": _OR,
            "outcome_rater": _OR,
        },
    ),
}

# Who reads entered forms of the participants at their sites (the blind applies on top).
READERS: frozenset[Role] = frozenset(
    {
        Role.INVESTIGATOR,
        Role.PSYCHOTHERAPIST,
        Role.SESSION_CLINICIAN,
        Role.OUTCOME_RATER,
        Role.PHARMACIST,
        Role.DATA_MANAGER,
        Role.MONITOR,
        Role.DSMB_MEMBER,
    }
)

# Who locks a form against further changes (data cleaning before database lock).
LOCKERS: frozenset[Role] = frozenset({Role.DATA_MANAGER})


def variants_of(defn: InstrumentDef) -> Variants | None:
    return VARIANTS.get(defn.id)


def entry_roles(defn: InstrumentDef, variant: str | None = None) -> frozenset[Role]:
    """The roles that enter `defn` (for one variant; None: any variant)."""
    variants = variants_of(defn)
    if variants is not None:
        if variant is None:
            return variants.all_roles()
        return variants.roles.get(variant, frozenset())
    return ENTRY_BY_ID.get(defn.id, ENTRY_BY_KIND.get(defn.kind, frozenset()))


def reveals_arm(defn: InstrumentDef, variant: str = "") -> bool:
    """Whether this entry reveals the arm to the roles kept from arm-revealing data.

    A guess made by such a role (the rater's own guess) is its own and reveals nothing to it.
    """
    variants = variants_of(defn)
    if variants is not None and variants.guesser_role.get(variant) in ARM_REVEALING_HIDDEN_FROM:
        return False
    return defn.reveals_arm


def may_see(roles: Iterable[Role], defn: InstrumentDef, variant: str = "") -> bool:
    """False if any of `roles` is kept from this entry by the blind."""
    hidden = reveals_arm(defn, variant)
    return not (hidden and any(role in ARM_REVEALING_HIDDEN_FROM for role in roles))


def may_read(roles: Iterable[Role], defn: InstrumentDef, variant: str = "") -> bool:
    held = set(roles)
    return bool(held & READERS) and may_see(held, defn, variant)


def may_enter(roles: Iterable[Role], defn: InstrumentDef, variant: str | None = None) -> bool:
    held = set(roles)
    values = variant_values(defn) if variant is None else (variant,)
    return any(held & entry_roles(defn, v) and may_see(held, defn, v) for v in values)


def variant_values(defn: InstrumentDef) -> tuple[str, ...]:
    """The entries a participant has per visit: ("",) or the variant values the form offers.

    For a form, the values are its variant field's choices that the table knows, in the
    form's order (the protocol may offer fewer guessers than the table lists).
    """
    variants = variants_of(defn)
    if variants is None:
        return ("",)
    if isinstance(defn, FormInstrument):
        try:
            offered = defn.field(variants.field).choice_values
        except KeyError:
            return ()
        return tuple(v for v in offered if v in variants.roles)
    return tuple(variants.roles)
