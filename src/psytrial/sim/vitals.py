"""Drug-session vital signs: a series of readings around the injection, per the scenario.

Each vital sign v of a participant at minute t after the injection reads

    level_v + peak_v * shape(t) + noise,   shape(t) = (t / tp) exp(1 - t / tp) for t > 0

with level_v ~ N(baseline_mean, baseline_sd), peak_v ~ N(peak_change_mean, peak_change_sd)
and noise ~ N(0, reading_sd); shape rises from 0 to 1 at the peak minute tp and fades
(ASSUMPTION: a one-peak curve, the usual course after IM ketamine). Readings are rounded to
the form field's type and kept within the form field's range, so they always validate.

With probability `out_of_limit_rate`, one reading after the injection is also pushed beyond
one of the protocol's session-safety limits (above a max, or below a min where there is no
max): an excursion on top of whatever readings the distributions already put outside.
"""

from __future__ import annotations

import math

import numpy as np

from psytrial.core.instruments import FormInstrument
from psytrial.core.instruments.values import FieldValue
from psytrial.core.protocol.model import Limit
from psytrial.sim.context import Context
from psytrial.sim.distributions import FloatArray, normal
from psytrial.sim.scenario_model import SessionModel

EXCURSION_MAX_STEP = 10


def _shape(minutes: FloatArray, peak_minute: float) -> FloatArray:
    t = np.maximum(minutes, 0.0) / peak_minute
    out: FloatArray = np.where(minutes > 0, t * np.exp(1.0 - t), 0.0)
    return out


def vitals_series(
    ctx: Context,
    form: FormInstrument,
    model: SessionModel,
    u_person: FloatArray,
    u_readings: FloatArray,
    u_excursion: FloatArray,
) -> tuple[list[dict[str, FieldValue]], bool]:
    """The readings (field -> value, one dict per reading) and whether the last is in limits."""
    timing = ctx.scenario.timing
    names = ctx.parts.vital_fields()
    minutes = np.asarray(timing.vitals_minutes, dtype=np.float64)
    shape = _shape(minutes, timing.vitals_peak_minute)
    values = np.empty((len(minutes), len(names)))
    for j, name in enumerate(names):
        vital = model.vitals[name]
        level = normal(u_person[j, 0], vital.baseline_mean, vital.baseline_sd)
        peak = normal(u_person[j, 1], vital.peak_change_mean, vital.peak_change_sd)
        values[:, j] = level + peak * shape + normal(u_readings[:, j], 0.0, vital.reading_sd)
    limits = ctx.parts.protocol.session_safety
    limit_map: dict[str, Limit] = dict(limits.limits) if limits is not None else {}
    if float(u_excursion[0]) < model.out_of_limit_rate:
        _excursion(values, names, minutes, limit_map, u_excursion)
    readings = [_typed(form, names, row) for row in values]
    return readings, _within(readings[-1], limit_map)


def _excursion(
    values: FloatArray,
    names: tuple[str, ...],
    minutes: FloatArray,
    limits: dict[str, Limit],
    u: FloatArray,
) -> None:
    candidates = [j for j, name in enumerate(names) if name in limits]
    after = [r for r, m in enumerate(minutes) if m > 0] or list(range(len(minutes)))
    if not candidates:
        return
    j = candidates[min(int(u[1] * len(candidates)), len(candidates) - 1)]
    r = after[min(int(u[2] * len(after)), len(after) - 1)]
    limit = limits[names[j]]
    step = 1 + int(u[3] * EXCURSION_MAX_STEP)
    values[r, j] = limit.max + step if limit.max is not None else (limit.min or 0.0) - step


def _typed(form: FormInstrument, names: tuple[str, ...], row: FloatArray) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}
    for name, raw in zip(names, row, strict=True):
        f = form.field(name)
        low = float(f.min) if isinstance(f.min, int | float) else -math.inf
        high = float(f.max) if isinstance(f.max, int | float) else math.inf
        value = min(max(float(raw), low), high)
        out[name] = round(value) if f.type == "integer" else round(value, 1)
    return out


def _within(reading: dict[str, FieldValue], limits: dict[str, Limit]) -> bool:
    for name, limit in limits.items():
        value = reading.get(name)
        if not isinstance(value, int | float):
            continue
        if limit.min is not None and value < limit.min:
            return False
        if limit.max is not None and value > limit.max:
            return False
    return True
