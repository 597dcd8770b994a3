"""The entries of one visit: every instrument the protocol gives there, answered.

`fill_visit` is the one place that maps an instrument to its generator: HRS, VAS (the
craving model for the scenario's craving instrument), colour test, questionnaire, and the
forms whose meaning the generator knows (eligibility, vital signs, follow-up, blinding
guesses, discharge); other forms are filled generically (`answers.fill_form`). What the
answers depend on besides the uniforms (the arm's session model, expected craving and
attitudes, heroin use) comes in a `Setting`, so visits before and after randomization use
the same code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Protocol

import numpy as np

from psytrial.core.instruments import (
    ColourTestInstrument,
    FormInstrument,
    HrsInstrument,
    InstrumentDef,
    QuestionnaireInstrument,
    VasInstrument,
)
from psytrial.core.instruments.values import FieldValue
from psytrial.core.protocol import Visit
from psytrial.sim.answers import (
    colour_answers,
    fill_form,
    hrs_answers,
    questionnaire_answers,
    vas_answer,
)
from psytrial.sim.context import DISCHARGE_FIELD, Context
from psytrial.sim.distributions import FloatArray, truncated_normal
from psytrial.sim.protocol_parts import DONT_KNOW
from psytrial.sim.records import BlindingGuess, Entry
from psytrial.sim.scenario_model import Guessing, SessionModel
from psytrial.sim.vitals import vitals_series

NEUTRAL_POSITIVITY = 0.5
NEUTRAL_SD = 0.25


@dataclass(frozen=True)
class UseState:
    """Heroin use to report at a follow-up visit; `first_use_on` only where it is new."""

    using: bool
    first_use_on: date | None = None


@dataclass(frozen=True)
class Setting:
    """What a visit's answers depend on besides the uniforms."""

    session: SessionModel | None = None
    craving_mean: float | None = None
    craving_sd: float = 0.0
    positivity: Mapping[str, float] | None = None
    guessing: Mapping[str, Guessing] | None = None
    arm: str | None = None
    arms: tuple[str, ...] = ()
    use: UseState | None = None
    person: Mapping[str, FieldValue] | None = None


@dataclass(frozen=True)
class Filled:
    entries: tuple[Entry, ...]
    guesses: tuple[BlindingGuess, ...]


