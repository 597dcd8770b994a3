"""The demo's progress display: one rich progress bar per phase, and the simulated date.

Phases of the trial's conduct run side by side in simulated time (people are still being
screened while the first ones are in follow-up), so their bars advance together; the line
`Simulated date` shows where the clock is.

The display is redrawn from the demo's own thread, at most `REDRAWS_PER_SECOND` times a
second, when the demo reports progress (rich's own refresh thread is off). A refresh thread
takes Python's interpreter lock while it draws, and the demo's thread, woken by a database
reply, waited for it: on PostgreSQL that added about a third to the time spent in SQL.
"""

from __future__ import annotations

import time
from datetime import datetime
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

REDRAWS_PER_SECOND = 8


class DemoProgress:
    def __init__(self, console: Console, enabled: bool = True) -> None:
        self.console = console
        self._progress = Progress(
            TextColumn("{task.description:<33}"),
            BarColumn(bar_width=16),
            MofNCompleteColumn(),
            TextColumn("{task.fields[note]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
            auto_refresh=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._clock: TaskID | None = None
        self._drawn = 0.0

    def __enter__(self) -> DemoProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def phase(self, key: str, description: str, total: int | None) -> None:
        self._tasks[key] = self._progress.add_task(description, total=total, note="")
        self._redraw(now=True)

    def _redraw(self, now: bool = False) -> None:
        moment = time.monotonic()
        if now or moment - self._drawn >= 1 / REDRAWS_PER_SECOND:
            self._drawn = moment
            self._progress.refresh()

    def grow(self, key: str, more: int) -> None:
        task = self._progress.tasks[self._tasks[key]]
        self._progress.update(self._tasks[key], total=(task.total or 0) + more)

    def advance(self, key: str, steps: int = 1, note: str | None = None) -> None:
        if note is None:
            self._progress.advance(self._tasks[key], steps)
        else:
            self._progress.update(self._tasks[key], advance=steps, note=note)
        self._redraw()

    def note(self, key: str, note: str) -> None:
        self._progress.update(self._tasks[key], note=note)

    def finish(self, key: str, note: str = "") -> None:
        task = self._progress.tasks[self._tasks[key]]
        total = task.total if task.total is not None else task.completed
        self._progress.update(self._tasks[key], total=total, completed=total, note=note)
        self._redraw(now=True)

    def show_clock(self, now: datetime) -> None:
        if self._clock is None:
            self._clock = self._progress.add_task("Simulated date", total=None, note="")
        self._progress.update(self._clock, note=f"{now:%Y-%m-%d}")
        self._redraw()
