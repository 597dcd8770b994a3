"""The study dashboard: enrolment by site and month (table and SVG chart), participants by
status, visit completion, and the per-arm table only for the DSMB and, after lock, the trial
statistician. Expected numbers are counted by hand from the events each test plays."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from psytrial.core.roles import Role
from psytrial.web.enrolment.actions import screen
from psytrial.web.randomization.actions import randomize
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Site, Study
from psytrial.web.visits.actions import enter_visit_form, mark_missed
from psytrial.web.visits.chart import cumulative_chart
from psytrial.web.visits.dashboard import dashboard
from tests.web.personas import PASSWORD, Personas
from tests.web.test_safety_adverse_events import AE
from tests.web.test_visits_support import (
    SimClock,
    arm_of_p,
    client_of,
    dose,
    fast_passwords,  # noqa: F401  (autouse fixture)
    publish_list,
    randomized_pair,
    ready,
    sim_clock_fixture,  # noqa: F401  (fixture)
)


@pytest.mark.django_db
def test_it_counts_enrolment_by_site_and_month_cumulatively(
    people: Personas, sim_clock: SimClock
) -> None:
    study = people.study
    msk = Site.objects.create(study=study, code="msk", name="Moscow")
    inv_msk = create_user("inv_msk", PASSWORD)
    grant_role(inv_msk, study, Role.INVESTIGATOR, msk)
    publish_list(people)
    inv = people[Role.INVESTIGATOR]
    sim_clock.set(datetime(2025, 1, 20, 9, tzinfo=UTC))
    randomize(inv, ready(people))  # spb: screened and randomized in January
    screen(inv_msk, study, msk)  # msk: screened in January, never randomized
    sim_clock.set(datetime(2025, 3, 5, 9, tzinfo=UTC))
    randomize(inv, ready(people))
    randomize(inv, ready(people))  # spb: two more in March
    board = dashboard(people[Role.MONITOR], study)
    rows = [
        (m.month, m.site, m.screened, m.randomized, m.randomized_to_date) for m in board.enrolment
    ]
    assert rows == [
        ("2025-01", "msk", 1, 0, 0),
        ("2025-02", "msk", 0, 0, 0),
        ("2025-03", "msk", 0, 0, 0),
        ("2025-01", "spb", 1, 1, 1),
        ("2025-02", "spb", 0, 0, 1),
        ("2025-03", "spb", 2, 2, 3),
    ]
    assert dict(board.statuses)["randomized"] == 3 and dict(board.statuses)["screened"] == 1
    svg = board.chart_svg
    assert svg.count("<polyline") == 2 and "<script" not in svg
    assert "<title>spb: 3</title>" in svg and "<title>msk: 0</title>" in svg


def test_it_draws_each_series_at_its_values() -> None:
    svg = cumulative_chart(["2025-01", "2025-02", "2025-03"], {"a": [0, 2, 4], "b": [1, 1, 1]})
    points = re.findall(r'points="([^"]+)"', svg)
    # plot: x from 48 to 442 (step 221), y from 220 (0) up to 16 (4 = the top)
    assert points == ["48.0,220.0 269.0,118.0 490.0,16.0", "48.0,169.0 269.0,169.0 490.0,169.0"]
    assert 'stroke-dasharray="6 3"' in svg  # the second series is dashed, not colour alone


@pytest.mark.django_db
def test_it_counts_visit_completion_over_due_visits(people: Personas, sim_clock: SimClock) -> None:
    publish_list(people)
    a, b = ready(people), ready(people)
    for p in (a, b):
        randomize(people[Role.INVESTIGATOR], p)
        p.refresh_from_db()
    sim_clock.set(datetime(2025, 3, 11, 10, tzinfo=UTC))
    dose(people, a)
    dose(people, b)
    sim_clock.set(datetime(2025, 4, 12, 10, tzinfo=UTC))  # m01 late for both
    enter_visit_form(
        people[Role.OUTCOME_RATER],
        a,
        "followup",
        "m01",
        {"heroin_use": "false", "urine": "negative", "collateral": "no_use"},
    )
    mark_missed(people[Role.OUTCOME_RATER], b, "m01", "unreachable")
    board = dashboard(people[Role.INVESTIGATOR], people.study)
    by_id = {c.visit_id: c for c in board.completion}
    # m01 gives followup + craving + colour test; a has only the followup form: not done.
    assert (
        by_id["m01"].due,
        by_id["m01"].done,
        by_id["m01"].marked_missed,
        by_id["m01"].overdue,
    ) == (2, 0, 1, 1)
    assert (by_id["screening"].due, by_id["screening"].done) == (2, 2)
    assert (by_id["m02"].due, by_id["m02"].done) == (0, 0)
    assert by_id["screening"].percent_done == "100%" and by_id["m02"].percent_done == "–"


@pytest.mark.django_db
def test_only_the_dsmb_and_after_lock_the_trial_statistician_see_per_arm_counts(
    people: Personas, sim_clock: SimClock
) -> None:
    study = people.study
    high, _low = randomized_pair(people)
    sim_clock.set(datetime(2025, 3, 8, 10, tzinfo=UTC))
    dose(people, high)
    enter_visit_form(people[Role.INVESTIGATOR], high, "adverse_event", "", AE)
    enter_visit_form(people[Role.INVESTIGATOR], high, "adverse_event", "", AE)
    board = dashboard(people[Role.DSMB_MEMBER], study)
    assert board.per_arm is not None
    rows = {r.arm_id: r for r in board.per_arm}
    randomized = [p for p in study.participants.all() if p.kit_code]
    expected = {
        arm: sum(1 for p in randomized if arm_of_p(people, p) == arm) for arm in ("high", "low")
    }
    assert {a: r.randomized for a, r in rows.items()} == expected
    assert (rows["high"].serious_events, rows["high"].participants_with_serious) == (2, 1)
    assert (rows["low"].serious_events, dict(rows["high"].statuses)["dosed"]) == (0, 1)
    for role in set(Role) - {Role.DSMB_MEMBER}:
        assert dashboard(people[role], study).per_arm is None, role
    Study.objects.filter(pk=study.pk).update(locked_at=datetime(2027, 1, 1, tzinfo=UTC))
    study.refresh_from_db()
    assert dashboard(people[Role.TRIAL_STATISTICIAN], study).per_arm is not None
    assert dashboard(people[Role.PHARMACIST], study).per_arm is None
    page = client_of(people[Role.DSMB_MEMBER]).get(f"/s/{study.code}/dashboard/").content
    assert b'id="per-arm"' in page and b"Ketamine 2.0 mg/kg IM" in page
    blind = client_of(people[Role.INVESTIGATOR]).get(f"/s/{study.code}/dashboard/").content
    assert b'id="per-arm"' not in blind and b"mg/kg" not in blind


@pytest.mark.django_db
def test_the_study_page_links_the_worklist_and_dashboard_by_role(people: Personas) -> None:
    code = people.study.code
    rater = client_of(people[Role.OUTCOME_RATER]).get(f"/s/{code}/").content.decode()
    admin = client_of(people[Role.ADMINISTRATOR]).get(f"/s/{code}/").content.decode()
    assert f"/s/{code}/worklist/" in rater and f"/s/{code}/dashboard/" in rater
    assert f"/s/{code}/worklist/" not in admin and f"/s/{code}/dashboard/" in admin
