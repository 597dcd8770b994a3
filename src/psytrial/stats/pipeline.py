"""The statistical analysis plan as one call: tidy tables + protocol -> frozen AnalysisResult.

    result = analyse(tables, protocol, mode="unblinded", blind_key=None)
    text = results_json.dumps(result)          # results.json
    html = report.render(result)               # report.html

What runs (each by the function of the module named; nothing is re-implemented here):

- primary outcome (`pipeline_primary`): time to relapse under the protocol's rule for losses
  (`outcomes.primary.lost_to_follow_up`) and again under its sensitivity rule: Kaplan-Meier,
  log-rank, Cox (Efron) with the PH check, abstinence at `abstinence_months` with Fisher's
  test and the risk difference;
- secondary outcomes (`pipeline_secondary`, `pipeline_blinding`), as the protocol lists them:
  HRS clusters, repeated measures (craving), attitude change, blinding indices per guesser
  role, adverse events and the serious-event listing;
- the CONSORT flow (`consort`).

Modes. "unblinded" reports the protocol's arm ids and labels. "blinded" (for the trial
statistician before database lock) reports scrambled groups and pools the arm-revealing
instruments (`psytrial.stats.blinded`); the result then holds no true arm id or label.

Input. A `TrialTables` (already validated by `tables.validate` or `tables.load_tables`) or
a mapping of table name -> raw DataFrame, which is validated here against the protocol's arms
(a malformed table raises DataError). The plan compares exactly two arms.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Literal

import pandas as pd

from psytrial.core.errors import DataError
from psytrial.core.protocol import Protocol
from psytrial.stats import blinded as blind
from psytrial.stats.consort import ConsortFlow, consort_flow
from psytrial.stats.derive import MONTHLY, FollowupPlan
from psytrial.stats.pipeline_blinding import BlindingSection, blinding_section
from psytrial.stats.pipeline_primary import PrimaryAnalysis, analyse_primary
from psytrial.stats.pipeline_secondary import (
    AttitudeSection,
    HrsSection,
    RepeatedSection,
    SafetySection,
    attitude_section,
    hrs_section,
    outcomes_of,
    repeated_section,
    safety_section,
)
from psytrial.stats.tables import SCHEMAS, TrialTables, validate

Mode = Literal["unblinded", "blinded"]
MODES: tuple[Mode, ...] = ("unblinded", "blinded")
SOFTWARE = ("psytrial", "numpy", "scipy", "pandas", "statsmodels", "lifelines", "matplotlib")


@dataclass(frozen=True)
class StudyInfo:
    id: str
    title: str
    protocol_version: str
    reference: str


@dataclass(frozen=True)
class ArmInfo:
    """A reported arm: its id (a scrambled label in blinded mode), label and n randomized."""

    id: str
    label: str
    n: int


@dataclass(frozen=True)
class PrimaryOutcomeInfo:
    id: str
    label: str
    event: str
    rule: str
    sensitivity_rule: str | None
    horizon_months: int
    abstinence_months: tuple[int, ...]


@dataclass(frozen=True)
class AnalysisResult:
    """Every analysis of the plan on one data set, in one mode."""

    mode: Mode
    banner: str
    study: StudyInfo
    cutoff: dt.date | None
    data_through: dt.date | None
    arms: tuple[ArmInfo, ...]
    n_randomized: int
    outcome: PrimaryOutcomeInfo
    primary: PrimaryAnalysis
    sensitivity: PrimaryAnalysis | None
    hrs: HrsSection | None
    craving: tuple[RepeatedSection, ...]
    attitudes: AttitudeSection | None
    blinding: BlindingSection | None
    safety: SafetySection | None
    consort: ConsortFlow
    pooled_instruments: tuple[str, ...]
    software: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]

    @property
    def arm_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.arms)

    def label(self, arm_id: str) -> str:
        return next(a.label for a in self.arms if a.id == arm_id)


def analyse(
    tables: TrialTables | Mapping[str, pd.DataFrame],
    protocol: Protocol,
    *,
    mode: Mode = "unblinded",
    blind_key: bytes | None = None,
    cutoff: dt.date | None = None,
    fit_mixed_models: bool = True,
) -> AnalysisResult:
    """Run the whole analysis plan; `cutoff` ends follow-up at a data cut-off date.

    `fit_mixed_models=False` skips the repeated-measure models (documented as not fitted),
    for very large simulated cohorts where statsmodels' MixedLM is too slow.
    """
    if mode not in MODES:
        raise DataError(f"mode: expected one of {'|'.join(MODES)}, got {mode!r}")
    if len(protocol.arms) != 2:
        raise DataError(f"protocol arms: expected 2 arms to compare, got {len(protocol.arms)}")
    checked = _checked(tables, protocol)
    mapping = blind.arm_mapping(checked, protocol, blinded=mode == "blinded", blind_key=blind_key)
    data = blind.scramble(checked, mapping)
    if mode == "blinded":
        data = blind.redact_tables(data, protocol)
    primary = protocol.outcomes.primary
    plan = FollowupPlan(schedule=_schedule(protocol), horizon=primary.horizon_months, cutoff=cutoff)
    months = primary.abstinence_months or (primary.horizon_months,)
    sensitivity = primary.sensitivity if primary.sensitivity != primary.lost_to_follow_up else None
    pooled = _pooled_instruments(protocol) if mode == "blinded" else ()
    return AnalysisResult(
        mode=mode,
        banner=blind.BLINDED_BANNER if mode == "blinded" else blind.UNBLINDED_BANNER,
        study=_study(protocol, mode),
        cutoff=cutoff,
        data_through=_data_through(data, cutoff),
        arms=tuple(
            ArmInfo(a, mapping.labels[a], int((data.participants["arm"] == a).sum()))
            for a in mapping.ids
        ),
        n_randomized=len(data.participants),
        outcome=PrimaryOutcomeInfo(
            primary.id,
            primary.label,
            primary.event,
            primary.lost_to_follow_up,
            sensitivity,
            primary.horizon_months,
            tuple(months),
        ),
        primary=analyse_primary(data, primary.lost_to_follow_up, plan, months),
        sensitivity=analyse_primary(data, sensitivity, plan, months) if sensitivity else None,
        hrs=_hrs(data, protocol, pooled),
        craving=_repeated(data, protocol, pooled, fit_mixed_models),
        attitudes=_attitudes(data, protocol, pooled),
        blinding=_blinding(data, protocol, show_bang=mode == "unblinded"),
        safety=_safety(data, protocol),
        consort=consort_flow(data),
        pooled_instruments=pooled,
        software=software_versions(),
        notes=(),
    )


def _checked(tables: TrialTables | Mapping[str, pd.DataFrame], protocol: Protocol) -> TrialTables:
    """Validated tables: raw frames go through `tables.validate`; TrialTables are spot-checked."""
    if not isinstance(tables, TrialTables):
        return validate(tables, [a.id for a in protocol.arms])
    for name, frame in tables.frames().items():
        if not isinstance(frame, pd.DataFrame):
            raise DataError(
                f"{name} table: expected a pandas DataFrame, got {type(frame).__name__}"
            )
        missing = [c for c in SCHEMAS[name].names if c not in frame.columns]
        if missing:
            raise DataError(
                f"{name} table: missing column {missing[0]!r} (validate the tables first)"
            )
    return tables


def _schedule(protocol: Protocol) -> tuple[int, ...]:
    """Months of the follow-up visits that record the primary outcome's instrument."""
    instrument = protocol.outcomes.primary.instrument
    months = sorted({v.month for v in protocol.schedule if v.month and instrument in v.instruments})
    return tuple(months) or MONTHLY


