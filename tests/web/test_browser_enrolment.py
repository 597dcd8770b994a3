"""Enrolment in a real browser (Playwright driving Debian's Chromium against a live server).

The randomization statistician logs in and generates the allocation list; then an
investigator screens a participant, fills in the eligibility checklist, consent and baseline
on the generic form pages, and randomizes: the page shows the kit code and never the arm.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_enrolment_support import CONSENT, ELIGIBLE

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
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
]


@pytest.fixture
def browser_page() -> Any:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # here are plain synchronous ones (the live server answers in its own threads).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.set_default_timeout(20_000)
            yield page
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def _log_out(page: Any) -> None:
    page.get_by_role("button", name="Log out").click()


def _save(page: Any) -> None:
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/participants/\d+/$"))


@pytest.mark.django_db(transaction=True)
def test_an_investigator_enrols_and_randomizes_in_the_browser(
    live_server: Any, browser_page: Any, settings: Any
) -> None:
    from psytrial.core.roles import Role
    from psytrial.web.trial.models import Participant
    from tests.web.personas import PASSWORD, make_study, personas

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    people = personas(make_study())
    page, base = browser_page, live_server.url

    _log_in(page, base, people[Role.RANDOMIZATION_STATISTICIAN].get_username(), PASSWORD)
    page.goto(f"{base}/s/kpt2002/randomization/")
    page.get_by_label("Slots per stratum").fill("10")
    page.get_by_label("Seed (optional)").fill("20020101")
    page.get_by_role("button", name="Generate and seal").click()
    commitment = page.locator("#commitment").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", commitment)
    _log_out(page)

    _log_in(page, base, people[Role.INVESTIGATOR].get_username(), PASSWORD)
    page.goto(f"{base}/s/kpt2002/")
    assert page.locator("#commitment").inner_text() == commitment
    page.get_by_role("link", name="Screening").click()
    page.get_by_role("button", name="Screen a new participant").click()
    page.wait_for_url(re.compile(r"/participants/\d+/$"))
    assert page.locator("h1").inner_text() == "Participant SPB-0001"

    page.get_by_role("link", name="Enter Eligibility checklist").click()
    for field, value in ELIGIBLE.items():
        page.check(f'input[name="{field}"][value="{value}"]')
    _save(page)
    assert page.locator("#status").inner_text() == "eligible"

    page.get_by_role("link", name="Enter Informed consent").click()
    page.get_by_label("Consent form version").fill(CONSENT["consent_version"])
    page.get_by_label("Date of consent").fill(CONSENT["consent_date"])
    page.get_by_label("Consent taken by").fill(CONSENT["taken_by"])
    _save(page)
    assert page.locator("#status").inner_text() == "consented"

    page.get_by_role("link", name="Enter Baseline characteristics").click()
    page.get_by_label("Age (years)").fill("200")
    page.check('input[name="sex"][value="female"]')
    page.get_by_label("Weight (kg)").fill("64.5")
    page.get_by_label("Years of heroin use (years)").fill("6")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#err_age").inner_text()
    assert error == "Age: expected a whole number between 18 and 60, got 200"
    assert page.get_by_label("Weight (kg)").input_value() == "64.5"
    page.get_by_label("Age (years)").fill("29")
    _save(page)

    page.get_by_role("button", name="Randomize SPB-0001").click()
    page.wait_for_url(re.compile(r"/participants/\d+/$"))
    participant = Participant.objects.get(code="SPB-0001")
    assert participant.status == "randomized" and participant.stratum == "sex=female"
    assert page.locator("#kit-code").inner_text() == participant.kit_code
    assert page.locator("#status").inner_text() == "randomized"
    body = page.content()
    assert "high" not in re.sub(r"<[^>]+>", " ", body).split()
    assert "low" not in re.sub(r"<[^>]+>", " ", body).split()
