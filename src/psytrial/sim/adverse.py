"""Adverse events after the randomized drug session, per the arm's scenario.

The number of events is Poisson with the arm's `per_participant` mean (cut at
MAX_ADVERSE_EVENTS); each event independently gets a term (by weight), seriousness
(`serious_fraction`), severity, relatedness and outcome (by their shares), and an onset day:
the session day with probability `timing.adverse_event_onset.session_day`, otherwise one of
the next `within_days` days. ASSUMPTION: events follow the drug session only; none arise
later in follow-up. Events after the participant's end date are dropped.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from scipy import stats

from psytrial.core.instruments.values import FieldValue
from psytrial.sim.answers import fill_form
from psytrial.sim.context import MAX_ADVERSE_EVENTS, Context
from psytrial.sim.distributions import FloatArray, categorical
from psytrial.sim.records import AdverseEvent, Entry
from psytrial.sim.scenario_model import AdverseEvents
from psytrial.sim.visit_fill import session_clock


def _pick(shares: dict[str, float], u: float) -> str:
    keys = list(shares)
    total = sum(shares.values())
    return keys[int(categorical(u, tuple(v / total for v in shares.values())))]


def event_count(model: AdverseEvents, u: float) -> int:
    if model.per_participant == 0:
        return 0
    count = int(stats.poisson.ppf(u, model.per_participant))
    return min(count, MAX_ADVERSE_EVENTS)


def _onset_day(ctx: Context, u: float) -> int:
    onset = ctx.scenario.timing.adverse_event_onset
    if u < onset.session_day or onset.within_days == 0:
        return 0
    rest = (u - onset.session_day) / (1 - onset.session_day)
    return 1 + min(int(rest * onset.within_days), onset.within_days - 1)


def adverse_events(
    ctx: Context, row: FloatArray, arm: str, session_date: date | None, end_date: date
) -> tuple[AdverseEvent, ...]:
    model = ctx.scenario.arms[arm].adverse_events
    if model is None or session_date is None:
        return ()
    layout = ctx.course_layout
    count = event_count(model, float(layout.take(row, ("ae_count",))[0]))
    draws = layout.take(row, ("ae",))
    events = []
    for u in draws[:count]:
        onset = session_date + timedelta(days=_onset_day(ctx, float(u[5])))
        if onset > end_date:
            continue
        events.append(_event(ctx, model, u, onset))
    events.sort(key=lambda e: e.onset_date)
    return tuple(events)


def _event(ctx: Context, model: AdverseEvents, u: FloatArray, onset: date) -> AdverseEvent:
    event = AdverseEvent(
        onset_date=onset,
        term=_pick(model.terms, float(u[0])),
        serious=bool(u[1] < model.serious_fraction),
        severity=_pick(model.severity, float(u[2])),
        related=_pick(model.related, float(u[3])),
        outcome=_pick(model.outcome, float(u[4])),
        entry=None,
    )
    form = ctx.parts.adverse_event_form
    if form is None:
        return event
    known: dict[str, FieldValue] = {
        "term": event.term,
        "onset_date": onset,
        "serious": event.serious,
        "severity": event.severity,
        "related": event.related,
        "outcome": event.outcome,
    }
    defaults = ctx.scenario.form_defaults.get(form.id, {})
    entry = Entry(form.id, fill_form(form, known, defaults, onset, session_clock(ctx)))
    return replace(event, entry=entry)
