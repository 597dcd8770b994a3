"""The upkeep of a fast-filled PostgreSQL database, and the lookups it protects.

A participant is found by id alone and its study checked in Python (a study condition in the
statement let the planner read a whole study on a table without statistics); a participant
of another study stays out of reach. `Upkeep` refreshes the statistics at each doubling of the
work and compacts the chain head on its schedule, only between transactions.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from psytrial.core.roles import Role
from psytrial.web.audit.trail import verify
from psytrial.web.enrolment.actions import screen
from psytrial.web.permissions import ActionDenied, fetch_participant
from psytrial.web.trial.actions import grant_role
from psytrial.web.txn import action_transaction
from psytrial.web.upkeep import Upkeep, compact_chain_head, refresh_statistics
from tests.web.personas import Personas, make_study

pytestmark = pytest.mark.django_db


def test_a_participant_of_another_study_is_out_of_reach(people: Personas) -> None:
    other = make_study("kpt2007.yaml")
    investigator = people[Role.INVESTIGATOR]
    grant_role(investigator, other, Role.INVESTIGATOR)
    theirs = screen(investigator, other, other.sites.get())
    ours = screen(investigator, people.study, people.study.sites.get())
    found, _ = fetch_participant(investigator, people.study, ours.pk, {Role.INVESTIGATOR})
    assert found.pk == ours.pk
    for lock in (False, True):
        with pytest.raises(ActionDenied, match="expected a participant of study"), (
            action_transaction()
        ):
            fetch_participant(investigator, people.study, theirs.pk, {Role.INVESTIGATOR},
                              lock=lock)
    found, _ = fetch_participant(investigator, other, theirs.pk, {Role.INVESTIGATOR})
    assert found.pk == theirs.pk


def test_upkeep_runs_at_each_doubling_and_on_its_schedule(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []
    monkeypatch.setattr("psytrial.web.upkeep.refresh_statistics", lambda: ran.append("s"))
    monkeypatch.setattr("psytrial.web.upkeep.compact_chain_head", lambda: ran.append("c"))
    upkeep = Upkeep(first=100, compact_every=250)
    schedule = {done: upkeep.after(done) for done in (50, 100, 150, 199, 200, 260, 399, 400, 520)}
    assert schedule == {
        50: [], 100: ["statistics"], 150: [], 199: [], 200: ["statistics"],
        260: ["chain head"], 399: [], 400: ["statistics"], 520: ["chain head"],
    }
    assert ran == ["s", "s", "c", "s", "c"]


def test_upkeep_refuses_to_run_inside_a_transaction() -> None:
    if connection.vendor != "postgresql":
        with transaction.atomic():
            refresh_statistics()  # nothing to do on SQLite, inside a transaction or not
            compact_chain_head()
        return
    with transaction.atomic(), pytest.raises(RuntimeError, match="between transactions"):
        refresh_statistics()


@pytest.mark.django_db(transaction=True)
def test_upkeep_leaves_the_trail_whole_and_the_head_one_row(people: Personas) -> None:
    from psytrial.web.audit.models import ChainHead

    for _ in range(3):
        screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    refresh_statistics()
    compact_chain_head()
    assert ChainHead.objects.count() == 1 and verify().ok
    screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    assert verify().ok
