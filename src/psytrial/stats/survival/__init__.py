"""The primary analysis: time to relapse (first confirmed heroin use) by arm.

Public surface (everything else in this package is private):

    SurvivalData.from_arrays / .from_frame   checked input (time in months, event 0/1, arm)
    kaplan_meier -> KaplanMeier (KMCurve per arm; .at(months) -> KMAt)    R survfit, log-log
    logrank -> LogRankResult                                              R survdiff, rho = 0
    cox -> CoxResult                                                      R coxph, Efron ties
    proportional_hazards_test -> ZphResult                                R cox.zph, "km"
    reconstruct_from_abstinence_table, analyse_published_table            APPROXIMATION

Each result is a frozen dataclass. Errors in the input raise psytrial.core.errors.DataError.
The methods, their references and the tie handling are described in docs/methods-primary.md.
"""

from psytrial.stats.survival._data import SurvivalData, SurvivalInput, as_survival_data
from psytrial.stats.survival.cox import CoxResult, cox
from psytrial.stats.survival.km import KaplanMeier, KMAt, KMCurve, kaplan_meier
from psytrial.stats.survival.logrank import LogRankResult, logrank
from psytrial.stats.survival.published import (
    APPROXIMATION_NOTE,
    PublishedTableAnalysis,
    analyse_published_table,
    reconstruct_from_abstinence_table,
)
from psytrial.stats.survival.zph import ZphResult, proportional_hazards_test

__all__ = [
    "APPROXIMATION_NOTE",
    "CoxResult",
    "KMAt",
    "KMCurve",
    "KaplanMeier",
    "LogRankResult",
    "PublishedTableAnalysis",
    "SurvivalData",
    "SurvivalInput",
    "ZphResult",
    "analyse_published_table",
    "as_survival_data",
    "cox",
    "kaplan_meier",
    "logrank",
    "proportional_hazards_test",
    "reconstruct_from_abstinence_table",
]
