"""Scenario files: what happens to the virtual participants of an in-silico trial.

A protocol says what a trial does; a scenario says what the simulated world does in it: who
turns up for screening and when, who is eligible and consents, and, per arm, how the drug
session goes (Hallucinogen Rating Scale, vital signs, adverse events), how craving and
emotional attitudes change, how fast people relapse, drop out or withdraw, and how well
participants, therapists and raters guess the arm. `psytrial.sim.cohort` turns a protocol
and a scenario into a virtual cohort.

    scenario = load_scenario("scenarios/kpt2002.yaml", protocol)   # or without protocol,
    check_scenario(scenario, protocol)                             # then check later

Errors are one ScenarioError line, located like the protocol loader's:

    kpt2002.yaml:94: arms.high.session.hrs.affect.sd: expected a positive number, got -0.4

The model lives in `scenario_model`, the protocol cross-checks in `scenario_checks`, the YAML
reading in `scenario_load`. Every key, its units, and which values of scenarios/kpt2002.yaml
are published: docs/scenario-format.md.
"""

from psytrial.sim.scenario_checks import check_scenario, scenario_problems
from psytrial.sim.scenario_load import load_scenario, parse_scenario
from psytrial.sim.scenario_model import (
    ALL,
    FORMAT_VERSION,
    AdverseEvents,
    ArmCraving,
    ArmScenario,
    AttitudesPopulation,
    ClusterDistribution,
    CravingPopulation,
    Detection,
    FollowUp,
    Guessing,
    HazardPiece,
    IneligibleRate,
    Population,
    Recruitment,
    Scenario,
    Screening,
    SessionModel,
    SiteWeight,
    Timing,
    TruncatedNormal,
    VitalSign,
)

__all__ = [
    "ALL",
    "FORMAT_VERSION",
    "AdverseEvents",
    "ArmCraving",
    "ArmScenario",
    "AttitudesPopulation",
    "ClusterDistribution",
    "CravingPopulation",
    "Detection",
    "FollowUp",
    "Guessing",
    "HazardPiece",
    "IneligibleRate",
    "Population",
    "Recruitment",
    "Scenario",
    "Screening",
    "SessionModel",
    "SiteWeight",
    "Timing",
    "TruncatedNormal",
    "VitalSign",
    "check_scenario",
    "load_scenario",
    "parse_scenario",
    "scenario_problems",
]
