"""The visit-aware rule on follow-up forms: the date of first use falls after the previous
follow-up visit's date and not after this visit's date (on or after the drug session for the
first follow-up). Dates worked by hand: session given 2025-03-11, m01 entered 2025-04-10,
m02 entered 2025-05-10, m03 entered 2025-06-09."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from psytrial.core.errors import FormError
from psytrial.core.roles import Role
from psytrial.web.forms.models import FormRecord
from psytrial.web.randomization.actions import randomize
from psytrial.web.visits.actions import enter_visit_form
from tests.web.personas import Personas
from tests.web.test_visits_support import (
    FOLLOWUP_CLEAN,
    SimClock,
    client_of,
    dose,
    fast_passwords,  # noqa: F401  (autouse fixture)
    publish_list,
    ready,
    sim_clock_fixture,  # noqa: F401  (fixture)
)

GIVEN = datetime(2025, 3, 11, 10, 0, tzinfo=UTC)
USED = {"heroin_use": "true", "urine": "positive", "collateral": "use"}


@pytest.fixture
def dosed(people: Personas, sim_clock: SimClock):  # type: ignore[no-untyped-def]
    publish_list(people)
    p = ready(people)
    randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    sim_clock.set(GIVEN)
    return dose(people, p)


def _enter(people: Personas, p, visit: str, first_use: str, **kw):  # type: ignore[no-untyped-def]
    return enter_visit_form(
        people[Role.OUTCOME_RATER],
        p,
        "followup",
        visit,
        {**USED, "first_use_date": first_use},
        **kw,
    )


def _refusal(people: Personas, p, visit: str, first_use: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(FormError) as caught:
        _enter(people, p, visit, first_use)
    assert list(caught.value.field_errors) == ["first_use_date"]
    return caught.value.field_errors["first_use_date"][0]


@pytest.mark.django_db
def test_it_bounds_the_first_follow_up_by_the_session_day_and_today(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    sim_clock.set(datetime(2025, 4, 10, 12, tzinfo=UTC))
    assert _refusal(people, dosed, "m01", "2025-03-10") == (
        "expected a date on or after 2025-03-11 (the drug session) and not after 2025-04-10 "
        "(this visit, m01), got 2025-03-10"
    )
    assert "got 2025-04-11" in _refusal(people, dosed, "m01", "2025-04-11")
    assert not FormRecord.objects.filter(instrument_id="followup").exists()
    _enter(people, dosed, "m01", "2025-03-11")  # the session day itself is allowed


@pytest.mark.django_db
def test_it_bounds_a_later_follow_up_by_the_previous_visit_and_this_one(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    rater = people[Role.OUTCOME_RATER]
    sim_clock.set(datetime(2025, 4, 10, 12, tzinfo=UTC))
    enter_visit_form(rater, dosed, "followup", "m01", FOLLOWUP_CLEAN)
    sim_clock.set(datetime(2025, 5, 10, 12, tzinfo=UTC))
    assert _refusal(people, dosed, "m02", "2025-04-10") == (
        "expected a date after 2025-04-10 (the previous follow-up visit, m01) and not after "
        "2025-05-10 (this visit, m02), got 2025-04-10"
    )
    _enter(people, dosed, "m02", "2025-04-11")
    _enter(people, dosed, "m02", "2025-05-10", reason="date corrected", expected_version=1)


@pytest.mark.django_db
def test_it_skips_a_follow_up_visit_that_was_not_done(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    sim_clock.set(datetime(2025, 4, 10, 12, tzinfo=UTC))
    enter_visit_form(people[Role.OUTCOME_RATER], dosed, "followup", "m01", FOLLOWUP_CLEAN)
    sim_clock.set(datetime(2025, 6, 9, 12, tzinfo=UTC))  # m02 never entered
    assert "after 2025-04-10 (the previous follow-up visit, m01)" in _refusal(
        people, dosed, "m03", "2025-04-01"
    )
    _enter(people, dosed, "m03", "2025-05-01")


@pytest.mark.django_db
def test_it_measures_this_visit_by_its_first_save_when_corrected_later(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    sim_clock.set(datetime(2025, 4, 10, 12, tzinfo=UTC))
    enter_visit_form(people[Role.OUTCOME_RATER], dosed, "followup", "m01", FOLLOWUP_CLEAN)
    sim_clock.set(datetime(2025, 4, 20, 12, tzinfo=UTC))  # a correction ten days on
    message = _refusal_update(people, dosed)
    assert "not after 2025-04-10 (this visit, m01), got 2025-04-15" in message


def _refusal_update(people: Personas, p) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(FormError) as caught:
        _enter(people, p, "m01", "2025-04-15", reason="late report", expected_version=1)
    return caught.value.field_errors["first_use_date"][0]


@pytest.mark.django_db
def test_the_timeline_sends_follow_up_entries_to_the_visit_aware_page(
    dosed, people: Personas, sim_clock: SimClock
) -> None:  # type: ignore[no-untyped-def]
    sim_clock.set(datetime(2025, 4, 10, 12, tzinfo=UTC))
    code = people.study.code
    client = client_of(people[Role.OUTCOME_RATER])
    page = client.get(f"/s/{code}/participants/{dosed.pk}/timeline/").content.decode()
    url = f"/s/{code}/participants/{dosed.pk}/visit-forms/followup/m01/1/"
    assert f'href="{url}"' in page
    response = client.post(url, {**USED, "first_use_date": "2025-03-01", "expected_version": "0"})
    assert response.status_code == 200
    assert "expected a date on or after 2025-03-11 (the drug session)" in response.content.decode()
    ok = client.post(url, {**USED, "first_use_date": "2025-04-01", "expected_version": "0"})
    assert ok.status_code == 302
