"""In a real browser: one participant walked through trial conduct, each step as its role.

Baseline (investigator and outcome rater) -> randomization (investigator) -> the drug session:
vital signs with an out-of-limit reading and its alert (session clinician), the discharge
checklist, the alert as the investigator's notification -> the HRS (psychotherapist) ->
integration (psychotherapist, outcome rater) -> three monthly follow-ups (outcome rater) -> a
serious adverse event and its expedited report (investigator) -> the timeline, as the
investigator and as the outcome rater.

Screening, eligibility and consent, the preparation notes and the pharmacy's preparation and
check are set up with the enrolment and pharmacy action functions, where the browser walk is
not the point. The live server runs on the real clock (a simulated clock would not reach its
thread), so the follow-ups are entered ahead of their windows, which the form layer allows.

Headless Debian Chromium driven by Playwright against pytest-django's live server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.enrolment.actions import enter_form, screen
from psytrial.web.pharmacy.actions import check_preparation, prepare_dose
from psytrial.web.trial.models import Notification, Participant
from psytrial.web.visits.models import ExpeditedReport
from tests.web.personas import PASSWORD, Personas
from tests.web.test_visits_support import (
    CONSENT,
    ELIGIBLE,
    colour_answers,
    fast_passwords,  # noqa: F401  (autouse fixture)
    hrs_answers,
    publish_list,
    second_pharmacist,
)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"
    ),
]

ALERT = "Systolic blood pressure 185 mmHg is above the alert limit of 180 mmHg"
REVEALING = (
    "Drug-session vital signs",
    "Session discharge checklist",
    "Hallucinogen Rating Scale",
    "Blinding guess (participant)",
    "Session safety",
)


@pytest.fixture
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's own ORM calls stay sync
    try:
        with playwright_api.sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            yield chromium
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Walk:
    """The browser as one user after another, on one participant's timeline."""

    def __init__(self, browser: Any, base: str, code: str, participant: Participant) -> None:
        self.browser, self.base, self.code, self.p = browser, base, code, participant
        self.page: Any = None

    def as_user(self, user: Any) -> Any:
        if self.page is not None:
            self.page.context.close()
        self.page = self.browser.new_context(viewport={"width": 1024, "height": 900}).new_page()
        self.page.goto(f"{self.base}/accounts/login/")
        self.page.get_by_label("Username").fill(user.get_username())
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(re.compile(r"/$"))
        return self.page

    def timeline(self) -> Any:
        self.page.goto(f"{self.base}/s/{self.code}/participants/{self.p.pk}/timeline/")
        return self.page

    def open_form(self, visit_id: str, link_text: str) -> None:
        """Follow a form link in one visit's row of the timeline."""
        self.timeline()
        row = (
            self.page.locator(f"#visit-{visit_id}")
            if visit_id
            else self.page.locator("#unscheduled")
        )
        row.get_by_role("link", name=link_text, exact=True).click()
        # The click starts a navigation; wait for the form page before probing its fields
        # (probing the old page finds no radio group and falls through to a text fill).
        self.page.wait_for_url(lambda url: "/timeline/" not in url, wait_until="load")
        self.page.get_by_role("button", name="Save").wait_for()

    def fill(self, values: dict[str, str]) -> None:
        page = self.page
        for field, value in values.items():
            radios = page.locator(f'input[type=radio][name="{field}"]')
            if radios.count():
                page.check(f'input[type=radio][name="{field}"][value="{value}"]')
            elif page.locator(f"select#id_{field}").count():
                page.select_option(f"#id_{field}", value)
            else:
                page.fill(f"#id_{field}", value)

    def save(self, visit_id: str, link_text: str, values: dict[str, str]) -> None:
        self.open_form(visit_id, link_text)
        self.fill(values)
        self.page.get_by_role("button", name="Save").click()
        self.page.locator(".messages .success").wait_for()

    def state_of(self, visit_id: str) -> str:
        self.timeline()
        return str(self.page.locator(f"#visit-{visit_id} .visit-state").inner_text()).strip()


