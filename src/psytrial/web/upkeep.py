"""Upkeep of a PostgreSQL database that is filled fast: the demo's years of a trial in minutes.

PostgreSQL plans each statement from its statistics of the tables. A fresh table has none,
and on it the planner takes any index as good as any other: for "this participant of this
study" it may pick the study's index and read every participant of the study to find one.
Prepared statements keep such a plan. Autovacuum refreshes the statistics as tables grow (and
ANALYZE makes the prepared statements plan again), but it may be switched off, and it works
on a schedule of minutes, while the demo writes a month of a trial in seconds. So the demo
asks for the statistics itself as its tables grow (`Statistics`), and keeps the one-row audit
chain head compact: every audit entry moves the head, leaving an old row version behind that
only VACUUM clears (`compact_chain_head`). On SQLite both are nothing: its planner does not
use statistics unless asked, and its rows are updated in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from psytrial.web.audit.models import ChainHead


def _postgres_outside_transaction(what: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    if connection.in_atomic_block:
        raise RuntimeError(f"{what} runs between transactions, not inside one")
    return True


def refresh_statistics() -> None:
    """ANALYZE every table (PostgreSQL): the planner's statistics as the data stand now."""
    if _postgres_outside_transaction("refresh_statistics"):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def compact_chain_head() -> None:
    """VACUUM the audit chain head's table (PostgreSQL): one live row, its old versions gone."""
    if _postgres_outside_transaction("compact_chain_head"):
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {connection.ops.quote_name(ChainHead._meta.db_table)}")


@dataclass
class Upkeep:
    """When a bulk writer's database gets its upkeep: statistics each time the work done
    (`done`, e.g. actions) has doubled since they were last refreshed, from `first`, so a run
    asks O(log n) times; the chain head every `compact_every` units of work."""

    first: int = 500
    compact_every: int = 2000
    _next_statistics: int = 0
    _next_compact: int = 0

    def __post_init__(self) -> None:
        self._next_statistics = self.first
        self._next_compact = self.compact_every

    def after(self, done: int) -> list[str]:
        """Run what is due after `done` units of work, between transactions; says what ran."""
        ran = []
        if done >= self._next_statistics:
            refresh_statistics()
            self._next_statistics = 2 * done
            ran.append("statistics")
        if done >= self._next_compact:
            compact_chain_head()
            self._next_compact = done + self.compact_every
            ran.append("chain head")
        return ran
