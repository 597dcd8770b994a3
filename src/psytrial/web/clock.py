"""The web layer's clock: real time, unless a simulated clock is installed (the demo does).

Action functions ask `clock.now()` for the time; nothing else in the web layer calls
`timezone.now()` for trial data, so the in-silico trial can play two years in a minute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from django.utils import timezone

_override: ContextVar[Callable[[], datetime] | None] = ContextVar("psytrial_clock", default=None)


def now() -> datetime:
    source = _override.get()
    return source() if source is not None else timezone.now()


def today() -> date:
    return timezone.localdate(now())


@contextmanager
def simulated(source: Callable[[], datetime]) -> Iterator[None]:
    """Use `source` as the clock inside the block (for the demo and for tests)."""
    token = _override.set(source)
    try:
        yield
    finally:
        _override.reset(token)
