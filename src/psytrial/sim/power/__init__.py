"""The vectorized power engine: simulate many two-arm relapse trials at once and test them.

Public surface (everything else in this package is private to it):

    PowerScenario, ArmModel, probabilities_from_hazard_pieces   scenario.py
    simulate_trials -> SimulatedTrials                          simulate.py
    simulate_grid, count_grid -> TrialGrid                      grid.py
    logrank_test_vec, logrank_from_grid -> LogrankResult        logrank.py
    fisher_test_vec, fisher_from_grid, fisher_pvalues           fisher.py
    required_events, logrank_power, required_sample_size        formulas.py
    power_table -> PowerResult (rows of PowerRow), wilson_interval   table.py
    power_curve_svg                                             figure.py

Methods, conventions and validation figures: docs/methods-power.md.
"""

from psytrial.sim.power.figure import power_curve_svg
from psytrial.sim.power.fisher import (
    FisherResult,
    LostRule,
    fisher_from_grid,
    fisher_pvalues,
    fisher_test_vec,
)
from psytrial.sim.power.formulas import logrank_power, required_events, required_sample_size
from psytrial.sim.power.grid import TrialGrid, count_grid, simulate_grid
from psytrial.sim.power.logrank import LogrankResult, logrank_from_grid, logrank_test_vec
from psytrial.sim.power.scenario import ArmModel, PowerScenario, probabilities_from_hazard_pieces
from psytrial.sim.power.simulate import SimulatedTrials, simulate_trials
from psytrial.sim.power.table import (
    PowerResult,
    PowerRow,
    power_table,
    wilson_interval,
)

__all__ = [
    "ArmModel",
    "FisherResult",
    "LogrankResult",
    "LostRule",
    "PowerResult",
    "PowerRow",
    "PowerScenario",
    "SimulatedTrials",
    "TrialGrid",
    "count_grid",
    "fisher_from_grid",
    "fisher_pvalues",
    "fisher_test_vec",
    "logrank_from_grid",
    "logrank_power",
    "logrank_test_vec",
    "power_curve_svg",
    "power_table",
    "probabilities_from_hazard_pieces",
    "required_events",
    "required_sample_size",
    "simulate_grid",
    "simulate_trials",
    "wilson_interval",
]
