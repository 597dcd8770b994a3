"""Withdrawal and loss to follow-up: the withdrawal form and the status change together,
through `psytrial.core.status`; illegal transitions refused with its message, nothing changed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from psytrial.core.roles import Role
from psytrial.core.status import IllegalTransition
from psytrial.web.audit.models import AuditEntry
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.queries import current_data
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.randomization.actions import randomize
from psytrial.web.visits.actions import end_participation, mark_lost, withdraw
from tests.web.personas import Personas
from tests.web.test_visits_support import (
    SimClock,
    client_of,
    dose,
    fast_passwords,  # noqa: F401  (autouse fixture)
    publish_list,
    ready,
    sim_clock_fixture,  # noqa: F401  (fixture)
)

GIVEN = datetime(2025, 3, 11, 10, 0, tzinfo=UTC)
DAY = date(2025, 3, 20)


@pytest.fixture
def dosed(people: Personas, sim_clock: SimClock):  # type: ignore[no-untyped-def]
    publish_list(people)
    p = ready(people)
    randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    sim_clock.set(GIVEN)
    return dose(people, p)


def _trace(p):  # type: ignore[no-untyped-def]
    """Everything a refused attempt must leave unchanged."""
    p.refresh_from_db()
    return (
        p.status,
        FormRecord.objects.filter(participant=p, instrument_id="withdrawal").count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.django_db
def test_it_withdraws_a_dosed_participant_with_the_form_and_an_audit_entry(
    dosed, people: Personas
) -> None:  # type: ignore[no-untyped-def]
    inv = people[Role.INVESTIGATOR]
    done = withdraw(inv, dosed, date=DAY, reason="moved to another city")
    assert done.status == "withdrawn"
    record = FormRecord.objects.get(participant=dosed, instrument_id="withdrawal")
    assert (record.visit_id, current_data(record)) == (
        "",
        {"kind": "withdrew", "date": "2025-03-20", "reason": "moved to another city"},
    )
    entry = AuditEntry.objects.get(action="participant.withdrew")
    assert (entry.old, entry.new, entry.reason) == (
        {"status": "dosed"},
        {"status": "withdrawn", "kind": "withdrew"},
        "moved to another city",
    )


@pytest.mark.django_db
def test_it_records_a_loss_to_follow_up_and_an_investigators_withdrawal(
    dosed, people: Personas
) -> None:  # type: ignore[no-untyped-def]
    inv = people[Role.INVESTIGATOR]
    assert mark_lost(inv, dosed, date=DAY, reason="no contact for 3 months").status == (
        "lost_to_follow_up"
    )
    other = ready(people)
    assert (
        withdraw(inv, other, date=DAY, reason="exclusion found", by_investigator=True).status
        == "withdrawn"
    )
    assert AuditEntry.objects.get(action="participant.withdrew").new["kind"] == "investigator"


@pytest.mark.django_db
def test_it_refuses_loss_to_follow_up_before_randomization_and_changes_nothing(
    people: Personas, sim_clock: SimClock
) -> None:
    p = ready(people)
    before = _trace(p)
    with pytest.raises(IllegalTransition) as caught:
        mark_lost(people[Role.INVESTIGATOR], p, date=DAY, reason="gone")
    assert str(caught.value) == (
        "participant in state 'consented': expected one of randomized, eligibility_failed, "
        "withdrew, got 'lost'"
    )
    assert _trace(p) == before


@pytest.mark.django_db
def test_it_refuses_any_change_after_a_terminal_state_and_changes_nothing(
    dosed, people: Personas
) -> None:  # type: ignore[no-untyped-def]
    inv = people[Role.INVESTIGATOR]
    withdraw(inv, dosed, date=DAY, reason="first")
    before = _trace(dosed)
    for attempt in (
        lambda: withdraw(inv, dosed, date=DAY, reason="again"),
        lambda: mark_lost(inv, dosed, date=DAY, reason="lost too"),
    ):
        with pytest.raises(
            IllegalTransition,
            match=r"state 'withdrawn': expected no event "
            r"\(the state is terminal\)",
        ):
            attempt()
    assert _trace(dosed) == before


@pytest.mark.django_db
def test_it_refuses_an_unknown_kind_and_a_form_error_leaves_the_status(
    dosed, people: Personas
) -> None:  # type: ignore[no-untyped-def]
    inv = people[Role.INVESTIGATOR]
    before = _trace(dosed)
    with pytest.raises(ActionRefused, match="kind: expected one of withdrew, investigator, lost"):
        end_participation(inv, dosed, {"kind": "vanished", "date": "2025-03-20", "reason": "x"})
    from psytrial.core.errors import FormError

    with pytest.raises(FormError):
        end_participation(inv, dosed, {"kind": "withdrew", "date": "not a date", "reason": "x"})
    assert _trace(dosed) == before


@pytest.mark.parametrize("role", [r for r in Role if r != Role.INVESTIGATOR])
@pytest.mark.django_db
def test_only_an_investigator_withdraws(dosed, people: Personas, role: Role) -> None:  # type: ignore[no-untyped-def]
    before = _trace(dosed)
    for user in (people[role], people.outsider):
        with pytest.raises(ActionDenied):
            withdraw(user, dosed, date=DAY, reason="x")
        with pytest.raises(ActionDenied):
            mark_lost(user, dosed, date=DAY, reason="x")
    assert _trace(dosed) == before


@pytest.mark.django_db
def test_the_page_records_a_withdrawal_and_shows_a_refusal_with_the_named_errors_message(
    people: Personas, sim_clock: SimClock
) -> None:
    p = ready(people)
    url = f"/s/{people.study.code}/participants/{p.pk}/withdrawal/"
    client = client_of(people[Role.INVESTIGATOR])
    refused = client.post(url, {"kind": "lost", "date": "2025-03-03", "reason": "gone"})
    assert refused.status_code == 400
    assert "participant in state &#x27;consented&#x27;: expected one of randomized" in (
        refused.content.decode()
    )
    assert _trace(p)[0] == "consented"
    done = client.post(url, {"kind": "withdrew", "date": "2025-03-03", "reason": "changed mind"})
    assert done.status_code == 302
    assert done["Location"] == f"/s/{people.study.code}/participants/{p.pk}/timeline/"
    p.refresh_from_db()
    assert p.status == "withdrawn"
    for role in Role:
        expected = 200 if role == Role.INVESTIGATOR else 403
        assert client_of(people[role]).get(url).status_code == expected
    assert client_of(people.outsider).get(url).status_code == 403
