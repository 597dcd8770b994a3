"""Scenario files: the shipped kpt2002 scenario loads, and mistakes give one located line.

Each error case edits one place of scenarios/kpt2002.yaml and checks the whole message:
file, line, place and what was expected and got.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from psytrial.core.errors import ScenarioError
from psytrial.core.protocol import load_protocol
from psytrial.sim.scenario import check_scenario, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "kpt2002.yaml"
TEXT = SCENARIO.read_text(encoding="utf-8")
PROTOCOL = load_protocol(ROOT / "protocols" / "kpt2002.yaml")


def _edited(old: str, new: str) -> str:
    assert TEXT.count(old) == 1, f"the edit needs a unique anchor: {old!r}"
    return TEXT.replace(old, new)


def _line(text: str, anchor: str) -> int:
    return text[: text.index(anchor)].count("\n") + 1


def _error(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "kpt2002.yaml", PROTOCOL)
    return str(caught.value)


def test_it_loads_the_kpt2002_scenario_for_the_kpt2002_protocol() -> None:
    scenario = load_scenario(SCENARIO, PROTOCOL)
    assert scenario.study == PROTOCOL.study.id == "kpt2002"
    assert scenario.arm_ids == ("high", "low")
    assert scenario.published_composition == {
        "high": {"male": 27, "female": 8},
        "low": {"male": 28, "female": 7},
    }


def test_it_ships_hazards_that_give_the_assumed_abstinence_at_24_months() -> None:
    scenario = load_scenario(SCENARIO, PROTOCOL)
    survival = {}
    for arm_id, arm in scenario.arms.items():
        pieces = [(p.from_month, p.hazard) for p in arm.relapse_hazard] + [(25, 0.0)]
        cumulative = sum(
            rate * (pieces[i + 1][0] - start) for i, (start, rate) in enumerate(pieces[:-1])
        )
        survival[arm_id] = math.exp(-cumulative)
    assert 0.25 <= survival["high"] <= 0.35
    assert 0.05 <= survival["low"] <= 0.15


def test_it_ships_kpt2007_hazards_that_give_the_published_one_year_abstinence() -> None:
    # PUBLISHED (Krupitsky et al. 2007): 13 of 26 vs 6 of 27 abstinent at one year.
    protocol = load_protocol(ROOT / "protocols" / "kpt2007.yaml")
    scenario = load_scenario(ROOT / "scenarios" / "kpt2007.yaml", protocol)
    for arm_id, published in (("multiple", 13 / 26), ("single", 6 / 27)):
        pieces = scenario.arms[arm_id].relapse_hazard
        total = sum([p.hazard for p in pieces if p.from_month <= m][-1] for m in range(1, 13))
        assert math.exp(-total) == pytest.approx(published, abs=0.002)


def test_it_labels_every_unpublished_value_in_the_shipped_file() -> None:
    assert TEXT.count("ASSUMPTION (not published)") >= 20
    assert "PUBLISHED: randomized per arm by sex" in TEXT


CASES = [
    pytest.param(
        "  screened_per_week: 2.0 ",
        "  rate_per_week: 3\n  screened_per_week: 2.0 ",
        "rate_per_week",
        "recruitment.rate_per_week: unexpected key; check its spelling against "
        "docs/scenario-format.md",
        id="unknown-key",
    ),
    pytest.param(
        "affect: {mean: 1.9, sd: 0.6}",
        "affect: {mean: 1.9, sd: -0.4}",
        "affect: {mean: 1.9, sd: -0.4}",
        "arms.high.session.hrs.affect.sd: expected a positive number, got -0.4",
        id="negative-sd",
    ),
    pytest.param(
        "consent_refusal: 0.10",
        "consent_refusal: 1.5",
        "consent_refusal",
        "screening.consent_refusal: expected a number at most 1, got 1.5",
        id="probability-above-1",
    ),
    pytest.param(
        "sex: {male: 0.78, female: 0.22}",
        "sex: {male: 0.88, female: 0.22}",
        "sex: {male: 0.88",
        "population.sex: expected shares that sum to 1, got 1.1",
        id="shares-not-summing-to-1",
    ),
    pytest.param(
        "perception: {mean: 2.3, sd: 0.7}",
        "perception: {mean: 2.3, sd: 2.0}",
        "perception: {mean: 2.3, sd: 2.0}",
        "arms.high.session.hrs.perception.sd: expected an sd below 1.98 (the most a 0-4 "
        "score with mean 2.3 can have), got 2",
        id="hrs-sd-impossible-on-0-4",
    ),
    pytest.param(
        "        intensity: {mean: 2.9, sd: 0.6}\n",
        "",
        "      hrs:                     # ASSUMPTION (not published): HRS cluster means",
        "arms.high.session.hrs: expected the six clusters somaesthesia, affect, perception, "
        "cognition, volition, intensity, got somaesthesia, affect, perception, cognition, "
        "volition",
        id="hrs-cluster-missing",
    ),
    pytest.param(
        "      - {from_month: 7, hazard: 0.045}",
        "      - {from_month: 15, hazard: 0.045}",
        "      - {from_month: 13, hazard: 0.03}",
        "arms.high.relapse_hazard[2].from_month: expected a month after 15, got 13",
        id="hazard-months-not-increasing",
    ),
    pytest.param(
        "participant: {correct: 0.85, dont_know: 0.05}",
        "participant: {correct: 0.85, dont_know: 0.25}",
        "participant: {correct: 0.85, dont_know: 0.25}",
        "arms.high.blinding.participant: expected correct + dont_know at most 1, got 1.1",
        id="guess-shares-above-1",
    ),
    pytest.param(
        "all: {mean: 24, sd: 4.5, min: 18, max: 45}",
        "all: {mean: 24, sd: 4.5, min: 45, max: 18}",
        "all: {mean: 24",
        "population.age.all: expected min below max, got min 45, max 18",
        id="truncation-bounds-reversed",
    ),
    pytest.param(
        "    all: {mean: 4, sd: 2.5, min: 0.5, max: 20}",
        "    all: {mean: 4, sd: 2.5, min: 0.5, max: 20}\n"
        "    male: {mean: 4, sd: 2.5, min: 0.5, max: 20}",
        "years_heroin_use:",
        "population.years_heroin_use: expected either the key 'all' or one distribution per "
        "sex (male, female), got all, male",
        id="groups-neither-all-nor-per-sex",
    ),
    pytest.param(
        "start_date: 1996-01-08",
        "start_date: 1996-13-08",
        "start_date",
        "recruitment.start_date: expected a date (YYYY-MM-DD), got '1996-13-08'",
        id="impossible-date",
    ),
    pytest.param(
        'session_start: "10:00"',
        "session_start: 10:00",
        "session_start",
        'timing.session_start: expected a quoted time like "10:00" (YAML reads 10:00 unquoted '
        "as the number 600), got 600",
        id="unquoted-clock-time",
    ),
    pytest.param(
        "  after_relapse: continue",
        "  after_relapse: sometimes",
        "after_relapse",
        "follow_up.after_relapse: expected one of 'continue' or 'stop', got 'sometimes'",
        id="unknown-choice",
    ),
    pytest.param(
        "  high: {male: 27, female: 8}",
        "  high: {male: 27, women: 8}",
        "  high: {male: 27, women: 8}",
        "published_composition.high.women: expected one of the sexes of population.sex "
        "(male, female), got 'women'",
        id="composition-unknown-sex",
    ),
    pytest.param(
        "format_version: 1",
        "format_version: 2",
        "format_version",
        "format_version: expected format_version 1, got 2",
        id="format-version",
    ),
]


@pytest.mark.parametrize(("old", "new", "anchor", "message"), CASES)
def test_it_refuses_a_malformed_scenario_with_a_located_line(
    old: str, new: str, anchor: str, message: str
) -> None:
    text = _edited(old, new)
    assert _error(text) == f"kpt2002.yaml:{_line(text, anchor)}: {message}"


PROTOCOL_CASES = [
    pytest.param(
        "study: kpt2002 ",
        "study: kpt2007 ",
        "study: kpt2007",
        "study: expected the study id of the protocol, 'kpt2002', got 'kpt2007'",
        id="other-study",
    ),
    pytest.param(
        "{criterion: psychosis, rate: 0.04}",
        "{criterion: psychotic, rate: 0.04}",
        "psychotic",
        "screening.ineligible[4].criterion: expected an eligibility criterion of the protocol "
        "(heroin_dependence, detoxified, age_18_to_60, informed_consent, psychosis, "
        "cardiovascular, other_dependence, pregnancy), got 'psychotic'",
        id="unknown-criterion",
    ),
    pytest.param(
        "{id: spb, weight: 1}",
        "{id: msk, weight: 1}",
        "{id: msk",
        "sites[0].id: expected a site of the protocol (spb), got 'msk'",
        id="unknown-site",
    ),
    pytest.param(
        "all: {mean: 24, sd: 4.5, min: 18, max: 45}",
        "all: {mean: 24, sd: 4.5, min: 18, max: 65}",
        "all: {mean: 24",
        "population.age.all.max: expected at most 60 (the range of baseline), got 65",
        id="age-beyond-the-baseline-form",
    ),
    pytest.param(
        "male: {mean: 68, sd: 9, min: 45, max: 110}",
        "male: {mean: 68, sd: 9, min: 45, max: 130}",
        "male: {mean: 68",
        "population.weight_kg.male.max: expected at most 120 (the range of dosing), got 130",
        id="weight-beyond-the-dosing-limits",
    ),
    pytest.param(
        "        spo2: {baseline_mean: 98, baseline_sd: 0.8, peak_change_mean: -1,\n"
        "               peak_change_sd: 1, reading_sd: 0.7}\n",
        "",
        "      vitals:                  # ASSUMPTION (not published): IM ketamine",
        "arms.high.session.vitals: expected a model of every numeric field of form vitals "
        "(systolic_bp, diastolic_bp, heart_rate, spo2), missing spo2",
        id="vital-sign-not-modelled",
    ),
    pytest.param(
        "intensity: {mean: 2.9, sd: 0.6}",
        "intensity: {mean: 2.9, sd: 0.05}",
        "intensity: {mean: 2.9",
        "arms.high.session.hrs.intensity.sd: expected an sd above 0.102 (rounding 4 items of "
        "0-4 already spreads the score that much), got 0.05",
        id="hrs-sd-below-item-rounding",
    ),
    pytest.param(
        "prep_note: {duration_min: 90}",
        "prep_note: {duration_min: 5}",
        "prep_note",
        "form_defaults.prep_note.duration_min: expected a whole number between 10 and 300, got 5",
        id="form-default-fails-the-form",
    ),
    pytest.param(
        "severity: {mild: 0.75, moderate: 0.22, severe: 0.03}",
        "severity: {mild: 0.75, moderate: 0.22, fatal: 0.03}",
        "severity: {mild: 0.75, moderate: 0.22, fatal",
        "arms.high.adverse_events.severity.fatal: expected a choice of adverse_event.severity "
        "(mild, moderate, severe), got 'fatal'",
        id="severity-the-form-lacks",
    ),
    pytest.param(
        "rater: {correct: 0.55, dont_know: 0.35}",
        "nurse: {correct: 0.55, dont_know: 0.35}",
        "nurse",
        "arms.high.blinding.nurse: expected a guesser role of form blinding_guess "
        "(participant, therapist, rater), got 'nurse'",
        id="unknown-guesser-role",
    ),
    pytest.param(
        "      - {from_month: 13, hazard: 0.03}",
        "      - {from_month: 30, hazard: 0.03}",
        "{from_month: 30",
        "arms.high.relapse_hazard[2].from_month: expected a month within the protocol's "
        "horizon of 24 months, got 30",
        id="hazard-beyond-the-horizon",
    ),
]


@pytest.mark.parametrize(("old", "new", "anchor", "message"), PROTOCOL_CASES)
def test_it_refuses_a_scenario_that_does_not_fit_its_protocol(
    old: str, new: str, anchor: str, message: str
) -> None:
    text = _edited(old, new)
    assert _error(text) == f"kpt2002.yaml:{_line(text, anchor)}: {message}"


def test_it_refuses_a_scenario_whose_arms_are_not_the_protocols() -> None:
    text = _edited("  low:                         # PUBLISHED", "  placebo:                     #")
    text = text.replace("  low: {male: 28, female: 7}", "  placebo: {male: 28, female: 7}")
    assert _error(text) == (
        f"kpt2002.yaml:{_line(text, 'arms:')}: arms: expected the arms of protocol kpt2002 "
        "(high, low), got high, placebo"
    )


def test_it_checks_a_scenario_against_a_protocol_after_loading_and_still_points_at_lines() -> None:
    scenario = parse_scenario(TEXT, "kpt2002.yaml")
    other = load_protocol(ROOT / "protocols" / "kpt2007.yaml")
    with pytest.raises(ScenarioError) as caught:
        check_scenario(scenario, other)
    line = _line(TEXT, "study: kpt2002")
    assert str(caught.value) == (
        f"kpt2002.yaml:{line}: study: expected the study id of the protocol, 'kpt2007', "
        "got 'kpt2002'"
    )


def test_it_reports_yaml_syntax_errors_with_their_line() -> None:
    text = _edited("arms:\n  high:", "arms:\n  high:\n    oops: [1, 2\n")
    message = _error(text)
    # PyYAML notices the unclosed list where the next key of the arm starts.
    assert message == (
        f"kpt2002.yaml:{_line(text, '    relapse_hazard:')}: expected valid YAML, got a syntax error "
        "(did not find expected ',' or ']')"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "kpt2002.yaml:1: expected a mapping at the top level, got an empty file"),
        ("- 1\n- 2\n", "kpt2002.yaml:1: expected a mapping at the top level, got a list"),
    ],
)
def test_it_refuses_a_file_that_is_not_a_mapping(text: str, message: str) -> None:
    assert _error(text) == message


def test_it_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="expected a scenario file, found no such file"):
        load_scenario(tmp_path / "nope.yaml")


def test_it_reports_a_missing_required_key_at_its_parent() -> None:
    text = _edited("  screened_per_week: 2.0       # ASSUMPTION (not published)\n", "")
    assert _error(text) == (
        f"kpt2002.yaml:{_line(text, 'recruitment:')}: recruitment.screened_per_week: "
        "expected a value for this required key, got nothing"
    )
