"""`notify_roles` writes, in one statement, what `notify(users_with_role(...))` writes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from psytrial.core.roles import Role
from psytrial.web.trial.actions import (
    create_user,
    grant_role,
    notify,
    notify_roles,
    users_with_role,
)
from psytrial.web.trial.models import Membership, Notification
from tests.web.personas import Personas, make_study

pytestmark = pytest.mark.django_db


def _rows(text: str) -> list[tuple[object, ...]]:
    return sorted(
        Notification.objects.filter(text=text).values_list(
            "user_id", "study_id", "created_at", "text", "url", "read_at"
        )
    )


def test_it_tells_the_same_people_as_the_two_step_way(
    people: Personas, study, django_capture_on_commit_callbacks  # type: ignore[no-untyped-def]
) -> None:
    site = study.sites.get()
    twice = create_user("pharm_two_roles", "a long enough password 1")
    grant_role(twice, study, Role.PHARMACIST, site)
    grant_role(twice, study, Role.PHARMACIST)  # study-wide too: still one notification
    gone = create_user("pharm_inactive", "a long enough password 2")
    grant_role(gone, study, Role.PHARMACIST, site)
    Membership.objects.filter(user=gone).update(active=False)
    roles = {Role.PHARMACIST, Role.DSMB_MEMBER}
    with django_capture_on_commit_callbacks(execute=True):  # notify() writes on commit
        notify(users_with_role(study, roles), study, "two steps", "/somewhere")
    with CaptureQueriesContext(connection) as captured:
        notify_roles(study, roles, "one step", "/somewhere")
    assert len(captured.captured_queries) == 1
    two, one = _rows("two steps"), _rows("one step")

    def drop_text(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [(*r[:2], *r[4:]) for r in rows]  # user, study, url, read at

    assert drop_text(one) == drop_text(two)
    assert len(one) == len({r[0] for r in one}) >= 3  # no one twice; the roles' holders
    assert gone.pk not in {r[0] for r in one}
    assert len({r[2] for r in one}) == 1 and one[0][2] is not None  # one time, the clock's


def test_it_tells_no_one_of_another_study(people: Personas, study) -> None:  # type: ignore[no-untyped-def]
    other = make_study("kpt2007.yaml")
    stranger = create_user("pharm_elsewhere", "a long enough password 3")
    grant_role(stranger, other, Role.PHARMACIST)
    notify_roles(study, {Role.PHARMACIST}, "only here")
    told = {r[0] for r in _rows("only here")}
    assert stranger.pk not in told
    assert told == {u.pk for u in users_with_role(study, {Role.PHARMACIST})}
    notify_roles(other, {Role.PHARMACIST}, "only there")
    assert {r[0] for r in _rows("only there")} == {stranger.pk}
