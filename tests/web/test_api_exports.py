"""The export API for every role and the outsider: instrument list, tidy CSV, dictionary, and
the analysis zip (blinded: no arm; unblinded: the DSMB, the trial statistician after lock)."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.quality.lock import lock_study
from tests.web.personas import Personas
from tests.web.test_pharmacy_support import (
    SimClock,
    arm,
    clock_fixture,  # noqa: F401 (the clock_at fixture)
    fast_passwords,  # noqa: F401 (autouse)
    token_of,
)
from tests.web.test_quality_support import SmallTrial, small_trial

pytestmark = pytest.mark.django_db
EXPORTERS = {Role.DATA_MANAGER, Role.TRIAL_STATISTICIAN, Role.MONITOR, Role.DSMB_MEMBER}
ANALYSTS = {Role.DATA_MANAGER, Role.TRIAL_STATISTICIAN, Role.DSMB_MEMBER}
ALL = [*Role, None]


@pytest.fixture
def trial(people: Personas, clock_at: SimClock) -> SmallTrial:
    return small_trial(people, clock_at)


def _get(people: Personas, role: Role | None, path: str, **params: Any) -> Any:
    user = people.outsider if role is None else people[role]
    return Client().get(f"/api/exports/{people.study.code}{path}", params, **token_of(user))


def _participants(response: Any) -> list[dict[str, str]]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return list(csv.DictReader(io.StringIO(archive.read("participants.csv").decode())))


@pytest.mark.parametrize("role", ALL)
def test_each_export_endpoint_for_every_role(
    people: Personas, trial: SmallTrial, role: Role | None
) -> None:
    listing = _get(people, role, "/instruments")
    instrument = _get(people, role, "/instruments/baseline")
    dictionary = _get(people, role, "/dictionary")
    blinded = _get(people, role, "/analysis")
    unblinded = _get(people, role, "/analysis", unblinded="true")
    ok = 200 if role in EXPORTERS else 403
    assert (listing.status_code, instrument.status_code, dictionary.status_code) == (ok, ok, ok)
    assert blinded.status_code == (200 if role in ANALYSTS else 403)
    assert unblinded.status_code == (200 if role == Role.DSMB_MEMBER else 403)
    for refused in (listing, blinded, unblinded):
        if refused.status_code == 403:
            assert set(refused.json()) == {"detail", "field_errors"}


def test_the_csv_endpoints_answer_csv(people: Personas, trial: SmallTrial) -> None:
    response = _get(people, Role.DATA_MANAGER, "/instruments/followup")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted((r["participant"], r["visit"]) for r in rows) == sorted(
        [
            (trial.high.code, "m01"),
            (trial.high.code, "m03"),
            (trial.low.code, "m01"),
            (trial.low.code, "m02"),
        ]
    )
    unknown = _get(people, Role.DATA_MANAGER, "/instruments/nothing")
    assert unknown.status_code == 404 and "expected an instrument" in unknown.json()["detail"]


def test_the_rater_lists_no_arm_revealing_instrument(people: Personas) -> None:
    from psytrial.web.trial.actions import create_user, grant_role
    from tests.web.personas import PASSWORD

    both = create_user("monitor_and_rater", PASSWORD)
    grant_role(both, people.study, Role.MONITOR)
    grant_role(both, people.study, Role.OUTCOME_RATER)
    response = Client().get(f"/api/exports/{people.study.code}/instruments", **token_of(both))
    ids = {i["id"] for i in response.json()["items"]}
    assert "hrs" not in ids and "vitals" not in ids and "followup" in ids


def test_the_blinded_zip_has_no_arm_and_the_dsmb_zip_has_the_arms(
    people: Personas, trial: SmallTrial
) -> None:
    blinded = _participants(_get(people, Role.TRIAL_STATISTICIAN, "/analysis"))
    assert {r["arm"] for r in blinded} == {"Group A", "Group B"}
    dsmb = {
        r["participant_id"]: r["arm"]
        for r in _participants(_get(people, Role.DSMB_MEMBER, "/analysis", unblinded="true"))
    }
    assert dsmb == {
        trial.high.code: arm(people, trial.high),
        trial.low.code: arm(people, trial.low),
    }


def test_the_trial_statistician_gets_the_arms_only_after_the_lock(
    people: Personas, trial: SmallTrial
) -> None:
    before = _get(people, Role.TRIAL_STATISTICIAN, "/analysis", unblinded="true")
    assert before.status_code == 403 and "not locked" in before.json()["detail"]
    lock_study(people[Role.DATA_MANAGER], people.study, "final")
    after = _get(people, Role.TRIAL_STATISTICIAN, "/analysis", unblinded="true")
    assert after.status_code == 200
    assert {r["arm"] for r in _participants(after)} == {"high", "low"}
