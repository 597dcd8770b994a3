"""Virtual cohorts: reproducible, order-free, coupled across arms, and always valid answers.

Statistical checks of the generated distributions against the scenario are in
test_cohort_distributions.py.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from psytrial.core.errors import ScenarioError
from psytrial.core.instruments import FormInstrument, score, validate_form
from psytrial.core.protocol import Protocol, load_protocol
from psytrial.sim.cohort import ParticipantCourse, VirtualCohort, generate_cohort
from psytrial.sim.scenario import Scenario, load_scenario
from psytrial.sim.scenario_model import Scenario as ScenarioModel

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = load_protocol(ROOT / "protocols" / "kpt2002.yaml")
SCENARIO = load_scenario(ROOT / "scenarios" / "kpt2002.yaml", PROTOCOL)
ARMS = ("high", "low")


def variant(**changes: Any) -> Scenario:
    """The kpt2002 scenario with some follow-up keys changed (e.g. more losses)."""
    data = yaml.safe_load((ROOT / "scenarios" / "kpt2002.yaml").read_text(encoding="utf-8"))
    data["follow_up"].update(changes)
    return ScenarioModel.model_validate(data)


def all_courses(cohort: VirtualCohort) -> list[ParticipantCourse]:
    return [cohort.outcomes_for(p.index, arm) for p in cohort.randomizable for arm in ARMS]


def test_it_gives_identical_cohorts_for_the_same_seed() -> None:
    first = generate_cohort(PROTOCOL, SCENARIO, 30, 11)
    second = generate_cohort(PROTOCOL, SCENARIO, 30, 11)
    assert first.digest() == second.digest()
    assert first.people == second.people
    assert all_courses(first) == all_courses(second)
    assert generate_cohort(PROTOCOL, SCENARIO, 30, 12).digest() != first.digest()


def test_it_takes_a_numpy_generator_as_the_seed() -> None:
    first = generate_cohort(PROTOCOL, SCENARIO, 20, np.random.default_rng(5))
    second = generate_cohort(PROTOCOL, SCENARIO, 20, np.random.default_rng(5))
    assert first.digest() == second.digest()


def test_it_gives_courses_that_do_not_depend_on_the_order_they_are_asked_for() -> None:
    cohort = generate_cohort(PROTOCOL, SCENARIO, 25, 3)
    forward = {
        (p.index, a): cohort.outcomes_for(p.index, a) for p in cohort.randomizable for a in ARMS
    }
    again = generate_cohort(PROTOCOL, SCENARIO, 25, 3)
    backward = {
        (p.index, a): again.outcomes_for(p.index, a)
        for p in reversed(again.randomizable)
        for a in reversed(ARMS)
    }
    assert forward == backward


def test_it_extends_a_cohort_without_changing_the_people_already_in_it() -> None:
    small = generate_cohort(PROTOCOL, SCENARIO, 20, 8)
    large = generate_cohort(PROTOCOL, SCENARIO, 40, 8)
    assert large.people[: len(small.people)] == small.people
    person = small.randomizable[-1]
    assert small.outcomes_for(person.index, "high") == large.outcomes_for(person.index, "high")


def test_it_screens_until_exactly_n_people_are_randomizable() -> None:
    cohort = generate_cohort(PROTOCOL, SCENARIO, 70, 1)
    randomizable = cohort.randomizable
    assert len(randomizable) == 70
    assert [p.slot for p in randomizable] == list(range(70))
    assert cohort.people[-1].randomizable, "screening stops at the 70th randomizable person"
    assert all(p.eligible and p.consented for p in randomizable)
    assert all(not p.randomizable for p in cohort.people if p.failed_criteria or not p.consented)
    dates = [p.screened_on for p in cohort.people]
    assert dates == sorted(dates) and dates[0] >= SCENARIO.recruitment.start_date


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_it_reproduces_the_published_sex_totals_with_a_fixed_arm_composition(seed: int) -> None:
    cohort = generate_cohort(PROTOCOL, SCENARIO, 70, seed, fixed_arm_composition=True)
    sexes = Counter(p.sex for p in cohort.randomizable)
    assert sexes == {"male": 27 + 28, "female": 8 + 7}
    assert cohort.target_composition == SCENARIO.published_composition


def test_it_refuses_a_fixed_composition_of_another_size() -> None:
    with pytest.raises(ScenarioError) as caught:
        generate_cohort(PROTOCOL, SCENARIO, 60, 1, fixed_arm_composition=True)
    assert str(caught.value) == ("n_randomized: expected 70 (the published composition), got 60")


def test_it_couples_the_arms_so_the_weaker_hazard_never_relapses_earlier() -> None:
    # The low arm's hazard is above the high arm's in every month, and both arms read the
    # same uniform: whoever stays abstinent on the low dose also does on the high dose.
    cohort = generate_cohort(PROTOCOL, SCENARIO, 200, 21)
    never = 10**6
    pairs = [
        (
            cohort.outcomes_for(p.index, "high").relapse_month or never,
            cohort.outcomes_for(p.index, "low").relapse_month or never,
        )
        for p in cohort.randomizable
    ]
    assert all(high >= low for high, low in pairs)
    assert any(high > low for high, low in pairs)


def _check_entry(
    protocol: Protocol, instrument_id: str, answers: object, seen: Counter[str]
) -> None:
    instrument = protocol.instrument(instrument_id)
    seen[instrument_id] += 1
    if isinstance(instrument, FormInstrument):
        assert isinstance(answers, dict)
        validate_form(instrument, answers)
    else:
        score(instrument, answers)


def test_it_answers_every_instrument_so_that_the_protocol_accepts_it() -> None:
    scenario = variant(
        dropout_monthly=0.03, withdrawal_monthly=0.02, withdrawal_before_session=0.05
    )
    cohort = generate_cohort(PROTOCOL, scenario, 120, 4)
    seen: Counter[str] = Counter()
    for person in cohort.people:
        for visit in person.visits:
            for entry in visit.entries:
                _check_entry(PROTOCOL, entry.instrument_id, entry.answers, seen)
    for course in all_courses(cohort):
        entries = [e for v in course.visits for e in v.entries]
        entries += [ae.entry for ae in course.adverse_events if ae.entry is not None]
        entries += [course.withdrawal] if course.withdrawal is not None else []
        for entry in entries:
            _check_entry(PROTOCOL, entry.instrument_id, entry.answers, seen)
    assert set(seen) == {i.id for i in PROTOCOL.instruments}


def test_it_answers_a_design_with_open_label_and_arm_specific_sessions() -> None:
    # kpt2007: an open-label session for all before randomization, then two more sessions
    # for one arm only, a questionnaire, and follow-up anchored at randomization.
    protocol = load_protocol(ROOT / "protocols" / "kpt2007.yaml")
    scenario = load_scenario(ROOT / "scenarios" / "kpt2007.yaml", protocol)
    cohort = generate_cohort(protocol, scenario, 40, 3)
    seen: Counter[str] = Counter()
    for person in cohort.randomizable:
        assert [v.visit_id for v in person.visits] == ["screening", "open_session"]
        assert person.randomize_on == person.visits[-1].date
        for visit in person.visits:
            for entry in visit.entries:
                _check_entry(protocol, entry.instrument_id, entry.answers, seen)
        for arm in ("multiple", "single"):
            course = cohort.outcomes_for(person.index, arm)
            sessions = [v.visit_id for v in course.visits if v.visit_id.startswith("kpt")]
            assert sessions == ([] if arm == "single" else sessions)
            assert course.received_session == (arm == "multiple")
            entries = [e for v in course.visits for e in v.entries]
            entries += [ae.entry for ae in course.adverse_events if ae.entry is not None]
            for entry in entries:
                _check_entry(protocol, entry.instrument_id, entry.answers, seen)
    assert set(seen) == {i.id for i in protocol.instruments}


def test_it_refuses_the_course_of_someone_not_randomizable_or_an_unknown_arm() -> None:
    cohort = generate_cohort(PROTOCOL, SCENARIO, 40, 2)
    outsider = next(p for p in cohort.people if not p.randomizable)
    with pytest.raises(ScenarioError, match="expected a person who is eligible and consents"):
        cohort.outcomes_for(outsider.index, "high")
    with pytest.raises(ScenarioError, match=r"expected one of high, low, got 'medium'"):
        cohort.outcomes_for(cohort.randomizable[0].index, "medium")
    with pytest.raises(ScenarioError, match="participant_index: expected 0 to"):
        cohort.outcomes_for(len(cohort.people), "high")


def test_it_dates_every_visit_inside_its_protocol_window() -> None:
    cohort = generate_cohort(PROTOCOL, SCENARIO, 60, 6)
    for person in cohort.randomizable:
        course = cohort.outcomes_for(person.index, "high")
        anchors = {"randomization": course.randomized_on, "drug_session": course.session_date}
        for record in course.visits:
            visit = PROTOCOL.visit(record.visit_id)
            anchor = anchors[visit.anchor]
            assert anchor is not None
            target = anchor + timedelta(days=visit.offset_days)
            assert target - timedelta(days=visit.window.before) <= record.date
            assert record.date <= target + timedelta(days=visit.window.after)
        assert [v.date for v in course.visits] == sorted(v.date for v in course.visits)


def test_it_dates_a_course_from_the_randomization_date_it_is_given() -> None:
    cohort = generate_cohort(PROTOCOL, SCENARIO, 5, 9)
    person = cohort.randomizable[0]
    planned = cohort.outcomes_for(person.index, "low")
    assert planned.randomized_on == person.randomize_on
    later = cohort.outcomes_for(person.index, "low", person.randomize_on + timedelta(days=10))
    shift = timedelta(days=10)
    assert [v.date for v in later.visits] == [v.date + shift for v in planned.visits]
    assert [v.entries for v in later.visits] != [] and later.relapse_month == planned.relapse_month


def test_it_stops_follow_up_at_relapse_when_the_scenario_says_so() -> None:
    cohort = generate_cohort(PROTOCOL, variant(after_relapse="stop"), 80, 13)
    relapsed = [
        c
        for c in (cohort.outcomes_for(p.index, "low") for p in cohort.randomizable)
        if c.end == "relapsed"
    ]
    assert relapsed
    for course in relapsed:
        last = course.visits[-1]
        assert last.month == course.relapse_detected_month and last.attended
        answers = last.entries_for("followup")[0].answers
        assert isinstance(answers, dict)
        assert (
            answers["heroin_use"]
            or answers["urine"] == "positive"
            or answers["collateral"] == "use"
        )
        assert course.end_date == last.date


def test_it_confirms_relapse_at_the_visit_of_the_relapse_month_when_nobody_misses_visits() -> None:
    scenario = variant(
        dropout_monthly=0.0, withdrawal_monthly=0.0, withdrawal_before_session=0.0, missed_visit=0.0
    )
    cohort = generate_cohort(PROTOCOL, scenario, 150, 17)
    for person in cohort.randomizable:
        for arm in ARMS:
            course = cohort.outcomes_for(person.index, arm)
            assert course.end == "completed"
            assert course.relapse_detected_month == course.relapse_month
            for record in course.visits:
                if record.month is None:
                    continue
                answers = record.entries_for("followup")[0].answers
                assert isinstance(answers, dict)
                use = (
                    answers["heroin_use"]
                    or answers["urine"] == "positive"
                    or answers["collateral"] == "use"
                )
                relapsed = course.relapse_month is not None and record.month >= course.relapse_month
                assert use == relapsed


def test_it_ends_lost_and_withdrawn_courses_with_the_withdrawal_form() -> None:
    cohort = generate_cohort(
        PROTOCOL, variant(dropout_monthly=0.05, withdrawal_monthly=0.03), 80, 5
    )
    ended = [c for c in all_courses(cohort) if c.end in ("lost", "withdrew")]
    assert {c.end for c in ended} == {"lost", "withdrew"}
    for course in ended:
        assert course.withdrawal is not None
        answers = course.withdrawal.answers
        assert isinstance(answers, dict)
        assert answers["kind"] == course.end and answers["date"] == course.end_date
        assert all(v.date <= course.end_date for v in course.visits)
        months = [v.month for v in course.visits if v.month is not None]
        assert max(months, default=0) == course.last_followup_month < 24


def test_it_gives_no_session_and_no_adverse_events_to_someone_who_withdraws_before_it() -> None:
    cohort = generate_cohort(PROTOCOL, variant(withdrawal_before_session=0.5), 40, 3)
    early = [c for c in all_courses(cohort) if not c.received_session]
    assert early
    for course in early:
        assert course.end == "withdrew" and course.session_date is None
        assert course.adverse_events == ()
        assert all(PROTOCOL.visit(v.visit_id).phase == "preparation" for v in course.visits)
        assert course.end_date >= course.randomized_on


def test_it_dates_first_use_between_the_last_clean_visit_and_the_confirming_one() -> None:
    cohort = generate_cohort(PROTOCOL, variant(missed_visit=0.2), 120, 23)
    checked = 0
    for course in (cohort.outcomes_for(p.index, "low") for p in cohort.randomizable):
        if course.relapse_detected_month is None:
            continue
        clean = [
            v.date
            for v in course.visits
            if v.month is not None and v.attended and v.month < course.relapse_detected_month
        ]
        confirming = next(v for v in course.visits if v.month == course.relapse_detected_month)
        answers = confirming.entries_for("followup")[0].answers
        assert isinstance(answers, dict)
        first_use = answers["first_use_date"]
        assert max(clean, default=course.session_date) < first_use <= confirming.date  # type: ignore[operator]
        checked += 1
    assert checked > 50


def test_it_confirms_use_only_through_sources_the_follow_up_form_asks() -> None:
    # kpt2007's follow-up form has no collateral field: a collateral report cannot confirm use.
    protocol = load_protocol(ROOT / "protocols" / "kpt2007.yaml")
    data = yaml.safe_load((ROOT / "scenarios" / "kpt2007.yaml").read_text(encoding="utf-8"))
    data["follow_up"].update(
        dropout_monthly=0.0,
        missed_visit=0.0,
        detection={"self_report": 0.1, "urine": 0.1, "collateral": 0.9},
    )
    scenario = ScenarioModel.model_validate(data)
    cohort = generate_cohort(protocol, scenario, 60, 4)
    confirmed = 0
    for person in cohort.randomizable:
        course = cohort.outcomes_for(person.index, "single")
        for record in course.visits:
            if course.relapse_month is None or record.month is None:
                continue
            answers = record.entries_for("followup")[0].answers
            assert isinstance(answers, dict) and "collateral" not in answers
            use = answers["heroin_use"] or answers["urine"] == "positive"
            assert use == (record.month >= course.relapse_month)
            confirmed += use
    assert confirmed > 30
