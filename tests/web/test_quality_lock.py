"""The study database lock: a study-wide data manager with a reason and no open query; after it
no write action anywhere changes anything. Form lock after cleaning."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from psytrial.core.errors import FormError
from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.enrolment.actions import enter_form, screen
from psytrial.web.forms.actions import lock_form, save_form
from psytrial.web.forms.models import FormRecord, FormVersion
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.pharmacy.actions import check_preparation, prepare_dose, record_administration
from psytrial.web.pharmacy.models import Administration, DosePreparation
from psytrial.web.quality.actions import answer_query, close_query, raise_query, reopen_query
from psytrial.web.quality.lock import lock_checked_form, lock_study
from psytrial.web.quality.models import Query
from psytrial.web.quality.signatures import sign_form
from psytrial.web.randomization.actions import randomize
from psytrial.web.trial.models import Notification, Participant, Study
from psytrial.web.visits.actions import (
    enter_visit_form,
    mark_lost,
    mark_missed,
    mark_sae_reported,
    withdraw,
)
from psytrial.web.visits.models import ExpeditedReport, MissedVisit
from tests.web.personas import PASSWORD, Personas
from tests.web.test_pharmacy_support import (
    SimClock,
    clock_fixture,  # noqa: F401 (the clock_at fixture)
    fast_passwords,  # noqa: F401 (autouse)
    ready,
    second_pharmacist,
)
from tests.web.test_quality_support import extra_user, record_of

pytestmark = pytest.mark.django_db
DM = Role.DATA_MANAGER
SERIOUS_AE = {
    "term": "Hypertensive crisis",
    "onset_date": "2024-03-01",
    "serious": "true",
    "severity": "severe",
    "related": "possible",
    "outcome": "recovered",
}


def _query(people: Personas, p: Participant) -> Query:
    return raise_query(people[DM], record_of(p, "baseline", "baseline"), "age", "35?")


# -- the lock itself ---------------------------------------------------------------------------


def test_it_refuses_while_queries_are_open_and_names_how_many(
    people: Personas, clock_at: SimClock
) -> None:
    p = ready(people)
    q1, q2 = _query(people, p), _query(people, p)
    answer_query(people[Role.INVESTIGATOR], q2, "checked")
    with pytest.raises(
        ActionRefused, match="expected no open queries to lock the database, got 2 open or answered"
    ):
        lock_study(people[DM], people.study, "end of follow-up")
    assert Study.objects.get(pk=people.study.pk).locked_at is None
    assert not AuditEntry.objects.filter(action="study.locked").exists()
    close_query(people[DM], q1)
    close_query(people[DM], q2)
    assert lock_study(people[DM], people.study, "end of follow-up").locked_at == clock_at.now


def test_it_locks_with_a_reason_audits_and_tells_the_team(
    people: Personas,
    clock_at: SimClock,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(FormError) as no_reason:
        lock_study(people[DM], people.study, "  ")
    assert "reason" in no_reason.value.field_errors
    with django_capture_on_commit_callbacks(execute=True):
        lock_study(people[DM], people.study, "last visit of the last participant cleaned")
    entry = AuditEntry.objects.get(action="study.locked")
    assert (entry.role, entry.reason) == (
        "data_manager",
        "last visit of the last participant cleaned",
    )
    told = set(
        Notification.objects.filter(text__contains="is locked").values_list(
            "user__username", flat=True
        )
    )
    assert people[Role.TRIAL_STATISTICIAN].get_username() in told
    assert people[Role.PHARMACIST].get_username() not in told
    with pytest.raises(ActionRefused, match="was locked on"):
        lock_study(people[DM], people.study, "again")


@pytest.mark.parametrize("role", [r for r in Role if r != DM])
def test_only_a_data_manager_locks_the_database(people: Personas, role: Role) -> None:
    with pytest.raises(ActionDenied):
        lock_study(people[role], people.study, "why not")
    with pytest.raises(ActionDenied):
        lock_study(people.outsider, people.study, "why not")
    assert Study.objects.get(pk=people.study.pk).locked_at is None


def test_a_site_data_manager_cannot_lock_every_site(people: Personas) -> None:
    site_dm = extra_user(people, DM, people.study.sites.get(code="spb"))
    with pytest.raises(ActionDenied, match="of every site"):
        lock_study(site_dm, people.study, "done")


def test_a_form_is_locked_only_once_its_queries_are_closed(
    people: Personas, clock_at: SimClock
) -> None:
    p = ready(people)
    query = _query(people, p)
    with pytest.raises(ActionRefused, match="got 1 still open or answered"):
        lock_checked_form(people[DM], record_of(p, "baseline", "baseline"))
    close_query(people[DM], query)
    assert lock_checked_form(people[DM], record_of(p, "baseline", "baseline")).locked
    for role in [r for r in Role if r != DM]:
        with pytest.raises(ActionDenied):
            lock_checked_form(people[role], record_of(p, "consent", "screening"))


# -- after the lock, nothing changes -----------------------------------------------------------


class Before:
    """Counts of every table a write action touches, and the audit trail's length."""

    MODELS = (
        AuditEntry,
        FormRecord,
        FormVersion,
        Participant,
        DosePreparation,
        Administration,
        Query,
        MissedVisit,
        ExpeditedReport,
    )

    def __init__(self) -> None:
        self.counts = self.now()
        self.statuses = dict(Participant.objects.values_list("pk", "status"))
        self.checked = dict(DosePreparation.objects.values_list("pk", "checked_by"))
        self.locked = dict(FormRecord.objects.values_list("pk", "locked"))

    @classmethod
    def now(cls) -> list[int]:
        return [model.objects.count() for model in cls.MODELS]

    def unchanged(self) -> bool:
        return (
            self.now() == self.counts
            and dict(Participant.objects.values_list("pk", "status")) == self.statuses
            and dict(DosePreparation.objects.values_list("pk", "checked_by")) == self.checked
            and dict(FormRecord.objects.values_list("pk", "locked")) == self.locked
        )