def session_clock(ctx: Context, minutes_after_start: int = 0) -> time:
    total = ctx.start_minutes + minutes_after_start
    return time(total // 60, total % 60)


def fill_visit(
    ctx: Context, visit: Visit, on: date, row: FloatArray, course: bool, setting: Setting
) -> Filled:
    """Entries for every instrument of `visit` (vital signs first, so discharge can see them)."""
    layout = ctx.course_layout if course else ctx.pre_layout
    entries: dict[str, list[Entry]] = {}
    guesses: list[BlindingGuess] = []
    vitals_ok: bool | None = None
    ordered = sorted(visit.instruments, key=lambda i: i != _vitals_id(ctx))
    for instrument_id in ordered:
        instrument = ctx.parts.instrument(instrument_id)
        key = (visit.id, instrument_id)

        def u(*suffix: str, _key: tuple[str, str] = key) -> FloatArray:
            return layout.take(row, (*_key, *suffix))

        if isinstance(instrument, FormInstrument) and ctx.parts.is_vitals(instrument):
            made, vitals_ok = _vitals(ctx, instrument, on, setting, u)
        elif isinstance(instrument, FormInstrument) and ctx.parts.is_guess(instrument):
            made, said = _guesses(ctx, instrument, visit, on, setting, u)
            guesses.extend(said)
        else:
            made = _one(ctx, instrument, on, setting, vitals_ok, u)
        entries[instrument_id] = made
    flat = tuple(e for i in visit.instruments for e in entries.get(i, []))
    return Filled(flat, tuple(guesses))


def _vitals_id(ctx: Context) -> str | None:
    form = ctx.parts.vitals_form
    return form.id if form is not None else None


class _Uniforms(Protocol):
    """The uniforms of a sub-slot of the instrument's slot at this visit."""

    def __call__(self, *suffix: str) -> FloatArray: ...


def _one(
    ctx: Context,
    instrument: InstrumentDef,
    on: date,
    setting: Setting,
    vitals_ok: bool | None,
    u: _Uniforms,
) -> list[Entry]:
    answers: object
    if isinstance(instrument, HrsInstrument):
        model = setting.session.hrs if setting.session is not None else None
        if model is None:
            return []
        answers = hrs_answers(instrument, model, u("clusters"), u("items"))
    elif isinstance(instrument, VasInstrument):
        answers = _vas(ctx, instrument, setting, float(u()[0]))
    elif isinstance(instrument, ColourTestInstrument):
        answers = _colour(ctx, instrument, setting, u())
    elif isinstance(instrument, QuestionnaireInstrument):
        answers = questionnaire_answers(instrument, u())
    else:
        assert isinstance(instrument, FormInstrument)
        answers = _form(ctx, instrument, on, setting, vitals_ok, u)
    return [Entry(instrument.id, answers)]  # type: ignore[arg-type]


def _vas(ctx: Context, instrument: VasInstrument, setting: Setting, u: float) -> float:
    craving = ctx.scenario.population.craving
    modelled = craving is not None and instrument.id == craving.instrument
    if modelled and setting.craving_mean is not None:
        return vas_answer(instrument, setting.craving_mean, setting.craving_sd, u)
    # A scale the scenario does not model: a mark anywhere on the line.
    return float(round(instrument.min + u * (instrument.max - instrument.min)))


def _colour(
    ctx: Context, instrument: ColourTestInstrument, setting: Setting, u: FloatArray
) -> object:
    attitudes = ctx.scenario.population.attitudes
    if attitudes is not None and instrument.id == attitudes.instrument and setting.positivity:
        return colour_answers(instrument, setting.positivity, attitudes.sd, u)
    neutral = {c: NEUTRAL_POSITIVITY for c in instrument.concepts}
    return colour_answers(instrument, neutral, NEUTRAL_SD, u)


def _form(
    ctx: Context,
    form: FormInstrument,
    on: date,
    setting: Setting,
    vitals_ok: bool | None,
    u: _Uniforms,
) -> dict[str, FieldValue]:
    known: dict[str, FieldValue] = dict(setting.person or {})
    if ctx.parts.is_followup(form) and setting.use is not None:
        known.update(_followup(ctx, form, setting.use, u()))
    elif any(f.id == DISCHARGE_FIELD for f in form.fields):
        known.update(_discharge(form, setting, vitals_ok, float(u()[0])))
    defaults = ctx.scenario.form_defaults.get(form.id, {})
    return fill_form(form, known, defaults, on, session_clock(ctx))


def _rescaled(u: float, p: float) -> float:
    """A uniform above p, stretched back onto [0, 1) (the same draw decides a second thing)."""
    return (u - p) / (1 - p) if p < 1 else 0.0


def _followup(
    ctx: Context, form: FormInstrument, use: UseState, u: FloatArray
) -> dict[str, FieldValue]:
    follow = ctx.scenario.follow_up
    asked = {f.id for f in form.fields}
    # A source the form does not ask about cannot show use.
    p_self = follow.detection.self_report if "heroin_use" in asked else 0.0
    p_urine = follow.detection.urine if "urine" in asked else 0.0
    p_coll = follow.detection.collateral if "collateral" in asked else 0.0
    u_self, u_urine, u_coll = (float(x) for x in u[:3])
    self_report = use.using and u_self < p_self
    urine_pos = use.using and u_urine < p_urine
    coll_use = use.using and u_coll < p_coll
    if use.using and not (self_report or urine_pos or coll_use):
        # The scenario's relapse month is the month use is CONFIRMED: some source says so.
        self_report = "heroin_use" in asked
        urine_pos = not self_report and "urine" in asked
        coll_use = not (self_report or urine_pos)
    u_urine_rest = _rescaled(u_urine, p_urine) if use.using else u_urine
    u_coll_rest = _rescaled(u_coll, p_coll) if use.using else u_coll
    urine = (
        "positive"
        if urine_pos
        else ("not_done" if u_urine_rest < follow.urine_not_done else "negative")
    )
    collateral = (
        "use" if coll_use else ("unknown" if u_coll_rest < follow.collateral_unknown else "no_use")
    )
    return {
        "heroin_use": self_report,
        "urine": urine,
        "collateral": collateral,
        "first_use_date": use.first_use_on,
    }


def _discharge(
    form: FormInstrument, setting: Setting, vitals_ok: bool | None, u: float
) -> dict[str, FieldValue]:
    known: dict[str, FieldValue] = {"oriented": True, "walks_unaided": True}
    if vitals_ok is not None:
        known["vitals_in_range"] = vitals_ok
    dist = setting.session.minutes_to_discharge if setting.session is not None else None
    if dist is not None:
        f = form.field(DISCHARGE_FIELD)
        value = float(truncated_normal(np.array([u]), dist.mean, dist.sd, dist.min, dist.max)[0])
        low = f.min if isinstance(f.min, int | float) else -math.inf
        high = f.max if isinstance(f.max, int | float) else math.inf
        known[DISCHARGE_FIELD] = int(min(max(round(value), low), high))
    return known


def _vitals(
    ctx: Context, form: FormInstrument, on: date, setting: Setting, u: _Uniforms
) -> tuple[list[Entry], bool | None]:
    model = setting.session
    if model is None or not model.vitals:
        return [], None
    readings, ok = vitals_series(ctx, form, model, u("person"), u("readings"), u("excursion"))
    defaults = ctx.scenario.form_defaults.get(form.id, {})
    minutes = ctx.scenario.timing.vitals_minutes
    entries = []
    for minute, values in zip(minutes, readings, strict=True):
        clock = session_clock(ctx, minute)
        known: dict[str, FieldValue] = {"time": clock, **values}
        entries.append(Entry(form.id, fill_form(form, known, defaults, on, clock)))
    return entries, ok


def _guesses(
    ctx: Context, form: FormInstrument, visit: Visit, on: date, setting: Setting, u: _Uniforms
) -> tuple[list[Entry], list[BlindingGuess]]:
    if setting.guessing is None or setting.arm is None:
        return [], []
    draws = u()
    defaults = ctx.scenario.form_defaults.get(form.id, {})
    entries, guesses = [], []
    for index, role in enumerate(ctx.parts.guess_roles()):
        model = setting.guessing.get(role)
        if model is None:
            continue
        guess = _guess(model, setting.arm, setting.arms, float(draws[index, 0]))
        u_conf = float(draws[index, 1])
        confidence = int(u_conf * 51) + (0 if guess == DONT_KNOW else 50)
        known: dict[str, FieldValue] = {
            "guesser_role": role,
            "guessed_arm": guess,
            "confidence": confidence,
        }
        entries.append(Entry(form.id, fill_form(form, known, defaults, on, session_clock(ctx))))
        guesses.append(BlindingGuess(visit.id, role, guess, confidence))
    return entries, guesses


def _guess(model: Guessing, arm: str, arms: tuple[str, ...], u: float) -> str:
    if u < model.correct:
        return arm
    if u < model.correct + model.dont_know:
        return DONT_KNOW
    others = [a for a in arms if a != arm]
    rest = max(1.0 - model.correct - model.dont_know, 1e-12)
    position = int((u - model.correct - model.dont_know) / rest * len(others))
    return others[min(position, len(others) - 1)]
