"""The query lifecycle: a data manager raises, the site answers, the data manager closes or
re-opens; each step audited and refused to every other role; outcome raters never see queries
on arm-revealing instruments; lists per site and per participant."""

from __future__ import annotations

import pytest

from psytrial.core.errors import FormError
from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.forms.actions import lock_form
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.quality.actions import answer_query, close_query, raise_query, reopen_query
from psytrial.web.quality.models import Query, QueryEvent
from psytrial.web.quality.readouts import counts_by_site, query_for, visible_queries
from psytrial.web.trial.models import Notification, Participant
from tests.web.personas import Personas
from tests.web.test_pharmacy_support import (
    SimClock,
    clock_fixture,  # noqa: F401 (the clock_at fixture)
    fast_passwords,  # noqa: F401 (autouse)
)
from tests.web.test_quality_support import dosed_pair, extra_user, hrs_answers, record_of

pytestmark = pytest.mark.django_db

DM = Role.DATA_MANAGER


@pytest.fixture
def pair(people: Personas, clock_at: SimClock) -> tuple[Participant, Participant]:
    high, low = dosed_pair(people, clock_at)
    from psytrial.web.enrolment.actions import enter_form

    enter_form(people[Role.PSYCHOTHERAPIST], high, "hrs", "session", hrs_answers())
    return high, low


def _raise(people: Personas, p: Participant, field: str = "weight_kg") -> Query:
    return raise_query(
        people[DM],
        record_of(p, "baseline", "baseline"),
        field,
        "Weight 70 kg: please check against the source document.",
    )