def _state(people: Personas, clock_at: SimClock) -> dict[str, Any]:
    """A study where every write action below succeeds (in the order of WRITES)."""
    inv, ph = people[Role.INVESTIGATOR], people[Role.PHARMACIST]
    from tests.web.test_enrolment_support import publish

    publish(people)
    waiting = ready(people)
    to_prepare, to_check, to_give = (ready(people) for _ in range(3))
    for p in (to_prepare, to_check, to_give):
        randomize(inv, p)
        p.refresh_from_db()
    checker = second_pharmacist(people)
    clock_at.advance(minutes=5)
    unchecked = prepare_dose(ph, people.study, to_check.pk)
    check_preparation(checker, people.study, prepare_dose(ph, people.study, to_give.pk).pk)
    ae = enter_visit_form(inv, to_prepare, "adverse_event", "", SERIOUS_AE)
    query = _query(people, waiting)
    close_query(people[DM], query)
    clock_at.advance(hours=1)
    return {
        "waiting": waiting,
        "to_prepare": to_prepare,
        "to_check": to_check,
        "to_give": to_give,
        "unchecked": unchecked,
        "checker": checker,
        "ae": ae,
        "query": query,
        "clock": clock_at,
    }


@pytest.fixture
def locked(people: Personas, clock_at: SimClock) -> dict[str, Any]:
    state = _state(people, clock_at)
    lock_study(people[DM], people.study, "final")
    for key in ("waiting", "to_prepare", "to_check", "to_give"):
        state[key].refresh_from_db()
    return state


def _writes(people: Personas, s: dict[str, Any]) -> dict[str, Callable[[], object]]:
    inv, dm, rater = people[Role.INVESTIGATOR], people[DM], people[Role.OUTCOME_RATER]
    study, w = people.study, s["waiting"]
    base = {"age": "36", "sex": "male", "weight_kg": "70", "years_heroin_use": "8"}
    return {
        "save_form": lambda: save_form(inv, w, "baseline", "baseline", base, reason="typo"),
        "enter_form": lambda: enter_form(
            inv, w, "baseline", "baseline", {**base, "age": "37"}, reason="typo"
        ),
        "screen": lambda: screen(inv, study, study.sites.get(code="spb")),
        "randomize": lambda: randomize(inv, w),
        "prepare_dose": lambda: prepare_dose(people[Role.PHARMACIST], study, s["to_prepare"].pk),
        "check_preparation": lambda: check_preparation(s["checker"], study, s["unchecked"].pk),
        "record_administration": lambda: record_administration(
            people[Role.SESSION_CLINICIAN],
            study,
            s["to_give"].pk,
            kit_code=s["to_give"].kit_code,
            volume_ml=Decimal("5.0"),
            administered_at=s["clock"].now - timedelta(minutes=10),
        ),
        "enter_visit_form": lambda: enter_visit_form(inv, w, "adverse_event", "", SERIOUS_AE),
        "mark_missed": lambda: mark_missed(rater, w, "baseline", "not reached"),
        "mark_sae_reported": lambda: mark_sae_reported(inv, study, s["ae"].pk),
        "withdraw": lambda: withdraw(
            inv, s["to_prepare"], date=s["clock"].now.date(), reason="moved"
        ),
        "mark_lost": lambda: mark_lost(
            inv, s["to_check"], date=s["clock"].now.date(), reason="gone"
        ),
        "raise_query": lambda: _query(people, w),
        "reopen_query": lambda: reopen_query(dm, s["query"], "again"),
        "sign_form": lambda: sign_form(inv, record_of(w, "baseline", "baseline"), PASSWORD),
        "lock_checked_form": lambda: lock_checked_form(dm, record_of(w, "consent", "screening")),
        "forms.lock_form": lambda: lock_form(dm, record_of(w, "eligibility", "screening")),
    }


WRITES = [
    "save_form",
    "enter_form",
    "screen",
    "randomize",
    "prepare_dose",
    "check_preparation",
    "record_administration",
    "enter_visit_form",
    "mark_missed",
    "mark_sae_reported",
    "withdraw",
    "mark_lost",
    "raise_query",
    "reopen_query",
    "sign_form",
    "lock_checked_form",
    "forms.lock_form",
]


@pytest.mark.parametrize("name", WRITES)
def test_after_the_lock_every_write_action_refuses_and_changes_nothing(
    people: Personas, locked: dict[str, Any], name: str
) -> None:
    call = _writes(people, locked)[name]
    before = Before()
    with pytest.raises((FormError, ActionRefused)) as refused:
        call()
    assert "locked" in str(refused.value)
    assert before.unchanged()


def test_every_write_action_works_on_the_same_data_before_the_lock(
    people: Personas, clock_at: SimClock
) -> None:
    """The same calls, in order, succeed without the lock: the refusals above are the lock's."""
    writes = _writes(people, _state(people, clock_at))
    for name in WRITES:
        before = Before()
        writes[name]()
        assert not before.unchanged(), f"{name} changed nothing"
