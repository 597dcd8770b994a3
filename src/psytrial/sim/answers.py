"""Instrument answers of a virtual participant, in the raw shape the core instruments accept.

    hrs_answers           item id -> rating 0-4         (score() gives the cluster means)
    vas_answer            a number on the scale         (score())
    colour_answers        ColourTestAnswers             (score())
    questionnaire_answers item id -> value              (score())
    fill_form             field id -> typed value       (validate_form())

Each takes the uniforms of its slot (see `streams`) and the scenario's parameters, so the
same uniforms give the same answers whatever else was generated before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time

import numpy as np

from psytrial.core.instruments import (
    ColourTestAnswers,
    ColourTestInstrument,
    FormInstrument,
    HrsInstrument,
    QuestionnaireInstrument,
    VasInstrument,
)
from psytrial.core.instruments.form_defs import FormField
from psytrial.core.instruments.values import FieldValue
from psytrial.sim.distributions import (
    FloatArray,
    hrs_latent,
    normal,
    stochastic_round,
)
from psytrial.sim.scenario_model import ClusterDistribution

Answers = dict[str, FieldValue]
GENERIC_TEXT = "(simulated)"


def hrs_slot_size(instrument: HrsInstrument) -> tuple[int, int]:
    """(uniforms per cluster: latent and rounding, uniforms for item placement)."""
    return len(instrument.clusters()), len(instrument.item_ids())


def hrs_answers(
    instrument: HrsInstrument,
    model: Mapping[str, ClusterDistribution],
    u_clusters: FloatArray,
    u_items: FloatArray,
) -> dict[str, FieldValue]:
    """Every item rated; each cluster's item mean has the scenario's mean and sd.

    The cluster total k*L is rounded at random (unbiased), then spread over the items as
    evenly as possible, the extra points going to the items with the smallest uniforms.
    """
    out: dict[str, FieldValue] = {}
    offset = 0
    for index, (cluster, items) in enumerate(instrument.clusters().items()):
        dist = model[cluster]
        k = len(items)
        level = hrs_latent(dist.mean, dist.sd, k).quantile(u_clusters[index, 0:1])
        total = int(stochastic_round(level * k, u_clusters[index, 1:2])[0])
        base, extra = divmod(total, k)
        order = np.argsort(u_items[offset : offset + k], kind="stable")
        bumped = set(order[:extra].tolist())
        for position, item in enumerate(items):
            out[item] = base + (1 if position in bumped else 0)
        offset += k
    return out


def vas_answer(instrument: VasInstrument, mean: float, sd: float, u: float) -> float:
    """N(mean, sd) read to a whole unit and kept on the scale (a mark at the line's end)."""
    value = float(np.round(normal(u, mean, sd)))
    return float(min(max(value, instrument.min), instrument.max))


def colour_slot_size(instrument: ColourTestInstrument) -> int:
    return len(instrument.colours) + 2 * len(instrument.concepts)


def colour_answers(
    instrument: ColourTestInstrument,
    positivity: Mapping[str, float],
    sd: float,
    u: FloatArray,
) -> ColourTestAnswers:
    """A random preference ranking, and per concept a colour whose positivity has the mean.

    Positivity (n - rank) / (n - 1) of the chosen colour: a N(mean, sd) level clipped to
    0-1, rounded at random to a rank. Two concepts may get the same colour, as in the test.
    """
    colours = instrument.colours
    n = len(colours)
    ranking = tuple(colours[i] for i in np.argsort(u[:n], kind="stable"))
    concepts = instrument.concepts
    m = len(concepts)
    levels = [positivity[c] for c in concepts]
    noisy = np.clip(normal(u[n : n + m], 0.0, sd) + np.asarray(levels), 0.0, 1.0)
    steps = stochastic_round(noisy * (n - 1), u[n + m : n + 2 * m])
    assignments = {c: ranking[n - 1 - int(k)] for c, k in zip(concepts, steps, strict=True)}
    return ColourTestAnswers(ranking=ranking, assignments=assignments)


def questionnaire_answers(
    instrument: QuestionnaireInstrument, u: FloatArray
) -> dict[str, FieldValue]:
    """A questionnaire the scenario does not model: each item a whole value at random."""
    out: dict[str, FieldValue] = {}
    for item, ui in zip(instrument.items, u, strict=True):
        span = int(item.max - item.min)
        out[item.id] = float(item.min + min(int(ui * (span + 1)), span))
    return out


def _generic(f: FormField, on: date, clock: time) -> FieldValue:
    """A valid value for a field nobody modelled, so that the form still validates."""
    if f.type == "boolean":
        return True
    if f.type in ("integer", "number"):
        low = f.min if isinstance(f.min, int | float) else None
        high = f.max if isinstance(f.max, int | float) else None
        value = (low + high) / 2 if low is not None and high is not None else low or high or 0
        return round(value) if f.type == "integer" else float(value)
    if f.type == "date":
        return on
    if f.type == "datetime":
        return datetime.combine(on, clock)
    if f.type == "time":
        return clock
    if f.type == "choice":
        return f.choice_values[0]
    if f.type == "multichoice":
        return (f.choice_values[0],)
    return GENERIC_TEXT


def fill_form(
    form: FormInstrument,
    known: Mapping[str, FieldValue],
    defaults: Mapping[str, FieldValue],
    on: date,
    clock: time,
) -> Answers:
    """One entry of `form`: modelled values, then the scenario's defaults, then generic ones.

    Known values for fields the form lacks are dropped; optional fields nobody set are left
    out (a blank answer).
    """
    out: Answers = {}
    for f in form.fields:
        if f.id in known and known[f.id] is not None:
            out[f.id] = known[f.id]
        elif f.id in defaults:
            out[f.id] = defaults[f.id]
        elif f.required:
            out[f.id] = _generic(f, on, clock)
    return out