def test_it_runs_the_whole_lifecycle_with_an_audit_entry_per_step(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, _ = pair
    query = _raise(people, high)
    assert (query.status, query.field_id) == ("open", "weight_kg")
    answer_query(people[Role.INVESTIGATOR], query, "Checked: 70 kg in the source.")
    close_query(people[DM], query, "Thank you.")
    reopen_query(people[DM], query, "The scale was recalibrated; please re-weigh.")
    query.refresh_from_db()
    assert query.status == "open"
    kinds = list(QueryEvent.objects.filter(query=query).values_list("kind", "author__username"))
    assert kinds == [
        ("raised", people[DM].get_username()),
        ("answered", people[Role.INVESTIGATOR].get_username()),
        ("closed", people[DM].get_username()),
        ("reopened", people[DM].get_username()),
    ]
    entries = AuditEntry.objects.filter(object_type="query", object_id=str(query.pk))
    assert [(e.action, e.old.get("status"), e.new["status"]) for e in entries] == [
        ("query.raised", None, "open"),
        ("query.answered", "open", "answered"),
        ("query.closed", "answered", "closed"),
        ("query.reopened", "closed", "open"),
    ]
    assert (
        entries[0].new["form"] == "baseline/baseline/1" and entries[0].new["field"] == "weight_kg"
    )


def test_the_site_is_told_of_a_new_query_and_the_data_manager_of_an_answer(
    people: Personas,
    pair: tuple[Participant, Participant],
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    inv, dm = people[Role.INVESTIGATOR], people[DM]
    with django_capture_on_commit_callbacks(execute=True):
        query = _raise(people, pair[0])
    assert Notification.objects.filter(user=inv, text__contains="please answer").count() == 1
    assert not Notification.objects.filter(user=people[Role.OUTCOME_RATER]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        answer_query(inv, query, "ok")
    assert Notification.objects.filter(user=dm, text__contains="was answered").count() == 1


@pytest.mark.parametrize("role", [r for r in Role if r != DM])
def test_only_a_data_manager_raises_closes_and_reopens(
    people: Personas, pair: tuple[Participant, Participant], role: Role
) -> None:
    record = record_of(pair[0], "baseline", "baseline")
    with pytest.raises(ActionDenied):
        raise_query(people[role], record, "weight_kg", "why?")
    query = _raise(people, pair[0])
    with pytest.raises(ActionDenied):
        close_query(people[role], query)
    close_query(people[DM], query)
    with pytest.raises(ActionDenied):
        reopen_query(people[role], query, "again")
    assert Query.objects.get(pk=query.pk).status == "closed"


def test_an_outsider_can_do_nothing(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    record = record_of(pair[0], "baseline", "baseline")
    query = _raise(people, pair[0])
    for call in (
        lambda: raise_query(people.outsider, record, "weight_kg", "x"),
        lambda: answer_query(people.outsider, query, "x"),
        lambda: close_query(people.outsider, query),
        lambda: reopen_query(people.outsider, query, "x"),
        lambda: query_for(people.outsider, people.study, query.pk),
    ):
        with pytest.raises(ActionDenied):
            call()
    assert visible_queries(people.outsider, people.study) == []


ANSWERERS = {
    ("baseline", "baseline", ""): {Role.INVESTIGATOR},
    ("hrs", "session", ""): {Role.INVESTIGATOR, Role.PSYCHOTHERAPIST},
}


@pytest.mark.parametrize("form", list(ANSWERERS))
@pytest.mark.parametrize("role", list(Role))
def test_the_investigator_or_the_entering_role_answers(
    people: Personas, pair: tuple[Participant, Participant], form: tuple[str, str, str], role: Role
) -> None:
    instrument, visit, variant = form
    record = record_of(pair[0], instrument, visit, variant)
    field = "weight_kg" if instrument == "baseline" else "som_01"
    query = raise_query(people[DM], record, field, "please check")
    if role in ANSWERERS[form]:
        assert answer_query(people[role], query, "checked").status == "answered"
    else:
        with pytest.raises(ActionDenied):
            answer_query(people[role], query, "checked")
        assert Query.objects.get(pk=query.pk).status == "open"


def test_the_outcome_rater_answers_on_its_own_forms(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    from psytrial.web.enrolment.actions import enter_form

    enter_form(people[Role.OUTCOME_RATER], pair[0], "craving", "baseline", {"value": "55"})
    query = raise_query(people[DM], record_of(pair[0], "craving", "baseline"), "value", "55?")
    assert answer_query(people[Role.OUTCOME_RATER], query, "yes, 55").status == "answered"


def test_an_outcome_rater_never_sees_a_query_on_an_arm_revealing_form(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    hrs = raise_query(people[DM], record_of(pair[0], "hrs", "session"), "som_01", "blank?")
    plain = _raise(people, pair[0])
    rater = people[Role.OUTCOME_RATER]
    assert [q.pk for q in visible_queries(rater, people.study)] == [plain.pk]
    with pytest.raises(ActionDenied):
        query_for(rater, people.study, hrs.pk)
    with pytest.raises(ActionDenied):
        answer_query(rater, hrs, "no idea")
    seen_by_dm = {q.pk for q in visible_queries(people[DM], people.study)}
    assert seen_by_dm == {hrs.pk, plain.pk}


@pytest.mark.parametrize(
    "call, status, wanted",
    [
        (lambda u, q: answer_query(u[Role.INVESTIGATOR], q, "again"), "answered", "open"),
        (lambda u, q: close_query(u[DM], q), "closed", "answered or open"),
        (lambda u, q: reopen_query(u[DM], q, "why"), "open", "closed"),
    ],
)
def test_a_step_out_of_order_is_refused_and_changes_nothing(
    people: Personas,
    pair: tuple[Participant, Participant],
    call,
    status: str,
    wanted: str,  # type: ignore[no-untyped-def]
) -> None:
    query = _raise(people, pair[0])
    Query.objects.filter(pk=query.pk).update(status=status)
    query.refresh_from_db()
    events, audits = QueryEvent.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ActionRefused, match=f"expected a query that is {wanted}"):
        call(people, query)
    assert (QueryEvent.objects.count(), AuditEntry.objects.count()) == (events, audits)


def test_bad_inputs_get_a_field_message(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    record = record_of(pair[0], "baseline", "baseline")
    with pytest.raises(FormError) as unknown:
        raise_query(people[DM], record, "height", "?")
    assert "expected a field of baseline" in unknown.value.field_errors["field_id"][0]
    with pytest.raises(FormError) as empty:
        raise_query(people[DM], record, "age", "   ")
    assert empty.value.field_errors == {
        "text": ["required: expected the question to the site, got nothing"]
    }
    query = _raise(people, pair[0])
    with pytest.raises(FormError, match="text: required"):
        answer_query(people[Role.INVESTIGATOR], query, "")
    assert Query.objects.count() == 1


def test_a_locked_form_takes_no_new_query(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    record = lock_form(people[DM], record_of(pair[0], "baseline", "baseline"))
    with pytest.raises(ActionRefused, match="locked"):
        raise_query(people[DM], record, "age", "?")


def test_queries_are_listed_per_site_and_per_participant(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, low = pair
    q1 = _raise(people, high)
    q2 = _raise(people, low, "age")
    answer_query(people[Role.INVESTIGATOR], q2, "ok")
    dm = people[DM]
    assert [q.pk for q in visible_queries(dm, people.study, participant_id=low.pk)] == [q2.pk]
    assert {q.pk for q in visible_queries(dm, people.study, site="spb")} == {q1.pk, q2.pk}
    assert visible_queries(dm, people.study, site="nowhere") == []
    assert [q.pk for q in visible_queries(dm, people.study, statuses=["open"])] == [q1.pk]
    assert counts_by_site(visible_queries(dm, people.study)) == [("spb", 1, 1)]


def test_a_data_manager_of_another_site_sees_and_raises_nothing_here(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    other = people.study.sites.create(code="msk", name="Moscow")
    dm_msk = extra_user(people, DM, other)
    _raise(people, pair[0])
    assert visible_queries(dm_msk, people.study) == []
    with pytest.raises(ActionDenied, match="at site spb"):
        raise_query(dm_msk, record_of(pair[0], "baseline", "baseline"), "age", "?")