def _study(protocol: Protocol, mode: Mode) -> StudyInfo:
    info = protocol.study
    if mode == "unblinded":
        return StudyInfo(info.id, info.title, info.version, info.reference)
    return StudyInfo(
        blind.redact(info.id, protocol),
        blind.redact(info.title, protocol),
        info.version,
        blind.redact(info.reference, protocol),
    )


def _data_through(tables: TrialTables, cutoff: dt.date | None) -> dt.date | None:
    dates = tables.followup["visit_date"].dropna()
    if cutoff is not None:
        dates = dates[dates <= pd.Timestamp(cutoff)]
    return None if dates.empty else pd.Timestamp(dates.max()).date()


def _pooled_instruments(protocol: Protocol) -> tuple[str, ...]:
    used = {o.instrument for o in protocol.outcomes.secondary}
    return tuple(i.id for i in protocol.instruments if i.reveals_arm and i.id in used)


def _hrs(tables: TrialTables, protocol: Protocol, pooled: tuple[str, ...]) -> HrsSection | None:
    found = outcomes_of(protocol, "cluster_scores")
    if not found:
        return None
    return hrs_section(tables, protocol, found[0], pooled=found[0].instrument in pooled)


def _repeated(
    tables: TrialTables, protocol: Protocol, pooled: tuple[str, ...], fit: bool
) -> tuple[RepeatedSection, ...]:
    out = []
    for outcome in outcomes_of(protocol, "repeated_measure"):
        if outcome.instrument in pooled or not fit:
            why = (
                "arm-revealing instrument, not shown in blinded mode"
                if fit
                else ("mixed models not fitted (fit_mixed_models=False)")
            )
            out.append(RepeatedSection(outcome.id, outcome.label, None, (why,)))
            continue
        out.append(repeated_section(tables, protocol, outcome))
    return tuple(out)


def _attitudes(
    tables: TrialTables, protocol: Protocol, pooled: tuple[str, ...]
) -> AttitudeSection | None:
    found = outcomes_of(protocol, "change_from_baseline")
    if not found:
        return None
    if found[0].instrument in pooled:
        note = "arm-revealing instrument, not shown in blinded mode"
        return AttitudeSection(found[0].id, found[0].label, None, (note,))
    return attitude_section(tables, protocol, found[0])


def _blinding(
    tables: TrialTables, protocol: Protocol, *, show_bang: bool
) -> BlindingSection | None:
    found = outcomes_of(protocol, "blinding_guesses")
    if not found:
        return None
    return blinding_section(tables, protocol, found[0].id, found[0].label, show_bang=show_bang)


def _safety(tables: TrialTables, protocol: Protocol) -> SafetySection | None:
    found = outcomes_of(protocol, "adverse_events")
    return safety_section(tables, found[0]) if found else None


def software_versions() -> tuple[tuple[str, str], ...]:
    """Python and the versions of the packages that computed the results."""
    out = [("python", platform.python_version())]
    for name in SOFTWARE:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return tuple(out)
