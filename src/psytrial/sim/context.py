"""Everything a cohort's generation reads, computed once: protocol parts, layouts, monthly risks.

The two layouts (`streams.Layout`) say where each uniform of a person lives: the
pre-randomization layout covers the visits before randomization (the same for every arm);
the course layout covers every post-randomization visit of EVERY arm plus the latent
times (relapse, dropout, withdrawal) and adverse events, so a course under any arm reads
the same row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from psytrial.core.instruments import (
    ColourTestInstrument,
    FormInstrument,
    HrsInstrument,
    InstrumentDef,
    QuestionnaireInstrument,
    VasInstrument,
)
from psytrial.core.protocol import Visit
from psytrial.sim.answers import colour_slot_size, hrs_slot_size
from psytrial.sim.distributions import FloatArray
from psytrial.sim.protocol_parts import ProtocolParts
from psytrial.sim.scenario_model import HazardPiece, Scenario
from psytrial.sim.streams import Layout, LayoutBuilder

MAX_ADVERSE_EVENTS = 12
"""At most this many adverse events per participant (a Poisson tail beyond it is cut)."""
AE_UNIFORMS = 6  # term, serious, severity, related, outcome, onset day
FOLLOWUP_UNIFORMS = 4  # self-report, urine, collateral, day of first use
DISCHARGE_FIELD = "minutes_to_discharge"


def monthly_probabilities(pieces: tuple[HazardPiece, ...], n_months: int) -> FloatArray:
    """P(relapse in month m | none before), m = 1..n, from piecewise-constant hazards.

    A hazard is a rate (relapses per person-month); relapse is seen only at the monthly
    visit, so the month's probability is 1 - exp(-hazard). Same convention as the power
    engine (sim.power).
    """
    rates = np.zeros(n_months, dtype=np.float64)
    for piece in pieces:
        if piece.from_month <= n_months:
            rates[piece.from_month - 1 :] = piece.hazard
    out: FloatArray = -np.expm1(-rates)
    return out


@dataclass(frozen=True)
class Context:
    parts: ProtocolParts
    scenario: Scenario
    pre_layout: Layout
    course_layout: Layout
    relapse: dict[str, FloatArray]
    dropout: FloatArray
    withdrawal: FloatArray
    start_minutes: int


def build_context(parts: ProtocolParts, scenario: Scenario) -> Context:
    horizon = parts.horizon_months
    relapse = {
        a: monthly_probabilities(m.relapse_hazard, horizon) for a, m in scenario.arms.items()
    }
    follow = scenario.follow_up
    pre = LayoutBuilder()
    pre.add(("craving_intercept",), 1)
    _add_visits(pre, parts, scenario, parts.pre_randomization_visits)
    course = LayoutBuilder()
    for key, size in (("withdraw_before", 2), ("relapse", 1), ("dropout", 1), ("withdraw", 2)):
        course.add((key,), size)
    course.add(("ae_count",), 1)
    course.add(("ae",), MAX_ADVERSE_EVENTS, AE_UNIFORMS)
    _add_visits(course, parts, scenario, parts.post_randomization_visits)
    return Context(
        parts=parts,
        scenario=scenario,
        pre_layout=pre.build(),
        course_layout=course.build(),
        relapse=relapse,
        dropout=np.full(horizon, follow.dropout_monthly),
        withdrawal=np.full(horizon, follow.withdrawal_monthly),
        start_minutes=scenario.timing.session_start_minutes,
    )


def _add_visits(
    builder: LayoutBuilder, parts: ProtocolParts, scenario: Scenario, visits: tuple[Visit, ...]
) -> None:
    for visit in visits:
        builder.add(("jitter", visit.id), 1)
        builder.add(("missed", visit.id), 1)
        for instrument_id in visit.instruments:
            instrument = parts.instrument(instrument_id)
            _add_instrument(builder, parts, scenario, (visit.id, instrument_id), instrument)


def _add_instrument(
    builder: LayoutBuilder,
    parts: ProtocolParts,
    scenario: Scenario,
    key: tuple[str, str],
    instrument: InstrumentDef,
) -> None:
    if isinstance(instrument, HrsInstrument):
        n_clusters, n_items = hrs_slot_size(instrument)
        builder.add((*key, "clusters"), n_clusters, 2)
        builder.add((*key, "items"), n_items)
    elif isinstance(instrument, VasInstrument):
        builder.add(key, 1)
    elif isinstance(instrument, ColourTestInstrument):
        builder.add(key, colour_slot_size(instrument))
    elif isinstance(instrument, QuestionnaireInstrument):
        builder.add(key, len(instrument.items))
    elif isinstance(instrument, FormInstrument):
        _add_form(builder, parts, scenario, key, instrument)


def _add_form(
    builder: LayoutBuilder,
    parts: ProtocolParts,
    scenario: Scenario,
    key: tuple[str, str],
    form: FormInstrument,
) -> None:
    if parts.is_vitals(form):
        n_vitals = len(parts.vital_fields())
        builder.add((*key, "person"), n_vitals, 2)
        builder.add((*key, "readings"), len(scenario.timing.vitals_minutes), n_vitals)
        builder.add((*key, "excursion"), 4)
    elif parts.is_followup(form):
        builder.add(key, FOLLOWUP_UNIFORMS)
    elif parts.is_guess(form):
        builder.add(key, max(len(parts.guess_roles()), 1), 2)
    elif any(f.id == DISCHARGE_FIELD for f in form.fields):
        builder.add(key, 1)
