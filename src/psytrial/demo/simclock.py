"""The demo's simulated clock and its agenda of timed steps.

The web layer takes time only from `psytrial.web.clock.now()`; the demo installs
`SimClock.now` there (`clock.simulated`), so two years of a trial pass in a minute and every
timestamp the actions write (audit entries, form versions, randomization) is simulated time.

The clock never goes back: `reach(moment)` moves it forward to `moment`, or leaves it where
it is when a step that was due earlier runs after a later one (the audit trail and the
visit windows then still see time pass in one direction).

The `Agenda` holds what is due when: (moment, order of scheduling, step). Steps scheduled for
the same moment run in the order they were scheduled, so a run is the same every time.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

Step = Callable[[], None]


def moment(day: date, at: time) -> datetime:
    """A day and a time of day as an aware UTC datetime (the demo's time zone is UTC)."""
    return datetime.combine(day, at, tzinfo=UTC)


class SimClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError(f"expected an aware start time, got {start!r}")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.date()

    def reach(self, when: datetime) -> datetime:
        """Move forward to `when` (never back); the clock's time afterwards."""
        if when > self._now:
            self._now = when
        return self._now

    def pass_time(self, span: timedelta) -> datetime:
        return self.reach(self._now + span)


@dataclass(order=True)
class _Due:
    when: datetime
    order: int
    step: Step = field(compare=False)


class Agenda:
    """Steps due at simulated moments, run in time order on a `SimClock`."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._heap: list[_Due] = []
        self._counter = itertools.count()

    def at(self, when: datetime, step: Step) -> None:
        heapq.heappush(self._heap, _Due(when, next(self._counter), step))

    def __len__(self) -> int:
        return len(self._heap)

    def run(
        self,
        on_step: Callable[[datetime], None] | None = None,
        each_day: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        """Run every step, including the ones steps schedule, in time order.

        The steps of one simulated day run inside one `each_day()` context (the demo passes
        the action transaction: one commit per simulated day, see `psytrial.demo.trial`).
        """
        while self._heap:
            with each_day():
                day = self._heap[0].when.date()
                while self._heap and self._heap[0].when.date() == day:
                    due = heapq.heappop(self._heap)
                    self.clock.reach(due.when)
                    due.step()
                    if on_step is not None:
                        on_step(self.clock.now())
