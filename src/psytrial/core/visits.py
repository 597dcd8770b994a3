"""Visit windows: when each protocol visit is due, and where it stands on a given day.

A protocol declares its visits as data (`VisitSpec`): each hangs off a named anchor (consent,
randomization, the drug session, ...) by an offset in days, with a window of days before and
after that target. `schedule` turns the anchors' dates into concrete windows; `visit_state`
says where a visit stands on `today`, which always comes in as an argument (the core has no
clock).

Anchors that exist but have no date yet (the drug session before randomization) are passed
with the value None: their visits are NOT_YET_SCHEDULED. An anchor name that is not a key of
the mapping at all is a protocol or caller error and raises ScheduleError, so a misspelt
anchor cannot silently leave visits unscheduled.

States on `today`, for a visit with target T and window [T - before, T + after]:

    done                                  -> done (whatever the date)
    anchor date not yet known             -> not_yet_scheduled
    today <  window opens                 -> scheduled
    window opens <= today <= T            -> open     (due: do it now)
    T < today <= window closes            -> late     (past target, still allowed)
    today > window closes                 -> missed

"Overdue" means late or missed: past its target and not done.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from psytrial.core.errors import ScheduleError


class VisitState(StrEnum):
    NOT_YET_SCHEDULED = "not_yet_scheduled"
    SCHEDULED = "scheduled"
    OPEN = "open"
    LATE = "late"
    MISSED = "missed"
    DONE = "done"


OVERDUE_STATES: frozenset[VisitState] = frozenset({VisitState.LATE, VisitState.MISSED})


@dataclass(frozen=True)
class VisitSpec:
    """A protocol visit: `offset_days` after the date of `anchor`, within a window in days."""

    id: str
    label: str
    anchor: str
    offset_days: int
    window_before: int
    window_after: int

    def __post_init__(self) -> None:
        if not self.id:
            raise ScheduleError("visit.id: expected a non-empty identifier, got ''")
        if not self.anchor:
            raise ScheduleError(f"visits.{self.id}.anchor: expected an anchor name, got ''")
        _require_int(f"visits.{self.id}.offset_days", self.offset_days, minimum=None)
        _require_int(f"visits.{self.id}.window_before", self.window_before, minimum=0)
        _require_int(f"visits.{self.id}.window_after", self.window_after, minimum=0)


def _require_int(where: str, value: object, minimum: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScheduleError(f"{where}: expected a whole number of days, got {value!r}")
    if minimum is not None and value < minimum:
        raise ScheduleError(f"{where}: expected a number of days >= {minimum}, got {value}")


@dataclass(frozen=True)
class VisitWindow:
    target: date
    opens: date
    closes: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.opens <= day <= self.closes


@dataclass(frozen=True)
class ScheduledVisit:
    """A visit with its window, or with `window=None` while its anchor date is not yet known."""

    spec: VisitSpec
    window: VisitWindow | None

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def label(self) -> str:
        return self.spec.label

    def state(self, today: date, done: bool = False) -> VisitState:
        return visit_state(self.window, done=done, today=today)


def window_for(spec: VisitSpec, anchor_date: date) -> VisitWindow:
    target = anchor_date + timedelta(days=spec.offset_days)
    return VisitWindow(
        target=target,
        opens=target - timedelta(days=spec.window_before),
        closes=target + timedelta(days=spec.window_after),
    )


def visit_state(window: VisitWindow | None, done: bool, today: date) -> VisitState:
    """Where a visit stands on `today`; see the table in the module docstring."""
    if done:
        return VisitState.DONE
    if window is None:
        return VisitState.NOT_YET_SCHEDULED
    if today < window.opens:
        return VisitState.SCHEDULED
    if today <= window.target:
        return VisitState.OPEN
    if today <= window.closes:
        return VisitState.LATE
    return VisitState.MISSED


def schedule(
    anchor_dates: Mapping[str, date | None], visits: Sequence[VisitSpec]
) -> list[ScheduledVisit]:
    """Windows for `visits`, in the given order.

    `anchor_dates` must name every anchor the visits use; None marks an anchor whose date is
    not yet known. Raises ScheduleError for an unknown anchor or a repeated visit id.
    """
    seen: set[str] = set()
    scheduled: list[ScheduledVisit] = []
    for spec in visits:
        if spec.id in seen:
            raise ScheduleError(f"visits.{spec.id}: expected unique visit ids, got it twice")
        seen.add(spec.id)
        if spec.anchor not in anchor_dates:
            known = sorted(anchor_dates)
            raise ScheduleError(
                f"visits.{spec.id}.anchor: expected one of {known}, got {spec.anchor!r}"
            )
        anchor_date = anchor_dates[spec.anchor]
        window = None if anchor_date is None else window_for(spec, anchor_date)
        scheduled.append(ScheduledVisit(spec=spec, window=window))
    return scheduled


def states(
    visits: Iterable[ScheduledVisit], done_ids: Collection[str], today: date
) -> dict[str, VisitState]:
    """Each visit's state on `today`, keyed by visit id; `done_ids` are the visits done."""
    return {v.id: v.state(today, done=v.id in done_ids) for v in visits}


def overdue(
    visits: Iterable[ScheduledVisit], done_ids: Collection[str], today: date
) -> list[ScheduledVisit]:
    """Visits past their target and not done (late or missed), earliest target first."""
    late = [v for v in visits if v.state(today, done=v.id in done_ids) in OVERDUE_STATES]
    # Overdue visits always have a window; the id breaks ties so the order is stable.
    return sorted(late, key=lambda v: (v.window.target if v.window else date.max, v.id))
