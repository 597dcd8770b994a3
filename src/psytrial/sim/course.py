"""One randomized person's course in one arm: visits, answers, relapse, loss, adverse events.

Timing convention (the power engine's, sim.power): relapse in month m is confirmed at the
follow-up visit of month m (or at the next attended visit, if that one is missed); someone
may be lost or withdraw after the visit of month m, with the scenario's monthly
probabilities; relapse, loss and withdrawal months are independent latent draws (ties: the
relapse is seen first, then the person leaves; withdrawal wins a tie with loss). Leaving
after the last follow-up visit is completing. Treatment visits (preparation, session,
integration) are always attended (ASSUMPTION: inpatient treatment); follow-up visits are
missed with the scenario's probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from psytrial.core.instruments.values import FieldValue
from psytrial.core.protocol import Visit
from psytrial.sim.adverse import adverse_events
from psytrial.sim.answers import fill_form
from psytrial.sim.context import Context
from psytrial.sim.distributions import FloatArray, first_month, normal
from psytrial.sim.people import baseline_values
from psytrial.sim.records import (
    BlindingGuess,
    EndKind,
    Entry,
    ParticipantCourse,
    VirtualPerson,
    VisitRecord,
)
from psytrial.sim.visit_fill import Setting, UseState, fill_visit, session_clock

DEFAULT_DAYS_PER_MONTH = 30.0


@dataclass(frozen=True)
class _Plan:
    """Dated visits of the arm, and where the drug session falls."""

    dated: list[tuple[date, Visit]]
    session_date: date | None
    days_per_month: float
    month_origin: date  # the date follow-up months count from (their anchor's date)


@dataclass(frozen=True)
class _Latent:
    relapse: int  # 0: no relapse within the horizon
    leave: int  # follow-up month after which the person leaves; 0: stays
    kind: EndKind
    withdraw_before_session: bool


def build_course(
    ctx: Context, person: VirtualPerson, row: FloatArray, arm: str, randomized_on: date
) -> ParticipantCourse:
    plan = _plan(ctx, arm, row, person, randomized_on)
    latent = _latent(ctx, arm, row, plan)
    if latent.withdraw_before_session and plan.session_date is not None:
        return _withdrawn_early(ctx, person, row, arm, randomized_on, plan)
    return _followed(ctx, person, row, arm, randomized_on, plan, latent)


def _u(ctx: Context, row: FloatArray, *key: str) -> FloatArray:
    return ctx.course_layout.take(row, tuple(key))


def _plan(
    ctx: Context, arm: str, row: FloatArray, person: VirtualPerson, randomized_on: date
) -> _Plan:
    visits = ctx.parts.visits_for_arm(arm)
    session = next((v for v in visits if v.dose == "randomized"), None)
    session_date = None
    if session is not None:
        session_date = _dated(ctx, row, session, randomized_on, randomized_on)
    open_label = next(
        (
            v.date
            for v, spec in zip(person.visits, ctx.parts.pre_randomization_visits, strict=False)
            if spec.dose == "open_label"
        ),
        None,
    )
    drug_anchor = session_date or open_label or randomized_on
    anchors = {"randomization": randomized_on, "drug_session": drug_anchor}
    dated = []
    for visit in visits:
        on = session_date if visit is session else None
        if on is None:
            on = _dated(ctx, row, visit, anchors.get(visit.anchor, randomized_on), randomized_on)
        dated.append((on, visit))
    order = {v.id: i for i, v in enumerate(visits)}
    dated.sort(key=lambda pair: (pair[0], order[pair[1].id]))
    monthly = ctx.parts.protocol.monthly_follow_up
    days = monthly.days_per_month if monthly is not None else DEFAULT_DAYS_PER_MONTH
    first = next((v for v in visits if v.phase == "follow_up"), None)
    origin = anchors.get(first.anchor, randomized_on) if first is not None else randomized_on
    return _Plan(dated, session_date, days, origin)


def _dated(ctx: Context, row: FloatArray, visit: Visit, anchor: date, not_before: date) -> date:
    sd = ctx.scenario.timing.visit_day_sd
    shift = float(np.round(normal(_u(ctx, row, "jitter", visit.id)[0], 0.0, sd)))
    shift = min(max(shift, -visit.window.before), visit.window.after)
    return max(anchor + timedelta(days=visit.offset_days + int(shift)), not_before)


def _latent(ctx: Context, arm: str, row: FloatArray, plan: _Plan) -> _Latent:
    relapse = int(first_month(_u(ctx, row, "relapse")[0], ctx.relapse[arm]))
    lost = int(first_month(_u(ctx, row, "dropout")[0], ctx.dropout))
    withdrew = int(first_month(_u(ctx, row, "withdraw")[0], ctx.withdrawal))
    if withdrew and (not lost or withdrew <= lost):
        leave, kind = withdrew, "withdrew"
    elif lost:
        leave, kind = lost, "lost"
    else:
        leave, kind = 0, "completed"
    before = _u(ctx, row, "withdraw_before")[0] < ctx.scenario.follow_up.withdrawal_before_session
    return _Latent(relapse, leave, kind, bool(before))  # type: ignore[arg-type]


def _setting(
    ctx: Context,
    person: VirtualPerson,
    arm: str,
    visit: Visit,
    on: date,
    plan: _Plan,
    use: UseState | None = None,
) -> Setting:
    """The expected craving and attitudes at this visit (only if the visit measures them)."""
    model = ctx.scenario.arms[arm]
    population = ctx.scenario.population
    after_session = plan.session_date is None or on >= plan.session_date
    month = visit.month if visit.month is not None else (0 if after_session else None)
    craving_mean, craving_sd = None, 0.0
    craving = population.craving
    if craving is not None and craving.instrument in visit.instruments:
        craving_mean = craving.baseline_mean + person.craving_intercept
        craving_sd = craving.residual_sd
        if month is not None and model.craving is not None:
            craving_mean += _interpolate(model.craving.change_by_month, month)
            craving_sd = model.craving.residual_sd
    positivity = None
    attitudes = population.attitudes
    if attitudes is not None and attitudes.instrument in visit.instruments:
        shifts = model.attitudes if month is not None else {}
        positivity = {
            concept: level + (_interpolate(shifts[concept], month or 0) if concept in shifts else 0)
            for concept, level in attitudes.baseline.items()
        }
    return Setting(
        session=model.session,
        craving_mean=craving_mean,
        craving_sd=craving_sd,
        positivity=positivity,
        guessing=model.blinding,
        arm=arm,
        arms=ctx.scenario.arm_ids,
        use=use,
        person=baseline_values(person),
    )


def _interpolate(points: dict[int, float], month: int) -> float:
    """Linear between the given months, constant beyond the first and last."""
    if month in points:
        return points[month]
    months = sorted(points)
    if month <= months[0]:
        return points[months[0]]
    if month >= months[-1]:
        return points[months[-1]]
    upper = next(m for m in months if m > month)
    lower = max(m for m in months if m < month)
    share = (month - lower) / (upper - lower)
    return points[lower] + share * (points[upper] - points[lower])


def _withdrawn_early(
    ctx: Context,
    person: VirtualPerson,
    row: FloatArray,
    arm: str,
    randomized_on: date,
    plan: _Plan,
) -> ParticipantCourse:
    assert plan.session_date is not None
    # ASSUMPTION: an early withdrawal happens before the session and before follow-up starts.
    follow = [on for on, v in plan.dated if v.phase == "follow_up"]
    before = min([plan.session_date, *follow])
    days = max((before - randomized_on).days, 1)
    left_on = randomized_on + timedelta(days=int(_u(ctx, row, "withdraw_before")[1] * days))
    records: list[VisitRecord] = []
    guesses: list[BlindingGuess] = []
    for on, visit in plan.dated:
        if on >= left_on or visit.phase in ("drug_session", "follow_up"):
            break
        setting = _setting(ctx, person, arm, visit, on, plan)
        filled = fill_visit(ctx, visit, on, row, True, setting)
        records.append(VisitRecord(visit.id, on, True, visit.month, filled.entries))
        guesses.extend(filled.guesses)
    return ParticipantCourse(
        person_index=person.index,
        arm=arm,
        randomized_on=randomized_on,
        received_session=False,
        session_date=None,
        visits=tuple(records),
        adverse_events=(),
        guesses=tuple(guesses),
        relapse_month=None,
        relapse_detected_month=None,
        end="withdrew",
        end_date=left_on,
        last_followup_month=0,
        withdrawal=_withdrawal_entry(ctx, "withdrew", left_on, 0),
    )


def _followed(
    ctx: Context,
    person: VirtualPerson,
    row: FloatArray,
    arm: str,
    randomized_on: date,
    plan: _Plan,
    latent: _Latent,
) -> ParticipantCourse:
    walk = _FollowUpWalk(ctx, person, row, arm, plan, latent)
    walk.run()
    end_date = walk.end_date()
    events = adverse_events(ctx, row, arm, plan.session_date, end_date)
    return ParticipantCourse(
        person_index=person.index,
        arm=arm,
        randomized_on=randomized_on,
        received_session=plan.session_date is not None,
        session_date=plan.session_date,
        visits=tuple(walk.records),
        adverse_events=events,
        guesses=tuple(walk.guesses),
        relapse_month=latent.relapse or None,
        relapse_detected_month=walk.detected,
        end=walk.end,
        end_date=end_date,
        last_followup_month=walk.last_month,
        withdrawal=_withdrawal_entry(ctx, walk.end, end_date, walk.last_month),
    )


class _FollowUpWalk:
    """Walks the arm's dated visits in order, deciding attendance, heroin use and the end."""

    def __init__(
        self,
        ctx: Context,
        person: VirtualPerson,
        row: FloatArray,
        arm: str,
        plan: _Plan,
        latent: _Latent,
    ) -> None:
        self.ctx, self.person, self.row, self.arm = ctx, person, row, arm
        self.plan, self.latent = plan, latent
        self.records: list[VisitRecord] = []
        self.guesses: list[BlindingGuess] = []
        self.detected: int | None = None
        self.last_month = 0
        months = [v.month or 0 for _, v in plan.dated if self._is_followup(v)]
        final = max(months, default=0)
        # Leaving after the last follow-up visit is completing the study.
        leaving = 0 < latent.leave < final
        self.end: EndKind = latent.kind if leaving else "completed"
        self.last_in_study = self._last_in_study(latent.leave) if leaving else None
        self.stop_after: date | None = self._cutoff()

    def _is_followup(self, visit: Visit) -> bool:
        return (
            visit.phase == "follow_up"
            and visit.month is not None
            and visit.month <= self.ctx.parts.horizon_months
        )

    def _last_in_study(self, leave: int) -> date:
        """The date of the last follow-up visit before leaving (month <= leave)."""
        before = [
            on for on, v in self.plan.dated if self._is_followup(v) and (v.month or 0) <= leave
        ]
        if before:
            return max(before)
        first = min(on for on, v in self.plan.dated if self._is_followup(v))
        earlier = [on for on, _ in self.plan.dated if on < first]
        return max(earlier, default=first - timedelta(days=1))

    def _cutoff(self) -> date | None:
        if self.last_in_study is None:
            return None
        if self.end == "withdrew":
            last = self.last_in_study
            gap = max((self._next_followup_target(last) - last).days, 1)
            u = float(_u(self.ctx, self.row, "withdraw")[1])
            return last + timedelta(days=1 + int(u * (gap - 1)))
        return self.last_in_study

    def run(self) -> None:
        stop_at_relapse = self.ctx.scenario.follow_up.after_relapse == "stop"
        for on, visit in self.plan.dated:
            if self.stop_after is not None and on > self.stop_after:
                break
            if not self._is_followup(visit):
                self._visit(visit, on, None)
                continue
            self.last_month = visit.month or 0
            u_missed = _u(self.ctx, self.row, "missed", visit.id)[0]
            if u_missed < self.ctx.scenario.follow_up.missed_visit:
                self.records.append(VisitRecord(visit.id, on, False, visit.month, ()))
                continue
            self._visit(visit, on, self._use(visit, on, self.last_month))
            if stop_at_relapse and self.detected is not None:
                self.end, self.stop_after = "relapsed", on

    def _use(self, visit: Visit, on: date, month: int) -> UseState:
        relapse = self.latent.relapse
        using = bool(relapse) and relapse <= month
        if not using or self.detected is not None:
            return UseState(using)
        self.detected = month
        form = self.ctx.parts.followup_form
        u_day = _u(self.ctx, self.row, visit.id, form.id)[3] if form is not None else 0.0
        start = self.plan.month_origin
        days = self.plan.days_per_month
        first = start + timedelta(days=int((relapse - 1) * days + float(u_day) * days))
        # Use began after the last visit that found none, and by this visit at the latest.
        attended = [r.date for r in self.records if r.attended and r.month is not None]
        earliest = max(attended, default=start) + timedelta(days=1)
        return UseState(True, min(max(first, earliest), on))

    def _visit(self, visit: Visit, on: date, use: UseState | None) -> None:
        setting = _setting(self.ctx, self.person, self.arm, visit, on, self.plan, use)
        filled = fill_visit(self.ctx, visit, on, self.row, True, setting)
        self.records.append(VisitRecord(visit.id, on, True, visit.month, filled.entries))
        self.guesses.extend(filled.guesses)

    def end_date(self) -> date:
        last = self.records[-1].date if self.records else self.plan.dated[0][0]
        if self.end == "lost" and self.last_in_study is not None:
            return self._lost_on(self.last_in_study)
        if self.end == "withdrew" and self.stop_after is not None:
            return self.stop_after
        return last

    def _next_followup_target(self, after: date) -> date:
        later = [on for on, v in self.plan.dated if self._is_followup(v) and on > after]
        return min(later) if later else after + timedelta(days=round(self.plan.days_per_month))

    def _lost_on(self, last: date) -> date:
        """Loss is recorded once the first visit not attended has passed its window."""
        for on, visit in self.plan.dated:
            if self._is_followup(visit) and on > last:
                return on + timedelta(days=visit.window.after + 1)
        return last + timedelta(days=round(self.plan.days_per_month))


_REASONS = {
    "lost": "No contact after the month {month} visit",
    "withdrew": "Withdrew consent",
}


def _withdrawal_entry(ctx: Context, end: EndKind, on: date, month: int) -> Entry | None:
    form = ctx.parts.withdrawal_form
    if form is None or end not in _REASONS:
        return None
    known: dict[str, FieldValue] = {
        "kind": end,
        "date": on,
        "reason": _REASONS[end].format(month=month),
    }
    defaults = ctx.scenario.form_defaults.get(form.id, {})
    return Entry(form.id, fill_form(form, known, defaults, on, session_clock(ctx)))