def _set_up(people: Personas) -> Participant:
    """Screening, eligibility, consent and the allocation list, by the action functions."""
    inv = people[Role.INVESTIGATOR]
    publish_list(people)
    p = screen(inv, people.study, people.study.sites.get(code="spb"))
    enter_form(inv, p, "eligibility", "screening", ELIGIBLE)
    enter_form(
        inv, p, "consent", "screening", {**CONSENT, "consent_date": clock.today().isoformat()}
    )
    return p


def _prepare_and_check(people: Personas, p: Participant) -> None:
    p.refresh_from_db()
    prep = prepare_dose(people[Role.PHARMACIST], people.study, p.pk, None)
    check_preparation(second_pharmacist(people), people.study, prep.pk)
    pt = people[Role.PSYCHOTHERAPIST]
    for visit in ("prep1", "prep2"):
        enter_form(pt, p, "prep_note", visit, {"duration_min": "60", "note": ""})


FOLLOWUP = {"heroin_use": "false", "urine": "negative", "collateral": "no_use"}
VITALS = {
    "time": "10:00",
    "systolic_bp": "130",
    "diastolic_bp": "80",
    "heart_rate": "80",
    "spo2": "98",
}


@pytest.mark.django_db(transaction=True)
def test_one_participant_is_walked_through_trial_conduct(
    browser: Any, live_server: Any, people: Personas
) -> None:
    p = _set_up(people)
    code = people.study.code
    walk = Walk(browser, live_server.url, code, p)
    inv, rater = people[Role.INVESTIGATOR], people[Role.OUTCOME_RATER]
    clinician, therapist = people[Role.SESSION_CLINICIAN], people[Role.PSYCHOTHERAPIST]

    # Baseline: the investigator's form, the rater's craving and colour test.
    walk.as_user(inv)
    walk.save(
        "baseline",
        "Enter Baseline characteristics",
        {"age": "35", "sex": "male", "weight_kg": "70", "years_heroin_use": "8"},
    )
    walk.as_user(rater)
    walk.save("baseline", "Enter Craving for heroin (0-100 mm VAS)", {"value": "70"})
    walk.save("baseline", "Enter Colour test of emotional attitudes", colour_answers(p))
    assert walk.state_of("baseline") == "done"

    # Randomization by the investigator, on the participant's enrolment page.
    walk.as_user(inv)
    walk.timeline().get_by_role("link", name="Enrolment and randomization").click()
    walk.page.get_by_role("button", name=f"Randomize {p.code}").click()
    walk.page.locator("#kit-code").wait_for()
    _prepare_and_check(people, p)

    # The drug session: administration by kit code, then vital signs with an alert.
    walk.as_user(clinician)
    p.refresh_from_db()
    walk.page.goto(f"{live_server.url}/s/{code}/administration/{p.pk}/")
    walk.page.get_by_label("Kit code on the syringe label").fill(p.kit_code)
    walk.page.get_by_label("Volume injected (ml)").fill("5.0")
    walk.page.get_by_role("button", name="Record administration").click()
    walk.page.get_by_text(f"Administration of kit {p.kit_code} recorded").wait_for()
    walk.save("session", "Enter Drug-session vital signs: new entry", VITALS)
    walk.open_form("session", "Enter Drug-session vital signs: new entry")
    walk.fill({**VITALS, "time": "10:20", "systolic_bp": "185"})
    walk.page.get_by_role("button", name="Save").click()
    walk.page.locator("#alerts-session").wait_for()  # the session safety page, at once
    assert f"Session safety alert: {ALERT}." in walk.page.content()
    assert re.search(r"10:20:00.*185", walk.page.inner_text("table.series"), re.S)
    walk.save(
        "session",
        "Enter Session discharge checklist",
        {
            "oriented": "true",
            "walks_unaided": "true",
            "vitals_in_range": "true",
            "minutes_to_discharge": "150",
        },
    )
    walk.as_user(inv)
    walk.page.goto(f"{live_server.url}/s/{code}/")
    assert f"Session safety alert for {p.code} (site spb)" in walk.page.content()
    assert ALERT in walk.page.content()
    walk.page.goto(f"{live_server.url}/s/{code}/participants/{p.pk}/safety/")
    assert ALERT in walk.page.content()

    # The HRS and integration.
    walk.as_user(therapist)
    walk.save("session", "Enter Hallucinogen Rating Scale", hrs_answers(p))
    assert walk.state_of("session") == "done"
    walk.save("integration1", "Enter Integration session note", {"duration_min": "60"})
    for who in ("participant", "therapist"):
        walk.save(
            "integration1",
            f"Enter Blinding guess ({who})",
            {"guessed_arm": "dont_know", "confidence": "50"},
        )
    walk.save("integration2", "Enter Integration session note", {"duration_min": "45"})
    walk.as_user(rater)
    walk.save("integration1", "Enter Craving for heroin (0-100 mm VAS)", {"value": "30"})
    walk.save("integration1", "Enter Colour test of emotional attitudes", colour_answers(p))
    walk.save(
        "integration1",
        "Enter Blinding guess (rater)",
        {"guessed_arm": "dont_know", "confidence": "40"},
    )
    assert walk.state_of("integration1") == "done"

    # Three monthly follow-ups, by the outcome rater.
    for month in ("m01", "m02", "m03"):
        walk.save(month, "Enter Monthly follow-up", FOLLOWUP)
        if month in ("m01", "m03"):
            walk.save(month, "Enter Craving for heroin (0-100 mm VAS)", {"value": "20"})
            walk.save(month, "Enter Colour test of emotional attitudes", colour_answers(p))
        assert walk.state_of(month) == "done"
    rater_timeline = walk.timeline().content()
    assert [w for w in REVEALING if w in rater_timeline] == []

    # A serious adverse event: its clock, then the expedited report.
    walk.as_user(inv)
    walk.open_form("", "Enter Adverse event: new entry")
    walk.fill(
        {
            "term": "Syncope",
            "onset_date": clock.today().isoformat(),
            "serious": "true",
            "severity": "severe",
            "related": "possible",
            "outcome": "recovered",
        }
    )
    walk.page.get_by_role("button", name="Save").click()
    walk.page.locator("#serious").wait_for()
    assert "serious adverse event report due" in walk.page.inner_text("#flags")
    assert "due in 23 h" in walk.page.inner_text("#serious")
    walk.page.get_by_label("Report reference").fill("CIOMS-1")
    walk.page.get_by_role("button", name="Mark reported").click()
    walk.page.get_by_text("Serious adverse event marked reported.").wait_for()
    assert "CIOMS-1" in walk.page.inner_text("#serious")

    # DATA QUALITY STEPS (signatures, queries): the data-quality engineer adds them here,
    # e.g. the investigator signs the follow-up forms, the data manager raises and closes a
    # query on m02, before the final checks below.

    for visit in (
        "screening",
        "baseline",
        "prep1",
        "prep2",
        "session",
        "integration1",
        "integration2",
        "m01",
        "m02",
        "m03",
    ):
        assert walk.state_of(visit) == "done", visit
    assert walk.state_of("m04") == "scheduled"
    walk.page.context.close()
    p.refresh_from_db()
    assert p.status == "dosed"
    assert ExpeditedReport.objects.get().reference == "CIOMS-1"
    assert Notification.objects.filter(user=inv, text__contains=ALERT).count() == 1
    assert not Notification.objects.filter(user=rater, text__contains="alert").exists()
    assert Decimal(p.administrations.get().volume_ml) == Decimal("5.0")
