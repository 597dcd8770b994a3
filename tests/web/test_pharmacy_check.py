"""The second-person check of a prepared dose: by a different pharmacist, once."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.pharmacy.actions import check_preparation
from psytrial.web.pharmacy.models import DosePreparation
from tests.web.personas import Personas
from tests.web.test_pharmacy_support import (
    SimClock,
    clock_fixture,  # noqa: F401 (the clock_at fixture)
    fast_passwords,  # noqa: F401 (autouse)
    prepared,
    randomized_pair,
    second_pharmacist,
)


@pytest.mark.django_db
def test_a_second_pharmacist_checks_and_it_is_audited(people: Personas, clock_at: SimClock) -> None:
    high, _ = randomized_pair(people)
    prep = prepared(people, high)
    checker = second_pharmacist(people)
    at = clock_at.advance(minutes=7)
    row = check_preparation(checker, people.study, prep.pk)
    row.refresh_from_db()
    assert (row.checked_by, row.checked_at, row.is_checked) == (checker, at, True)
    entry = AuditEntry.objects.get(action="dose.checked")
    assert (entry.actor, entry.object_id, entry.new["kit_code"]) == (
        checker.get_username(),
        str(prep.pk),
        high.kit_code,
    )


@pytest.mark.django_db
def test_it_refuses_the_check_by_the_pharmacist_who_prepared(people: Personas) -> None:
    high, _ = randomized_pair(people)
    prep = prepared(people, high)
    with pytest.raises(ActionRefused, match="expected a second pharmacist, got pharmacist_kpt2002"):
        check_preparation(people[Role.PHARMACIST], people.study, prep.pk)
    prep.refresh_from_db()
    assert prep.checked_by is None
    assert not AuditEntry.objects.filter(action="dose.checked").exists()


@pytest.mark.django_db
def test_it_refuses_a_second_check(people: Personas) -> None:
    high, _ = randomized_pair(people)
    prep = prepared(people, high)
    checker = second_pharmacist(people)
    check_preparation(checker, people.study, prep.pk)
    with pytest.raises(ActionRefused, match="expected an unchecked preparation"):
        check_preparation(checker, people.study, prep.pk)


@pytest.mark.django_db
def test_the_database_refuses_a_self_check_whatever_writes_it(people: Personas) -> None:
    high, _ = randomized_pair(people)
    prep = prepared(people, high)
    with pytest.raises(IntegrityError), transaction.atomic():
        DosePreparation.objects.filter(pk=prep.pk).update(checked_by=prep.prepared_by)


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(set(Role) - {Role.PHARMACIST}))
def test_only_a_pharmacist_checks(people: Personas, role: Role) -> None:
    high, _ = randomized_pair(people)
    prep = prepared(people, high)
    for user in (people[role], people.outsider):
        with pytest.raises(ActionDenied):
            check_preparation(user, people.study, prep.pk)
    prep.refresh_from_db()
    assert prep.checked_by is None


@pytest.mark.django_db
def test_it_denies_an_unknown_preparation_without_saying_more(people: Personas) -> None:
    with pytest.raises(ActionDenied, match="got id 999"):
        check_preparation(people[Role.PHARMACIST], people.study, 999)
