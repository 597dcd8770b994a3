"""Virtual cohorts: who is screened, and what happens to each randomized person in each arm.

    cohort = generate_cohort(protocol, scenario, n_randomized=70, seed=7)
    for person in cohort.people:                 # everyone screened, in arrival order
        ...                                      # screen, check eligibility, take consent
    course = cohort.outcomes_for(person.index, arm_id)   # once the real system randomized

The generator never decides the arm: the demo randomizes through the real system (the
concealed allocation list) and then asks for the course of the arm it got. Every random
number is drawn up front, per person, from the seed, so a cohort is reproducible byte for
byte, a course does not depend on which other courses were asked for or in which order, and
a person's courses under the two arms are coupled (the same uniforms feed both).

Also the vectorized shortcuts the power engine uses: `relapse_hazards` (monthly relapse
probabilities per arm) and `dropout_probabilities` (monthly probability of leaving
follow-up).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from psytrial.core.errors import ScenarioError
from psytrial.core.protocol import Protocol
from psytrial.sim.context import Context, build_context, monthly_probabilities
from psytrial.sim.course import build_course
from psytrial.sim.distributions import FloatArray
from psytrial.sim.people import composition_sexes, draw_people
from psytrial.sim.protocol_parts import protocol_parts
from psytrial.sim.records import (
    AdverseEvent,
    BlindingGuess,
    Entry,
    ParticipantCourse,
    VirtualPerson,
    VisitRecord,
)
from psytrial.sim.scenario_checks import check_scenario
from psytrial.sim.scenario_model import Scenario

__all__ = [
    "AdverseEvent",
    "BlindingGuess",
    "Entry",
    "ParticipantCourse",
    "VirtualCohort",
    "VirtualPerson",
    "VisitRecord",
    "dropout_probabilities",
    "generate_cohort",
    "relapse_hazards",
]

DEFAULT_MONTHS = 24
Seed = int | np.random.Generator


@dataclass(frozen=True)
class VirtualCohort:
    """Everyone screened (`people`), and the pre-drawn randomness of their courses.

    `people[i].slot` is set for the `n_randomized` people who are eligible and consent;
    `outcomes_for` gives their course in an arm. `target_composition` is the published
    per-arm composition by sex when `fixed_arm_composition` was asked for (its per-sex
    totals are reproduced exactly; the split over arms is left to the randomization).
    """

    protocol: Protocol
    scenario: Scenario
    people: tuple[VirtualPerson, ...]
    n_randomized: int
    fixed_arm_composition: bool
    target_composition: Mapping[str, Mapping[str, int]]
    _context: Context = field(repr=False, compare=False)
    _rows: FloatArray = field(repr=False, compare=False)

    @property
    def randomizable(self) -> tuple[VirtualPerson, ...]:
        return tuple(p for p in self.people if p.slot is not None)

    def outcomes_for(
        self, participant_index: int, arm_id: str, randomized_on: date | None = None
    ) -> ParticipantCourse:
        """The course of person `participant_index` (an index into `people`) in `arm_id`.

        `randomized_on` defaults to the person's planned randomization date; visit dates
        follow from it.
        """
        person = self._person(participant_index)
        if arm_id not in self.scenario.arms:
            raise ScenarioError(
                f"arm: expected one of {', '.join(self.scenario.arms)}, got {arm_id!r}"
            )
        assert person.slot is not None and person.randomize_on is not None
        on = randomized_on or person.randomize_on
        return build_course(self._context, person, self._rows[person.slot], arm_id, on)

    def _person(self, index: int) -> VirtualPerson:
        if not 0 <= index < len(self.people):
            raise ScenarioError(
                f"participant_index: expected 0 to {len(self.people) - 1}, got {index}"
            )
        person = self.people[index]
        if person.slot is None:
            raise ScenarioError(
                f"participant_index: expected a person who is eligible and consents, got "
                f"{index} ({person.screening_id}, not randomizable)"
            )
        return person

    def digest(self) -> str:
        """SHA-256 of the people and the pre-drawn uniforms: equal digests, equal cohorts."""
        h = hashlib.sha256(repr(self.people).encode("utf-8"))
        h.update(np.ascontiguousarray(self._rows).tobytes())
        return h.hexdigest()


def _generators(seed: Seed) -> list[np.random.Generator]:
    if isinstance(seed, np.random.Generator):
        return seed.spawn(3)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ScenarioError(
            f"seed: expected a whole number >= 0 or a numpy Generator, got {seed!r}"
        )
    return np.random.default_rng(int(seed)).spawn(3)


def _site_weights(
    protocol: Protocol, scenario: Scenario, override: Mapping[str, float] | None
) -> dict[str, float]:
    weights = dict(override) if override is not None else {s.id: s.weight for s in scenario.sites}
    known = [s.id for s in protocol.sites]
    for site, weight in weights.items():
        if site not in known:
            raise ScenarioError(
                f"site_weights: expected a site of the protocol ({', '.join(known)}), got {site!r}"
            )
        if not weight > 0:
            raise ScenarioError(f"site_weights.{site}: expected a positive weight, got {weight}")
    if not weights:
        raise ScenarioError("site_weights: expected at least one site, got none")
    return weights


def generate_cohort(
    protocol: Protocol,
    scenario: Scenario,
    n_randomized: int,
    seed: Seed,
    *,
    fixed_arm_composition: bool = False,
    site_weights: Mapping[str, float] | None = None,
) -> VirtualCohort:
    """Screen people until `n_randomized` are eligible and consent; pre-draw their courses.

    `fixed_arm_composition` makes the randomizable people's sexes exactly the published
    per-sex totals (scenario `published_composition`; n_randomized must equal their sum).
    `site_weights` replaces the scenario's site weights (e.g. for a demo with more sites).
    """
    check_scenario(scenario, protocol)
    if isinstance(n_randomized, bool) or not isinstance(n_randomized, int) or n_randomized < 1:
        raise ScenarioError(f"n_randomized: expected a whole number >= 1, got {n_randomized!r}")
    weights = _site_weights(protocol, scenario, site_weights)
    people_rng, pre_rng, course_rng = _generators(seed)
    ctx = build_context(protocol_parts(protocol), scenario)
    fixed = composition_sexes(ctx, n_randomized, people_rng) if fixed_arm_composition else None
    pre_rows = ctx.pre_layout.draw(pre_rng, n_randomized)
    people = draw_people(ctx, n_randomized, people_rng, pre_rows, fixed, weights)
    return VirtualCohort(
        protocol=protocol,
        scenario=scenario,
        people=people,
        n_randomized=n_randomized,
        fixed_arm_composition=fixed_arm_composition,
        target_composition=scenario.published_composition if fixed_arm_composition else {},
        _context=ctx,
        _rows=ctx.course_layout.draw(course_rng, n_randomized),
    )


def relapse_hazards(scenario: Scenario, n_months: int = DEFAULT_MONTHS) -> dict[str, FloatArray]:
    """Per arm: P(relapse in month m | abstinent until then), m = 1..n_months.

    A hazard piece is a rate per person-month, so a month's probability is 1 - exp(-rate).
    The same numbers drive `generate_cohort`, so the power engine and the cohorts agree.
    """
    return {
        arm: monthly_probabilities(m.relapse_hazard, n_months) for arm, m in scenario.arms.items()
    }


def dropout_probabilities(scenario: Scenario, n_months: int = DEFAULT_MONTHS) -> FloatArray:
    """P(leaving follow-up after the visit of month m | still in), m = 1..n_months.

    Loss to follow-up and withdrawal of consent are independent monthly risks, so the
    probability of leaving is 1 - (1 - dropout)(1 - withdrawal); the same in every arm.
    (Withdrawal before the drug session is not included: it happens before follow-up.)
    """
    follow = scenario.follow_up
    stay = (1 - follow.dropout_monthly) * (1 - follow.withdrawal_monthly)
    return np.full(n_months, 1 - stay, dtype=np.float64)
