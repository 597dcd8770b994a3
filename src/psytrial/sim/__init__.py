"""Virtual cohorts from scenario files, and the vectorized power engine.

    from psytrial.sim import load_scenario, generate_cohort
    scenario = load_scenario("scenarios/kpt2002.yaml", protocol)
    cohort = generate_cohort(protocol, scenario, n_randomized=70, seed=2002)
"""

from psytrial.sim.cohort import dropout_probabilities, generate_cohort, relapse_hazards
from psytrial.sim.scenario_load import load_scenario, parse_scenario

__all__ = [
    "dropout_probabilities",
    "generate_cohort",
    "load_scenario",
    "parse_scenario",
    "relapse_hazards",
]
