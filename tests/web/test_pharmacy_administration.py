"""Administration by the blind session clinician: by kit code, time and volume only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.pharmacy.actions import check_preparation, normal_kit_code, record_administration
from psytrial.web.pharmacy.models import Administration
from psytrial.web.pharmacy.readouts import session_view
from psytrial.web.trial.models import Participant, Study
from tests.web.personas import Personas
from tests.web.test_pharmacy_support import (
    SimClock,
    checked,
    clock_fixture,  # noqa: F401 (the clock_at fixture)
    fast_passwords,  # noqa: F401 (autouse)
    prepared,
    randomized_pair,
    second_pharmacist,
)

FIVE = Decimal("5.0")


def give(people: Personas, p: Participant, clock: SimClock, **changes: object) -> Administration:
    values: dict[str, object] = {
        "kit_code": p.kit_code,
        "volume_ml": FIVE,
        "administered_at": clock.now - timedelta(minutes=30),
    }
    values.update(changes)
    return record_administration(people[Role.SESSION_CLINICIAN], people.study, p.pk, **values)  # type: ignore[arg-type]


@pytest.fixture
def ready_pair(people: Personas, clock_at: SimClock) -> tuple[Participant, Participant]:
    """Both kits prepared and checked; the clock an hour later."""
    high, low = randomized_pair(people)
    checker = second_pharmacist(people)
    clock_at.advance(minutes=5)
    for p in (high, low):
        checked(people, p, checker)
    clock_at.advance(hours=1)
    return high, low


@pytest.mark.django_db
def test_it_records_the_injection_and_moves_the_participant_to_dosed(
    people: Personas, ready_pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    high, _ = ready_pair
    at = clock_at.now - timedelta(minutes=30)
    given = give(people, high, clock_at, administered_at=at)
    high.refresh_from_db()
    assert (high.status, high.drug_session_at) == ("dosed", at)
    assert (given.kit_code, given.volume_ml, given.recorded_at) == (
        high.kit_code,
        FIVE,
        clock_at.now,
    )
    entry = AuditEntry.objects.get(action="dose.administered")
    assert (entry.old["status"], entry.new["status"], entry.new["volume_ml"]) == (
        "randomized",
        "dosed",
        "5.0",
    )
    assert session_view(people[Role.SESSION_CLINICIAN], people.study, high.pk).stage == (
        "administered"
    )


@pytest.mark.django_db
def test_it_reads_a_kit_code_as_typed_or_scanned(
    people: Personas, ready_pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    high, _ = ready_pair
    typed = f" {high.kit_code[:4].lower()}-{high.kit_code[4:]} "
    assert normal_kit_code(typed) == high.kit_code
    assert give(people, high, clock_at, kit_code=typed).kit_code == high.kit_code


@pytest.mark.django_db
def test_it_refuses_another_participants_kit(
    people: Personas, ready_pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    high, low = ready_pair
    with pytest.raises(
        ActionRefused,
        match=f"expected the kit of participant {high.code}, "
        f"got kit {low.kit_code}, which is not theirs",
    ):
        give(people, high, clock_at, kit_code=low.kit_code)
    high.refresh_from_db()
    assert high.status == "randomized" and not Administration.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_mistyped_kit_code(
    people: Personas, ready_pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    high, _ = ready_pair
    swapped = high.kit_code[1] + high.kit_code[0] + high.kit_code[2:]
    if swapped == high.kit_code:  # pragma: no cover - two equal leading characters
        swapped = high.kit_code[:-2] + high.kit_code[-1] + high.kit_code[-2]
    with pytest.raises(ActionRefused, match="valid check character"):
        give(people, high, clock_at, kit_code=swapped)


@pytest.mark.django_db
@pytest.mark.parametrize("volume", ["4.95", "5.05", "0", "2.8"])
def test_it_refuses_a_volume_other_than_the_prepared_total(
    people: Personas, ready_pair: tuple[Participant, Participant], clock_at: SimClock, volume: str
) -> None:
    high, _ = ready_pair
    with pytest.raises(
        ActionRefused,
        match=rf"expected the prepared total of 5\.00? ml, "
        rf"got {volume} ml",
    ):
        give(people, high, clock_at, volume_ml=Decimal(volume))


@pytest.mark.django_db
def test_it_accepts_the_total_written_with_any_zeros(
    people: Personas, ready_pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    _, low = ready_pair
    assert give(people, low, clock_at, volume_ml=Decimal("5.000")).volume_ml == FIVE


@pytest.mark.django_db
def test_it_refuses_a_time_in_the_future_or_before_the_check(
    people: Personas, ready_pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    high, _ = ready_pair
    with pytest.raises(ActionRefused, match="expected a time not in the future"):
        give(people, high, clock_at, administered_at=clock_at.now + timedelta(minutes=1))
    with pytest.raises(ActionRefused, match="expected a time after the pharmacy's check"):
        give(people, high, clock_at, administered_at=clock_at.now - timedelta(hours=2))


@pytest.mark.django_db
def test_it_refuses_a_second_administration_of_the_kit(
    people: Personas, ready_pair: tuple[Participant, Participant], clock_at: SimClock
) -> None:
    high, _ = ready_pair
    give(people, high, clock_at)
    with pytest.raises(ActionRefused, match="not yet administered"):
        give(people, high, clock_at)


@pytest.mark.django_db
def test_it_requires_a_prepared_and_checked_dose(people: Personas, clock_at: SimClock) -> None:
    high, _ = randomized_pair(people)
    clock_at.advance(hours=1)
    with pytest.raises(ActionRefused, match="expected a prepared dose .* got none yet"):
        give(people, high, clock_at)
    prep = prepared(people, high)
    clock_at.advance(hours=1)
    with pytest.raises(ActionRefused, match="checked by a second pharmacist, got an unchecked"):
        give(people, high, clock_at)
    check_preparation(second_pharmacist(people), people.study, prep.pk)
    clock_at.advance(hours=1)
    assert give(people, high, clock_at).preparation == prep


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(set(Role) - {Role.SESSION_CLINICIAN}))
def test_only_the_session_clinician_records_administration(
    people: Personas, ready_pair: tuple[Participant, Participant], clock_at: SimClock, role: Role
) -> None:
    high, _ = ready_pair
    for user in (people[role], people.outsider):
        with pytest.raises(ActionDenied):
            record_administration(
                user,
                people.study,
                high.pk,
                kit_code=high.kit_code,
                volume_ml=FIVE,
                administered_at=clock_at.now,
            )
    assert not Administration.objects.exists()


@pytest.mark.django_db
def test_it_accepts_the_minute_of_the_check_as_entered_to_the_minute(
    people: Personas, clock_at: SimClock
) -> None:
    high, _ = randomized_pair(people)
    clock_at.advance(seconds=50)
    checked(people, high, second_pharmacist(people))  # checked at 09:00:50
    clock_at.advance(seconds=5)
    minute = clock_at.now.replace(second=0)  # 09:00, as the page's datetime field gives it
    assert give(people, high, clock_at, administered_at=minute).administered_at == minute


@pytest.mark.django_db
def test_nothing_is_prepared_checked_or_given_once_the_database_is_locked(
    people: Personas, clock_at: SimClock
) -> None:
    high, low = randomized_pair(people)
    checker = second_pharmacist(people)
    unchecked = prepared(people, high)
    checked(people, low, checker)
    clock_at.advance(hours=1)
    Study.objects.filter(pk=people.study.pk).update(locked_at=clock_at.now)
    people.study.refresh_from_db()
    locked = "expected an open database, got one locked on 2024-03-01"
    with pytest.raises(ActionRefused, match=locked):
        check_preparation(checker, people.study, unchecked.pk)
    with pytest.raises(ActionRefused, match=locked):
        give(people, low, clock_at)
    assert not Administration.objects.exists()
