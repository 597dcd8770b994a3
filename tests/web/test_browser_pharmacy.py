"""In a real browser: a pharmacist prepares a dose, a second pharmacist checks it, and the
session clinician records the injection by kit code and volume.

Headless Debian Chromium driven by Playwright against pytest-django's live server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from psytrial.core.roles import Role
from psytrial.web.pharmacy.models import Administration, DosePreparation
from tests.web.personas import PASSWORD, Personas
from tests.web.test_pharmacy_support import (
    MG_VALUE,
    arm,
    fast_passwords,  # noqa: F401 (autouse)
    randomized_pair,
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


@pytest.fixture
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            yield chromium
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def log_in(browser: object, base: str, username: str) -> object:
    page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()  # type: ignore[attr-defined]
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))
    return page


@pytest.mark.django_db(transaction=True)
def test_a_dose_is_prepared_checked_and_administered(
    browser: object, live_server: object, people: Personas
) -> None:
    high, _ = randomized_pair(people)
    checker = second_pharmacist(people)
    base, code = live_server.url, people.study.code  # type: ignore[attr-defined]
    mg = "140 mg" if arm(people, high) == "high" else "14 mg"

    page = log_in(browser, base, people[Role.PHARMACIST].get_username())
    page.goto(f"{base}/s/{code}/")
    page.get_by_role("link", name="Pharmacy: prepare and check doses").click()
    page.get_by_role("link", name=high.code).click()
    page.get_by_label("Weight (kg)").fill("70")
    page.get_by_role("button", name="Compute").click()
    assert mg in page.content() and "5.00 ml" in page.content()
    page.get_by_role("button", name="Record this preparation").click()
    page.get_by_text(f"Preparation of kit {high.kit_code} recorded").wait_for()
    assert page.get_by_role("button", name="I have checked this preparation").count() == 0
    page.context.close()

    page = log_in(browser, base, checker.get_username())
    page.goto(f"{base}/s/{code}/pharmacy/{high.pk}/")
    page.get_by_role("button", name="I have checked this preparation").click()
    page.get_by_text(f"Checked by {checker.get_username()}").wait_for()
    page.context.close()

    page = log_in(browser, base, people[Role.SESSION_CLINICIAN].get_username())
    page.goto(f"{base}/s/{code}/")
    page.get_by_role("link", name="Administer doses by kit code").click()
    page.get_by_role("link", name=high.code).click()
    content = page.content()
    assert high.kit_code in content and "5.00 ml" in content and not MG_VALUE.search(content)
    page.get_by_label("Kit code on the syringe label").fill(high.kit_code.lower())
    page.get_by_label("Volume injected (ml)").fill("5.0")
    page.get_by_role("button", name="Record administration").click()
    page.get_by_text(f"Administration of kit {high.kit_code} recorded").wait_for()
    assert "administered" in page.content() and not MG_VALUE.search(page.content())
    page.context.close()

    high.refresh_from_db()
    prep = DosePreparation.objects.get(participant=high)
    assert (prep.prepared_by, prep.checked_by) == (people[Role.PHARMACIST], checker)
    assert high.status == "dosed" and Administration.objects.get().preparation == prep
