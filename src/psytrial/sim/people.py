"""The screened: arrivals on a calendar, characteristics, eligibility and consent.

Screening is a run of independent people: each has a sex (population.sex), fails each
eligibility criterion with its rate (independently; ASSUMPTION), and if eligible refuses
consent with the refusal rate. Those who are eligible and consent are "randomizable".

The run is generated slot by slot, one slot per randomizable person: a geometric number
of people who are not randomizable, then the randomizable one. That is the same process
(the number of failures before a success does not depend on the success's sex), and it
allows the randomizable sexes to be FIXED: with `fixed_arm_composition` their sexes are a
random order of the published totals (e.g. 55 men and 15 women for kpt2002), while people
who are not randomized keep their natural mix. The split over arms is NOT fixed here: arms
are decided later by the concealed allocation list, as in the real trial.

People arrive as a Poisson process (exponential gaps of 7 / screened_per_week days).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np

from psytrial.core.errors import ScenarioError
from psytrial.core.instruments import FormInstrument
from psytrial.core.instruments.values import FieldValue
from psytrial.sim.answers import fill_form
from psytrial.sim.context import Context
from psytrial.sim.distributions import FloatArray, categorical, normal, truncated_normal
from psytrial.sim.records import Entry, VirtualPerson, VisitRecord
from psytrial.sim.scenario_model import ALL, ByGroup, TruncatedNormal
from psytrial.sim.visit_fill import Setting, fill_visit, session_clock

MIN_RANDOMIZABLE_SHARE = 0.01


@dataclass(frozen=True)
class _Odds:
    """Per sex: the chance to fail each criterion, and to be randomizable."""

    fail: dict[str, dict[str, float]]
    randomizable: dict[str, float]
    sexes: tuple[str, ...]
    shares: tuple[float, ...]

    @property
    def overall(self) -> float:
        return sum(p * self.randomizable[s] for s, p in zip(self.sexes, self.shares, strict=True))

    def sex_shares(self, randomizable: bool) -> tuple[float, ...]:
        weights = [
            p * (self.randomizable[s] if randomizable else 1 - self.randomizable[s])
            for s, p in zip(self.sexes, self.shares, strict=True)
        ]
        total = sum(weights)
        return tuple(w / total for w in weights)


def _odds(ctx: Context) -> _Odds:
    scenario = ctx.scenario
    sexes = scenario.sexes
    criteria = [c.id for c in ctx.parts.protocol.eligibility]
    fail = {s: dict.fromkeys(criteria, 0.0) for s in sexes}
    for entry in scenario.screening.ineligible:
        for sex in [entry.sex] if entry.sex else sexes:
            before = fail[sex][entry.criterion]
            fail[sex][entry.criterion] = 1 - (1 - before) * (1 - entry.rate)
    consent = 1 - scenario.screening.consent_refusal
    ok = {s: consent * math.prod(1 - p for p in fail[s].values()) for s in sexes}
    shares = tuple(scenario.population.sex[s] for s in sexes)
    odds = _Odds(fail, ok, sexes, shares)
    if odds.overall < MIN_RANDOMIZABLE_SHARE:
        raise ScenarioError(
            f"screening: expected at least {MIN_RANDOMIZABLE_SHARE:.0%} of screened people to "
            f"be eligible and consent, got {odds.overall:.2%}"
        )
    return odds


def composition_sexes(ctx: Context, n_randomized: int, rng: np.random.Generator) -> list[str]:
    """The published per-sex totals (summed over arms) in a random order."""
    composition = ctx.scenario.published_composition
    if not composition:
        raise ScenarioError(
            "published_composition: expected the per-arm counts by sex, because "
            "fixed_arm_composition was asked for; got none"
        )
    totals: dict[str, int] = {}
    for counts in composition.values():
        for sex, count in counts.items():
            totals[sex] = totals.get(sex, 0) + count
    if sum(totals.values()) != n_randomized:
        raise ScenarioError(
            f"n_randomized: expected {sum(totals.values())} (the published composition), "
            f"got {n_randomized}"
        )
    listed = [sex for sex in ctx.scenario.sexes for _ in range(totals.get(sex, 0))]
    order = rng.permutation(len(listed))
    return [listed[i] for i in order]


@dataclass
class _Run:
    """The mutable state of one screening run (local to `draw_people`)."""

    ctx: Context
    rng: np.random.Generator
    pre_rows: FloatArray
    sites: tuple[str, ...]
    site_shares: tuple[float, ...]
    clock_days: float = 0.0
    people: list[VirtualPerson] | None = None


def draw_people(
    ctx: Context,
    n_randomized: int,
    rng: np.random.Generator,
    pre_rows: FloatArray,
    fixed_sexes: Sequence[str] | None,
    site_weights: Mapping[str, float],
) -> tuple[VirtualPerson, ...]:
    odds = _odds(ctx)
    sites = tuple(site_weights)
    total = sum(site_weights.values())
    run = _Run(ctx, rng, pre_rows, sites, tuple(w / total for w in site_weights.values()), 0.0, [])
    for slot in range(n_randomized):
        for _ in range(_failures_before(odds.overall, rng)):
            sex = odds.sexes[int(categorical(rng.random(), odds.sex_shares(False)))]
            criteria, failed, consented = _not_randomizable(ctx, odds, sex, rng)
            _add(run, sex, criteria, failed, consented, None)
        if fixed_sexes is not None:
            sex = fixed_sexes[slot]
            if odds.randomizable[sex] <= 0:
                raise ScenarioError(
                    f"published_composition: expected people of sex {sex!r} to be able to "
                    f"pass screening, but the scenario excludes all of them"
                )
        else:
            sex = odds.sexes[int(categorical(rng.random(), odds.sex_shares(True)))]
        criteria = _answers(ctx, set())
        _add(run, sex, criteria, (), True, slot)
    assert run.people is not None
    return tuple(run.people)


def _failures_before(p_success: float, rng: np.random.Generator) -> int:
    u = rng.random()
    if p_success >= 1:
        return 0
    return math.floor(math.log1p(-u) / math.log1p(-p_success))


def _answers(ctx: Context, failed: set[str]) -> dict[str, bool]:
    """Checklist answers: an inclusion criterion is True when met, an exclusion when present."""
    return {
        c.id: (c.id not in failed) if c.kind == "inclusion" else (c.id in failed)
        for c in ctx.parts.protocol.eligibility
    }


def _not_randomizable(
    ctx: Context, odds: _Odds, sex: str, rng: np.random.Generator
) -> tuple[dict[str, bool], tuple[str, ...], bool | None]:
    """Criteria and consent of someone of `sex` who is NOT randomizable (by rejection)."""
    fail = odds.fail[sex]
    refusal = ctx.scenario.screening.consent_refusal
    while True:
        u = rng.random(len(fail) + 1)
        failed = tuple(c for c, ui in zip(fail, u[:-1], strict=True) if ui < fail[c])
        if failed:
            return _answers(ctx, set(failed)), failed, None
        if u[-1] < refusal:
            return _answers(ctx, set()), (), False


def _group(groups: ByGroup, sex: str) -> TruncatedNormal:
    return groups.get(sex) or groups[ALL]


def _add(
    run: _Run,
    sex: str,
    criteria: dict[str, bool],
    failed: tuple[str, ...],
    consented: bool | None,
    slot: int | None,
) -> None:
    ctx, rng = run.ctx, run.rng
    population = ctx.scenario.population
    u = rng.random(5)
    run.clock_days += -math.log1p(-u[0]) * 7.0 / ctx.scenario.recruitment.screened_per_week
    screened_on = ctx.scenario.recruitment.start_date + timedelta(days=int(run.clock_days))
    site = run.sites[int(categorical(u[1], run.site_shares))]
    age_dist = _group(population.age, sex)
    age = round(_draw(age_dist, u[2]))
    weight = round(_draw(_group(population.weight_kg, sex), u[3]), 1)
    years = _years(
        _group(population.years_heroin_use, sex), age - population.min_age_first_use, u[4]
    )
    assert run.people is not None
    index = len(run.people)
    person = VirtualPerson(
        index=index,
        screening_id=f"S{index + 1:04d}",
        site=site,
        screened_on=screened_on,
        sex=sex,
        age=age,
        weight_kg=weight,
        years_heroin_use=years,
        criteria=criteria,
        failed_criteria=failed,
        consented=consented,
        slot=slot,
        randomize_on=None,
        visits=(),
        craving_intercept=0.0,
    )
    run.people.append(_with_visits(ctx, person, run.pre_rows))


def _draw(dist: TruncatedNormal, u: float) -> float:
    return float(truncated_normal(np.array([u]), dist.mean, dist.sd, dist.min, dist.max)[0])


def _years(dist: TruncatedNormal, most: float, u: float) -> float:
    """Years of use, at most age - min_age_first_use (use cannot start before that age)."""
    high = min(dist.max, most)
    if high <= dist.min:
        return dist.min
    value = float(truncated_normal(np.array([u]), dist.mean, dist.sd, dist.min, high)[0])
    return round(value, 1)


def baseline_values(person: VirtualPerson) -> dict[str, FieldValue]:
    return {
        "age": person.age,
        "sex": person.sex,
        "weight_kg": person.weight_kg,
        "years_heroin_use": person.years_heroin_use,
    }


def _with_visits(ctx: Context, person: VirtualPerson, pre_rows: FloatArray) -> VirtualPerson:
    if person.slot is None:
        return replace(person, visits=_screening_only(ctx, person))
    row = pre_rows[person.slot]
    craving = ctx.scenario.population.craving
    intercept = 0.0
    if craving is not None:
        u = ctx.pre_layout.take(row, ("craving_intercept",))
        intercept = float(normal(u[0], 0.0, craving.intercept_sd))
    person = replace(person, craving_intercept=intercept)
    visits = []
    for visit in ctx.parts.pre_randomization_visits:
        on = person.screened_on + timedelta(days=visit.offset_days)
        filled = fill_visit(ctx, visit, on, row, False, pre_setting(ctx, person))
        visits.append(VisitRecord(visit.id, on, True, visit.month, filled.entries))
    randomize_on = max((v.date for v in visits), default=person.screened_on)
    return replace(person, visits=tuple(visits), randomize_on=randomize_on)


def pre_setting(ctx: Context, person: VirtualPerson) -> Setting:
    craving = ctx.scenario.population.craving
    attitudes = ctx.scenario.population.attitudes
    person_values = {**baseline_values(person), **person.criteria}
    return Setting(
        session=ctx.scenario.open_label,
        craving_mean=craving.baseline_mean + person.craving_intercept if craving else None,
        craving_sd=craving.residual_sd if craving else 0.0,
        positivity=dict(attitudes.baseline) if attitudes else None,
        person=person_values,
    )


def _screening_only(ctx: Context, person: VirtualPerson) -> tuple[VisitRecord, ...]:
    """Someone not randomized: only the eligibility checklist at the screening visit."""
    form = ctx.parts.eligibility_form
    visits = [v for v in ctx.parts.pre_randomization_visits if v.phase == "screening"]
    if not visits:
        return ()
    visit = visits[0]
    entries: tuple[Entry, ...] = ()
    if form is not None and form.id in visit.instruments:
        entries = (Entry(form.id, _checklist(ctx, form, person)),)
    on = person.screened_on + timedelta(days=visit.offset_days)
    return (VisitRecord(visit.id, on, True, visit.month, entries),)


def _checklist(ctx: Context, form: FormInstrument, person: VirtualPerson) -> dict[str, FieldValue]:
    defaults = ctx.scenario.form_defaults.get(form.id, {})
    return fill_form(form, dict(person.criteria), defaults, person.screened_on, session_clock(ctx))
