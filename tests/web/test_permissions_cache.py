"""The memberships kept on a user object: fewer queries, never a stale answer.

`permissions.memberships` keeps a user's memberships per study on the user object while no
membership changes. These tests run in committed transactions (transaction=True), where
the cache is used, and check every way it could go stale: a grant, a grant rolled back, a
membership deleted, and reads inside the transaction that changes a membership.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from psytrial.core.roles import Role
from psytrial.web.permissions import ActionDenied, memberships, require_role, roles_of
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Membership
from psytrial.web.txn import lock_participant
from tests.web.personas import PASSWORD, make_study

pytestmark = pytest.mark.django_db(transaction=True)


def _queries(call):  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return result, len(captured.captured_queries)


def test_a_second_question_costs_no_query() -> None:
    study = make_study()
    user = create_user("cached_rater", PASSWORD)
    grant_role(user, study, Role.OUTCOME_RATER)
    first, spent = _queries(lambda: roles_of(user, study))
    again, spent_again = _queries(lambda: roles_of(user, study))
    assert first == again == {Role.OUTCOME_RATER}
    assert (spent, spent_again) == (1, 0)


def test_a_grant_is_seen_at_once_by_a_user_object_that_asked_before() -> None:
    study = make_study()
    user = create_user("grantee", PASSWORD)
    with pytest.raises(ActionDenied):
        require_role(user, study, {Role.PHARMACIST})
    grant_role(user, study, Role.PHARMACIST)
    assert require_role(user, study, {Role.PHARMACIST}).role_enum is Role.PHARMACIST


def test_a_grant_that_rolls_back_leaves_no_role_behind() -> None:
    study = make_study()
    user = create_user("almost", PASSWORD)
    assert roles_of(user, study) == set()

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        grant_role(user, study, Role.PHARMACIST)
        # Inside the transaction the grant is visible (the database says so) ...
        assert roles_of(user, study) == {Role.PHARMACIST}
        raise Abandoned
    # ... and after the rollback it is gone, for the same user object too.
    assert roles_of(user, study) == set()
    assert not Membership.objects.filter(user=user).exists()


def test_a_deleted_membership_stops_counting() -> None:
    study = make_study()
    user = create_user("leaver", PASSWORD)
    membership = grant_role(user, study, Role.MONITOR)
    assert roles_of(user, study) == {Role.MONITOR}
    Membership.objects.get(pk=membership.pk).delete()
    assert roles_of(user, study) == set()


def test_the_answer_is_per_study() -> None:
    first, second = make_study("kpt2002.yaml"), make_study("kpt2007.yaml")
    user = create_user("two_studies", PASSWORD)
    grant_role(user, first, Role.MONITOR)
    assert roles_of(user, first) == {Role.MONITOR}
    assert roles_of(user, second) == set()
    grant_role(user, second, Role.DATA_MANAGER)
    assert roles_of(user, second) == {Role.DATA_MANAGER}
    assert roles_of(user, first) == {Role.MONITOR}


def test_callers_cannot_change_the_kept_answer() -> None:
    study = make_study()
    user = create_user("mutator", PASSWORD)
    grant_role(user, study, Role.MONITOR)
    memberships(user, study).clear()
    assert roles_of(user, study) == {Role.MONITOR}


def test_sqlite_needs_no_participant_row_lock_query() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL takes the row lock")
    with transaction.atomic():
        _, spent = _queries(lambda: lock_participant(1))
    assert spent == 0


def test_postgresql_takes_the_participant_row_lock() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        lock_participant(1)
    assert "FOR UPDATE" in captured.captured_queries[-1]["sql"]
