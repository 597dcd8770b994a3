"""Generated cohorts follow their scenario: large seeded cohorts against independent references.

References are computed here, independently of the generator: binomial and Poisson
standard errors, scipy's truncated normal, numerical integration of clipped normals
(scipy.integrate.quad), the survival product of the monthly hazards, and the HRS scores
given by psytrial.core.instruments.score (not by the generator). Tolerances are Z standard
errors from sampling theory; the seeds are fixed, so a pass is reproducible.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import integrate, stats

from psytrial.core.instruments import HRSScore, score
from psytrial.core.protocol import load_protocol
from psytrial.sim.cohort import (
    ParticipantCourse,
    VirtualCohort,
    dropout_probabilities,
    generate_cohort,
    relapse_hazards,
)
from psytrial.sim.scenario import load_scenario
from psytrial.sim.scenario_model import Scenario
from psytrial.stats.derive import FollowupPlan, participant_outcome

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = load_protocol(ROOT / "protocols" / "kpt2002.yaml")
SCENARIO = load_scenario(ROOT / "scenarios" / "kpt2002.yaml", PROTOCOL)
ARMS = ("high", "low")
Z = 4.0
N = 500


@pytest.fixture(scope="module")
def cohort() -> VirtualCohort:
    return generate_cohort(PROTOCOL, SCENARIO, N, 2024)


@pytest.fixture(scope="module")
def courses(cohort: VirtualCohort) -> dict[str, list[ParticipantCourse]]:
    return {a: [cohort.outcomes_for(p.index, a) for p in cohort.randomizable] for a in ARMS}


def within(observed: float, expected: float, se: float) -> bool:
    return abs(observed - expected) <= Z * se


def binomial_ok(hits: int, n: int, p: float) -> bool:
    return within(hits / n, p, math.sqrt(p * (1 - p) / n) + 1e-12)


def test_it_screens_the_scenarios_sex_ratio(cohort: VirtualCohort) -> None:
    people = cohort.people
    men = sum(p.sex == "male" for p in people)
    assert binomial_ok(men, len(people), SCENARIO.population.sex["male"])


def test_it_fails_each_criterion_at_its_rate_and_refuses_consent_at_its_rate(
    cohort: VirtualCohort,
) -> None:
    people = cohort.people
    for entry in SCENARIO.screening.ineligible:
        pool = [p for p in people if entry.sex is None or p.sex == entry.sex]
        fails = sum(entry.criterion in p.failed_criteria for p in pool)
        assert binomial_ok(fails, len(pool), entry.rate), entry.criterion
    eligible = [p for p in people if p.eligible]
    refused = sum(p.consented is False for p in eligible)
    assert binomial_ok(refused, len(eligible), SCENARIO.screening.consent_refusal)
    criteria = {c.id: c.kind for c in PROTOCOL.eligibility}
    for person in people:
        for criterion, answer in person.criteria.items():
            failed = criterion in person.failed_criteria
            assert answer == (not failed if criteria[criterion] == "inclusion" else failed)


def test_it_screens_people_at_the_scenarios_weekly_rate(cohort: VirtualCohort) -> None:
    people = cohort.people
    days = (people[-1].screened_on - SCENARIO.recruitment.start_date).days + 0.5
    mean_gap = 7 / SCENARIO.recruitment.screened_per_week
    # The sum of n exponential gaps has sd mean_gap * sqrt(n); dates are whole days.
    assert within(days / len(people), mean_gap, mean_gap / math.sqrt(len(people)))


@pytest.mark.parametrize(
    ("name", "sex"), [("age", "male"), ("weight_kg", "male"), ("weight_kg", "female")]
)
def test_it_draws_characteristics_from_the_truncated_normals(
    cohort: VirtualCohort, name: str, sex: str
) -> None:
    groups = getattr(SCENARIO.population, name)
    dist = groups.get(sex) or groups["all"]
    a, b = (dist.min - dist.mean) / dist.sd, (dist.max - dist.mean) / dist.sd
    reference = stats.truncnorm(a, b, loc=dist.mean, scale=dist.sd)
    values = [getattr(p, name) for p in cohort.people if p.sex == sex]
    # Rounding (to years, to 0.1 kg) moves a mean by far less than one standard error.
    assert within(
        float(np.mean(values)), reference.mean(), reference.std() / math.sqrt(len(values))
    )
    assert min(values) >= dist.min and max(values) <= dist.max


def test_it_keeps_years_of_use_below_age_less_the_earliest_start(cohort: VirtualCohort) -> None:
    floor = SCENARIO.population.years_heroin_use["all"].min
    for person in cohort.people:
        allowed = max(person.age - SCENARIO.population.min_age_first_use, floor)
        assert person.years_heroin_use <= allowed + 0.05


def _hrs_scores(courses: list[ParticipantCourse]) -> list[HRSScore]:
    hrs = PROTOCOL.instrument("hrs")
    out = []
    for course in courses:
        session = course.visit("session")
        if session is None:
            continue
        for entry in session.entries_for("hrs"):
            result = score(hrs, entry.answers)
            assert isinstance(result, HRSScore)
            out.append(result)
    return out


@pytest.mark.parametrize("arm", ARMS)
def test_it_makes_hrs_answers_whose_scores_recover_the_cluster_means(
    courses: dict[str, list[ParticipantCourse]], arm: str
) -> None:
    scores = _hrs_scores(courses[arm])
    assert len(scores) > 0.95 * N
    model = SCENARIO.arms[arm].session.hrs
    assert model is not None
    for cluster, dist in model.items():
        values = np.array([s[cluster].mean for s in scores], dtype=float)
        n = len(values)
        assert within(float(values.mean()), dist.mean, dist.sd / math.sqrt(n)), cluster
        # The sd of a sample sd is about sd / sqrt(2 (n - 1)) for near-normal data.
        assert within(float(values.std(ddof=1)), dist.sd, dist.sd / math.sqrt(2 * (n - 1)) * 1.5)


def _clipped_normal_mean(mean: float, sd: float, low: float, high: float) -> float:
    pdf = stats.norm(mean, sd).pdf
    inside, _ = integrate.quad(lambda x: x * pdf(x), low, high)
    below = stats.norm.cdf(low, mean, sd)
    above = stats.norm.sf(high, mean, sd)
    return low * below + inside + high * above


@pytest.mark.parametrize(
    ("arm", "visit_id", "month"),
    [
        ("high", "integration1", 0),
        ("low", "integration1", 0),
        ("high", "m12", 12),
        ("low", "m24", 24),
    ],
)
def test_it_makes_craving_follow_the_arms_trajectory(
    courses: dict[str, list[ParticipantCourse]], arm: str, visit_id: str, month: int
) -> None:
    craving = SCENARIO.population.craving
    model = SCENARIO.arms[arm].craving
    assert craving is not None and model is not None
    values = [
        float(entry.answers)  # type: ignore[arg-type]
        for course in courses[arm]
        for record in course.visits
        if record.visit_id == visit_id
        for entry in record.entries_for("craving")
    ]
    mean = craving.baseline_mean + model.change_by_month[month]
    sd = math.hypot(craving.intercept_sd, model.residual_sd)
    expected = _clipped_normal_mean(mean, sd, 0.0, 100.0)
    assert within(float(np.mean(values)), expected, sd / math.sqrt(len(values)))


def test_it_makes_baseline_craving_the_same_population_in_both_arms(cohort: VirtualCohort) -> None:
    craving = SCENARIO.population.craving
    assert craving is not None
    values = [
        float(e.answers)  # type: ignore[arg-type]
        for p in cohort.randomizable
        for v in p.visits
        for e in v.entries_for("craving")
    ]
    sd = math.hypot(craving.intercept_sd, craving.residual_sd)
    expected = _clipped_normal_mean(craving.baseline_mean, sd, 0.0, 100.0)
    assert within(float(np.mean(values)), expected, sd / math.sqrt(len(values)))


@pytest.mark.parametrize(
    ("arm", "concept"),
    [("high", "myself"), ("high", "heroin"), ("low", "my_future"), ("low", "my_ideal_self")],
)
def test_it_shifts_colour_test_positivity_by_the_arms_attitude_change(
    courses: dict[str, list[ParticipantCourse]], arm: str, concept: str
) -> None:
    attitudes = SCENARIO.population.attitudes
    assert attitudes is not None
    test = PROTOCOL.instrument("colour_test")
    values = []
    for course in courses[arm]:
        record = course.visit("integration1")
        if record is None:
            continue
        for entry in record.entries_for("colour_test"):
            values.append(score(test, entry.answers)[concept].positivity)  # type: ignore[index]
    shift = SCENARIO.arms[arm].attitudes.get(concept, {0: 0.0})[0]
    expected = _clipped_normal_mean(attitudes.baseline[concept] + shift, attitudes.sd, 0.0, 1.0)
    # Rounding to one of 8 ranks is unbiased and adds at most (1/7)^2 / 4 of variance.
    se = math.sqrt(attitudes.sd**2 + (1 / 7) ** 2 / 4) / math.sqrt(len(values))
    assert within(float(np.mean(values)), expected, se)


def _survival(arm: str, month: int) -> float:
    """exp(-cumulative hazard): the product over months of exp(-hazard_m)."""
    pieces = SCENARIO.arms[arm].relapse_hazard
    total = 0.0
    for m in range(1, month + 1):
        total += [p.hazard for p in pieces if p.from_month <= m][-1]
    return math.exp(-total)


@pytest.mark.parametrize("arm", ARMS)
@pytest.mark.parametrize("month", [1, 6, 12, 24])
def test_it_relapses_people_as_the_survival_product_of_the_hazards_says(
    courses: dict[str, list[ParticipantCourse]], arm: str, month: int
) -> None:
    relapsed = sum(c.relapse_month is not None and c.relapse_month <= month for c in courses[arm])
    assert binomial_ok(relapsed, N, 1 - _survival(arm, month))


def test_it_gives_the_power_engine_the_same_monthly_probabilities() -> None:
    hazards = relapse_hazards(SCENARIO)
    for arm in ARMS:
        assert hazards[arm].shape == (24,)
        survival = np.cumprod(1 - hazards[arm])
        expected = [_survival(arm, m) for m in range(1, 25)]
        np.testing.assert_allclose(survival, expected, rtol=1e-12)
    follow = SCENARIO.follow_up
    leave = 1 - (1 - follow.dropout_monthly) * (1 - follow.withdrawal_monthly)
    np.testing.assert_allclose(dropout_probabilities(SCENARIO), np.full(24, leave), rtol=1e-12)


def _variant(**follow_up: Any) -> Scenario:
    data = yaml.safe_load((ROOT / "scenarios" / "kpt2002.yaml").read_text(encoding="utf-8"))
    data["follow_up"].update(follow_up)
    return Scenario.model_validate(data)


def test_it_loses_people_at_the_monthly_dropout_rate() -> None:
    scenario = _variant(dropout_monthly=0.04, withdrawal_monthly=0.0, missed_visit=0.0)
    cohort = generate_cohort(PROTOCOL, scenario, 500, 99)
    ends = [cohort.outcomes_for(p.index, "high") for p in cohort.randomizable]
    for month in (1, 6, 12, 23):
        gone = sum(c.end == "lost" and c.last_followup_month <= month for c in ends)
        assert binomial_ok(gone, len(ends), 1 - 0.96**month), month
    # Leaving after the last visit is completing: nobody is lost "after month 24".
    assert all(c.last_followup_month < 24 for c in ends if c.end == "lost")


def test_it_misses_visits_at_the_scenarios_rate(
    courses: dict[str, list[ParticipantCourse]],
) -> None:
    records = [v for c in courses["high"] for v in c.visits if v.month is not None]
    missed = sum(not v.attended for v in records)
    assert binomial_ok(missed, len(records), SCENARIO.follow_up.missed_visit)


@pytest.mark.parametrize("arm", ARMS)
def test_it_gives_adverse_events_at_the_arms_rate_and_mix(
    courses: dict[str, list[ParticipantCourse]], arm: str
) -> None:
    model = SCENARIO.arms[arm].adverse_events
    assert model is not None
    treated = [c for c in courses[arm] if c.received_session]
    counts = [len(c.adverse_events) for c in treated]
    rate = model.per_participant
    assert within(float(np.mean(counts)), rate, math.sqrt(rate / len(counts)))
    events = [e for c in treated for e in c.adverse_events]
    assert binomial_ok(sum(e.serious for e in events), len(events), model.serious_fraction)
    severity = Counter(e.severity for e in events)
    for level, share in model.severity.items():
        assert binomial_ok(severity[level], len(events), share), level


@pytest.mark.parametrize("arm", ARMS)
def test_it_makes_each_guesser_right_and_unsure_at_the_arms_rates(
    courses: dict[str, list[ParticipantCourse]], arm: str
) -> None:
    for role, model in SCENARIO.arms[arm].blinding.items():
        guesses = [
            g.guessed_arm
            for c in courses[arm]
            for g in c.guesses
            if g.visit_id == "integration1" and g.role == role
        ]
        n = len(guesses)
        assert binomial_ok(guesses.count(arm), n, model.correct), role
        assert binomial_ok(guesses.count("dont_know"), n, model.dont_know), role


def test_it_raises_blood_pressure_at_the_peak_by_the_arms_change(
    courses: dict[str, list[ParticipantCourse]],
) -> None:
    peak_index = SCENARIO.timing.vitals_minutes.index(15)
    for arm in ARMS:
        vital = SCENARIO.arms[arm].session.vitals["systolic_bp"]
        values = []
        for course in courses[arm]:
            record = course.visit("session")
            if record is None:
                continue
            reading = record.entries_for("vitals")[peak_index].answers
            values.append(reading["systolic_bp"])  # type: ignore[index]
        expected = vital.baseline_mean + vital.peak_change_mean  # shape(peak) = 1
        sd = math.sqrt(vital.baseline_sd**2 + vital.peak_change_sd**2 + vital.reading_sd**2)
        # Excursions (a few % of sessions, one reading each) are a small bias: allow 1 mmHg.
        assert abs(float(np.mean(values)) - expected) <= Z * sd / math.sqrt(len(values)) + 1.0


def _followup_rows(course: ParticipantCourse) -> dict[int, dict[str, Any]]:
    """The course's follow-up visits as tidy followup rows (the export's value mapping)."""
    collateral = {"use": "yes", "no_use": "no", "unknown": "unknown"}
    rows: dict[int, dict[str, Any]] = {}
    for record in course.visits:
        if record.month is None:
            continue
        row: dict[str, Any] = {
            "status": "missed",
            "visit_date": pd.NaT,
            "heroin_use": "",
            "urine": "",
            "collateral": "",
            "abstinent": "",
        }
        if record.attended:
            answers = record.entries_for("followup")[0].answers
            assert isinstance(answers, dict)
            row.update(
                status="attended",
                visit_date=pd.Timestamp(record.date),
                heroin_use="yes" if answers["heroin_use"] else "no",
                urine=answers["urine"],
                collateral=collateral[str(answers["collateral"])],
            )
        rows[record.month] = row
    return rows


def test_it_makes_follow_up_the_analysis_reads_as_the_latent_relapse_month() -> None:
    # With nobody lost or missing a visit, the analysis plan's own derivation of time to
    # relapse (psytrial.stats.derive) must give back exactly the generator's relapse month.
    scenario = _variant(
        dropout_monthly=0.0, withdrawal_monthly=0.0, withdrawal_before_session=0.0, missed_visit=0.0
    )
    cohort = generate_cohort(PROTOCOL, scenario, 150, 31)
    plan = FollowupPlan()
    for person in cohort.randomizable:
        for arm in ARMS:
            course = cohort.outcomes_for(person.index, arm)
            visits = _followup_rows(course)
            for rule in ("relapse", "censor"):
                outcome = participant_outcome(
                    "completed", pd.Timestamp(course.randomized_on), visits, rule, plan
                )
                if course.relapse_month is None:
                    assert (outcome.time, outcome.event) == (24, 0)
                else:
                    assert (outcome.time, outcome.event) == (course.relapse_month, 1)


def test_it_puts_readings_beyond_a_safety_limit_at_the_out_of_limit_rate() -> None:
    # Quiet vital signs that never leave the limits by themselves, and a 30% excursion rate:
    # the share of sessions with a reading beyond a protocol limit must be the rate.
    data = yaml.safe_load((ROOT / "scenarios" / "kpt2002.yaml").read_text(encoding="utf-8"))
    session = data["arms"]["high"]["session"]
    for vital in session["vitals"].values():
        vital.update(baseline_sd=0.0, peak_change_mean=0.0, peak_change_sd=0.0, reading_sd=0.0)
    session["out_of_limit_rate"] = 0.3
    scenario = Scenario.model_validate(data)
    cohort = generate_cohort(PROTOCOL, scenario, 300, 41)
    assert PROTOCOL.session_safety is not None
    limits = PROTOCOL.session_safety.limits
    beyond = 0
    sessions = 0
    for person in cohort.randomizable:
        record = cohort.outcomes_for(person.index, "high").visit("session")
        if record is None:
            continue
        sessions += 1
        readings = [e.answers for e in record.entries_for("vitals")]
        beyond += any(
            (limit.min is not None and r[name] < limit.min)  # type: ignore[index,operator]
            or (limit.max is not None and r[name] > limit.max)  # type: ignore[index,operator]
            for r in readings
            for name, limit in limits.items()
        )
    assert binomial_ok(beyond, sessions, 0.3)
