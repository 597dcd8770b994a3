"""A study with a participant in each arm at every stage, built through the action functions.

`built(mirror)` (a context manager) creates the study of protocols/kpt2002.yaml, one user per
role (tests/web/personas.py), a second pharmacist and a second investigator (`er_doctor`,
who asks for the emergency unblindings, so the investigator persona stays blind), uploads an
allocation list and plays a trial on a simulated clock, all inside a savepoint that is rolled
back when the block ends, so two worlds built one after the other get the same primary keys.

The allocation list is made here: blocks of two, (first arm, second arm) in every block, or
(second, first) in the mirror world, with the same kit codes. Participants are randomized in
pairs, so each pair holds one participant of each arm, and the mirror world puts every
participant in the other arm. The mirror world also uses a seal key under which the scrambled
group labels of blinded exports swap (`Group A` <-> `Group B`), so a blinded export, too,
must not change by one byte between the worlds.

Stages (one pair each; both members get the same data at the same simulated times):

    randomized      randomized, nothing prepared (its session becomes overdue)
    awaiting_check  the dose prepared, not yet checked by the second pharmacist
    prepared        prepared and checked, not administered
    dosed           every instrument at every visit so far: prep notes, vital signs (one out
                    of limits: a safety alert), discharge, HRS, a serious adverse event
                    (reported), integration notes, craving, colour test, the blinding guesses
                    of participant, therapist and rater, month-1 follow-up; data queries on
                    the follow-up and on the vital signs; the baseline signed; month 2 missed
    unblinded       dosed, then unblinded in an emergency for `er_doctor` (each of the pair)
    withdrawn       dosed, then withdrawn by the investigator

and three participants without an arm: `screened`, `ineligible`, `ready` (eligible,
consented, baseline entered, not randomized).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.test import TestCase, override_settings

from psytrial.core.allocation import AllocationList, SeededSource, Slot, generate_from, to_csv
from psytrial.core.protocol import Protocol
from psytrial.core.protocol.adapters import allocation_parameters
from psytrial.core.roles import Role
from psytrial.stats.blinded import keyed_permutation
from psytrial.web import clock
from psytrial.web.blind import capability
from psytrial.web.enrolment.actions import screen
from psytrial.web.forms.catalog import entry_form, instrument
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.permissions import variants_of
from psytrial.web.pharmacy.actions import (
    check_preparation,
    prepare_dose,
    record_administration,
)
from psytrial.web.pharmacy.allocation import arm_of
from psytrial.web.pharmacy.models import DosePreparation
from psytrial.web.quality.actions import answer_query, raise_query
from psytrial.web.quality.signatures import sign_form
from psytrial.web.randomization.actions import randomize, upload_list
from psytrial.web.sealing import unseal
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import EmergencyUnblinding, Participant, Study
from psytrial.web.unblinding.actions import request_emergency_unblinding
from psytrial.web.visits.actions import (
    enter_visit_form,
    mark_missed,
    mark_sae_reported,
    withdraw,
)
from tests.web.personas import PASSWORD, Personas, make_study, personas

T = TypeVar("T")

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
SWEEP_DAY = 70  # the sweep looks at the trial on this day (month 2 of the dosed is due)
SITE = "spb"
N_PER_STRATUM = 20
KIT_SEED = 20020101
# The weight gives mg and ml figures no page has any other reason to show: 146.6 mg target
# for the full dose, 14.66 mg for the low one (see `leaks.sealed_numbers`).
WEIGHT_KG = "73.3"
STAGES = ("randomized", "awaiting_check", "prepared", "dosed", "unblinded", "withdrawn")
SINGLES = ("screened", "ineligible", "ready")
ELIGIBLE = {
    "heroin_dependence": "true",
    "detoxified": "true",
    "age_18_to_60": "true",
    "informed_consent": "true",
    "psychosis": "false",
    "cardiovascular": "false",
    "other_dependence": "false",
    "pregnancy": "false",
}
OVERRIDES: dict[str, dict[str, str]] = {
    "consent": {"consent_version": "2.1", "consent_date": "2024-02-29", "taken_by": "Dr Burakov"},
    "baseline": {"age": "35", "sex": "male", "weight_kg": WEIGHT_KG, "years_heroin_use": "8"},
    "craving": {"value": "61.5"},
    "prep_note": {"duration_min": "90", "note": "Preparation: expectations discussed."},
    "integration_note": {"duration_min": "75", "note": "Integration: the experience discussed."},
    "vitals": {
        "time": "10:40",
        "systolic_bp": "132",
        "diastolic_bp": "84",
        "heart_rate": "91",
        "spo2": "97",
    },
    "discharge": {
        "oriented": "true",
        "walks_unaided": "true",
        "vitals_in_range": "true",
        "minutes_to_discharge": "187",
    },
    "followup": {"heroin_use": "false", "urine": "negative", "collateral": "no_use"},
    "adverse_event": {
        "term": "Transient hypertension",
        "onset_date": "2024-03-06",
        "serious": "true",
        "severity": "moderate",
        "related": "possible",
        "outcome": "recovered",
    },
    "blinding_guess": {"guessed_arm": "high", "confidence": "70"},
}
# The second vital-signs reading is out of the protocol's limits: a safety alert.
ALERT_VITALS = {**OVERRIDES["vitals"], "time": "11:10", "systolic_bp": "187"}
GUESSERS = ("participant", "therapist", "rater")


@dataclass
class SimClock:
    now: datetime = START

    def day(self, day: int, hour: int = 9, minute: int = 0) -> datetime:
        self.now = START + timedelta(days=day, hours=hour - 9, minutes=minute)
        return self.now


@dataclass
class World:
    """One built world. `arm` maps participant pk -> arm id (read with a pharmacist's key)."""

    mirror: bool
    people: Personas
    pharmacist2: AbstractBaseUser
    er_doctor: AbstractBaseUser
    pairs: dict[str, tuple[Participant, Participant]]
    singles: dict[str, Participant]
    arm: dict[int, str]
    sealed: dict[int, dict[str, Any]]  # participant pk -> opened preparation payload
    records: dict[tuple[int, str, str, str, int], FormRecord] = field(default_factory=dict)
    preparations: dict[int, DosePreparation] = field(default_factory=dict)
    queries: list[Any] = field(default_factory=list)
    grants: dict[int, EmergencyUnblinding] = field(default_factory=dict)
    commitment: str = ""  # the allocation list's published SHA-256

    @property
    def study(self) -> Study:
        return self.people.study

    @property
    def protocol(self) -> Protocol:
        return self.people.study.protocol

    def participants(self) -> list[Participant]:
        """Every participant: the singles, then the pairs in stage order."""
        paired = [p for stage in STAGES for p in self.pairs[stage]]
        return [*self.singles.values(), *paired]

    def participant(self, pk: int) -> Participant:
        return next(p for p in self.participants() if p.pk == pk)

    def by_arm(self, stage: str) -> dict[str, Participant]:
        return {self.arm[p.pk]: p for p in self.pairs[stage]}

    def record(
        self, p: Participant, instrument_id: str, visit: str, variant: str = "", occurrence: int = 1
    ) -> FormRecord:
        return self.records[(p.pk, instrument_id, visit, variant, occurrence)]


# ---- the two worlds ----------------------------------------------------------------------


def fernet_key(label: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(label.encode()).digest()).decode()


def group_labels(seal_key: str, study_code: str, arm_ids: list[str]) -> dict[str, str]:
    """The scrambled labels of the blinded export under `seal_key` (as exports.access does)."""
    key = hmac.new(
        seal_key.encode(), f"psytrial blind key|{study_code}".encode(), hashlib.sha256
    ).digest()
    return keyed_permutation(key, study_code, arm_ids)


def seal_keys(study_code: str, arm_ids: list[str]) -> tuple[str, str]:
    """A seal key, and a second one under which the two arms' scrambled labels swap."""
    first = fernet_key("blinding sweep: world")
    labels = group_labels(first, study_code, arm_ids)
    for i in range(1000):
        second = fernet_key(f"blinding sweep: mirror world {i}")
        other = group_labels(second, study_code, arm_ids)
        if all(other[a] == labels[b] for a, b in zip(arm_ids, reversed(arm_ids), strict=True)):
            return first, second
    raise AssertionError("no seal key found that swaps the scrambled labels")


@contextmanager
def built(mirror: bool) -> Iterator[World]:
    """Build a world inside a savepoint (rolled back on exit), on a simulated clock."""
    protocol_arms = ["high", "low"]
    first, second = seal_keys("kpt2002", protocol_arms)
    sim = SimClock()
    with (
        override_settings(SEAL_KEY=second if mirror else first),
        clock.simulated(lambda: sim.now),
        transaction.atomic(),
    ):
        world = build_world(mirror, sim)
        assert [a.id for a in world.protocol.arms] == protocol_arms
        sim.day(SWEEP_DAY, 12)
        yield world
        transaction.set_rollback(True)


def on_commit(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run an action and then its on-commit work (notifications), as a commit would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call(*args, **kwargs)


# ---- the allocation list -----------------------------------------------------------------


def allocation_csv(protocol: Protocol, mirror: bool) -> str:
    """Blocks of two: (first arm, second arm), or the other way round in the mirror."""
    parameters = allocation_parameters(protocol, N_PER_STRATUM)
    drawn = generate_from(parameters, SeededSource(KIT_SEED))  # for its kit codes and salt
    arms = list(parameters.arm_ids)
    assert len(arms) == 2 and [a.ratio for a in parameters.arms] == [1, 1]
    order = list(reversed(arms)) if mirror else arms
    slots = tuple(
        Slot(
            s.stratum, s.sequence, (s.sequence + 1) // 2, 2, order[(s.sequence - 1) % 2], s.kit_code
        )
        for s in drawn.slots
    )
    return to_csv(AllocationList(parameters, None, drawn.salt, slots))


# ---- form data ---------------------------------------------------------------------------


def raw_for(protocol: Protocol, instrument_id: str, variant: str = "") -> dict[str, Any]:
    """A valid submission: the lowest value of each field, this module's values on top."""
    defn = instrument(protocol, instrument_id)
    fields = entry_form(defn).form.fields
    raw: dict[str, Any] = {}
    for f in fields:
        if f.type in ("integer", "number"):
            raw[f.id] = str(f.min if f.min is not None else 1)
        else:
            raw[f.id] = {
                "text": "noted",
                "date": "2024-03-01",
                "time": "10:15",
                "boolean": "false",
                "choice": f.choices[0].value if f.choices else "",
                "multichoice": [f.choices[0].value] if f.choices else [],
            }.get(f.type, "")
    for i, f in enumerate(f for f in fields if f.id.startswith("rank_")):
        raw[f.id] = f.choices[i].value
    if defn.kind == "hrs":
        raw = {f.id: "2" for f in fields}
    raw.update(OVERRIDES.get(instrument_id, {}))
    variants = variants_of(defn)
    if variants is not None:
        raw[variants.field] = variant
    if instrument_id == "followup":
        raw.pop("first_use_date", None)
    return raw


# ---- the trial ---------------------------------------------------------------------------


def build_world(mirror: bool, sim: SimClock) -> World:
    study = make_study()
    people = personas(study)
    pharmacist2 = create_user("pharmacist_two", PASSWORD)
    grant_role(pharmacist2, study, Role.PHARMACIST)
    er_doctor = create_user("er_doctor", PASSWORD)
    grant_role(er_doctor, study, Role.INVESTIGATOR)
    uploaded = on_commit(
        upload_list,
        people[Role.RANDOMIZATION_STATISTICIAN],
        study,
        allocation_csv(study.protocol, mirror),
    )
    world = World(mirror, people, pharmacist2, er_doctor, {}, {}, {}, {})
    world.commitment = uploaded.commitment
    _screening(world, sim)
    _preparation_sessions(world, sim)
    _pharmacy(world, sim)
    _sessions(world, sim)
    _after_the_session(world, sim)
    _data_quality(world, sim)
    _ends(world, sim)
    key = capability(people[Role.PHARMACIST], study)
    for p in world.participants():
        p.refresh_from_db()
        if p.kit_code:
            world.arm[p.pk] = arm_of(p, key)
        prep = world.preparations.get(p.pk)
        if prep is not None:
            world.sealed[p.pk] = unseal(prep.sealed, key, study_id=study.pk, participant_id=p.pk)
    for stage in STAGES:
        assert len(world.by_arm(stage)) == 2, f"{stage}: expected one participant per arm"
    return world


def enter(
    world: World,
    role: Role | AbstractBaseUser,
    p: Participant,
    instrument_id: str,
    visit: str,
    *,
    variant: str = "",
    raw: dict[str, Any] | None = None,
    occurrence: int | None = None,
) -> FormRecord:
    user = world.people[role] if isinstance(role, Role) else role
    data = raw if raw is not None else raw_for(world.protocol, instrument_id, variant)
    record = on_commit(enter_visit_form, user, p, instrument_id, visit, data, occurrence=occurrence)
    world.records[(p.pk, instrument_id, visit, variant, record.occurrence)] = record
    return record


def _screening(world: World, sim: SimClock) -> None:
    people, study = world.people, world.study
    inv, rater = people[Role.INVESTIGATOR], people[Role.OUTCOME_RATER]
    site = study.sites.get(code=SITE)
    sim.day(0)
    for name in SINGLES:
        p = on_commit(screen, inv, study, site)
        world.singles[name] = p
        if name == "ineligible":
            enter(world, inv, p, "eligibility", "screening", raw={**ELIGIBLE, "psychosis": "true"})
        if name == "ready":
            _enrol(world, p)
    for stage in STAGES:
        pair = (on_commit(screen, inv, study, site), on_commit(screen, inv, study, site))
        for p in pair:
            _enrol(world, p)
            enter(world, rater, p, "craving", "baseline")
            enter(world, rater, p, "colour_test", "baseline")
        sim.day(0, 11)
        for p in pair:
            on_commit(randomize, inv, p)
            p.refresh_from_db()
        world.pairs[stage] = pair
        sim.day(0)


def _enrol(world: World, p: Participant) -> None:
    inv = world.people[Role.INVESTIGATOR]
    enter(world, inv, p, "eligibility", "screening", raw=dict(ELIGIBLE))
    enter(world, inv, p, "consent", "screening")
    enter(world, inv, p, "baseline", "baseline")


def _dosed_pairs(world: World) -> list[Participant]:
    return [p for stage in ("dosed", "unblinded", "withdrawn") for p in world.pairs[stage]]


def _preparation_sessions(world: World, sim: SimClock) -> None:
    for day, visit in ((1, "prep1"), (3, "prep2")):
        sim.day(day)
        for p in _dosed_pairs(world):
            enter(world, Role.PSYCHOTHERAPIST, p, "prep_note", visit)


def _pharmacy(world: World, sim: SimClock) -> None:
    people, study = world.people, world.study
    sim.day(5, 8)
    prepared = [p for s in ("awaiting_check", "prepared") for p in world.pairs[s]]
    for p in prepared + _dosed_pairs(world):
        prep = on_commit(prepare_dose, people[Role.PHARMACIST], study, p.pk)
        world.preparations[p.pk] = prep
    sim.day(5, 8, 30)
    for p in world.pairs["prepared"] + tuple(_dosed_pairs(world)):
        world.preparations[p.pk] = on_commit(
            check_preparation, world.pharmacist2, study, world.preparations[p.pk].pk
        )
    sim.day(5, 10)
    for p in _dosed_pairs(world):
        on_commit(
            record_administration,
            people[Role.SESSION_CLINICIAN],
            study,
            p.pk,
            kit_code=p.kit_code,
            volume_ml=world.preparations[p.pk].total_ml,
            administered_at=sim.now - timedelta(minutes=10),
        )


def _sessions(world: World, sim: SimClock) -> None:
    protocol = world.protocol
    sim.day(5, 11)
    for p in _dosed_pairs(world):
        enter(world, Role.SESSION_CLINICIAN, p, "vitals", "session", occurrence=None)
    for p in world.pairs["dosed"]:
        enter(world, Role.SESSION_CLINICIAN, p, "vitals", "session", raw=dict(ALERT_VITALS))
        enter(world, Role.SESSION_CLINICIAN, p, "discharge", "session")
        enter(world, Role.PSYCHOTHERAPIST, p, "hrs", "session")
        enter(world, Role.SESSION_CLINICIAN, p, "adverse_event", "")
    sim.day(6)
    for p in world.pairs["dosed"]:
        enter(world, Role.PSYCHOTHERAPIST, p, "integration_note", "integration1")
        enter(world, Role.OUTCOME_RATER, p, "craving", "integration1")
        enter(world, Role.OUTCOME_RATER, p, "colour_test", "integration1")
        for guesser in GUESSERS:
            who = Role.OUTCOME_RATER if guesser == "rater" else Role.PSYCHOTHERAPIST
            raw = raw_for(protocol, "blinding_guess", guesser)
            enter(world, who, p, "blinding_guess", "integration1", variant=guesser, raw=raw)
    sim.day(10)
    for p in world.pairs["dosed"]:
        enter(world, Role.PSYCHOTHERAPIST, p, "integration_note", "integration2")


def _after_the_session(world: World, sim: SimClock) -> None:
    sim.day(5 + 30)
    for p in world.pairs["dosed"]:
        for instrument_id in ("followup", "craving", "colour_test"):
            enter(world, Role.OUTCOME_RATER, p, instrument_id, "m01")
    sim.day(5 + 31)
    for p in world.pairs["dosed"]:
        ae = world.record(p, "adverse_event", "")
        on_commit(mark_sae_reported, world.people[Role.INVESTIGATOR], world.study, ae.pk, "MW-17")


def _data_quality(world: World, sim: SimClock) -> None:
    people = world.people
    sim.day(5 + 32)
    for p in world.pairs["dosed"]:
        followup = world.record(p, "followup", "m01")
        q = on_commit(
            raise_query, people[Role.DATA_MANAGER], followup, "urine", "Please confirm the urine."
        )
        world.queries.append(on_commit(answer_query, people[Role.OUTCOME_RATER], q, "Confirmed."))
        vitals = world.record(p, "vitals", "session", occurrence=2)
        world.queries.append(
            on_commit(
                raise_query,
                people[Role.DATA_MANAGER],
                vitals,
                "systolic_bp",
                "Please check the systolic reading.",
            )
        )
        on_commit(
            sign_form, people[Role.INVESTIGATOR], world.record(p, "baseline", "baseline"), PASSWORD
        )


def _ends(world: World, sim: SimClock) -> None:
    people, study = world.people, world.study
    sim.day(40)
    for p in world.pairs["unblinded"]:
        world.grants[p.pk] = on_commit(
            request_emergency_unblinding,
            world.er_doctor,
            study,
            p.pk,
            "Severe agitation in the emergency room: the treating doctor must know the dose.",
        )
    sim.day(45)
    for p in world.pairs["withdrawn"]:
        on_commit(
            withdraw,
            people[Role.INVESTIGATOR],
            p,
            date=sim.now.date(),
            reason="Moved to another city.",
            by_investigator=True,
        )
    sim.day(5 + 61)
    for p in world.pairs["dosed"]:
        on_commit(mark_missed, people[Role.OUTCOME_RATER], p, "m02", "Did not attend; no answer.")


def arms_of(protocol: Protocol) -> list[str]:
    return [a.id for a in protocol.arms]


def dose_of(world: World, p: Participant) -> Decimal:
    return Decimal(world.sealed[p.pk]["mg_target"])
