"""In a real browser, on the served demo: who sees what.

A small seeded demo (`psytrial demo --no-serve`) is served by `psytrial serve` (gunicorn) on a
free port, on the demo's own database and keys, as a newcomer reopens it. Headless Debian
Chromium then logs in with the demo's printed logins:

- the investigator sees the participants' kit codes, but no arm and no per-arm table;
- the DSMB member sees the dashboard's per-arm table with both arms' labels.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from psytrial.demo.users import demo_password
from tests.demo.runs import PSYTRIAL, Finished, run_demo

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEED, PARTICIPANTS = 11, 6
STUDY = "kpt2002"
HIGH, LOW = "Ketamine 2.0 mg/kg IM", "Ketamine 0.2 mg/kg IM (active placebo)"
KIT = re.compile(r"^[0-9A-Z]{9}$")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(base: str, server: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"psytrial serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"psytrial serve did not answer at {base} within {seconds} s")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    run = run_demo(
        tmp_path_factory.mktemp("demo-served") / "out", seed=SEED, participants=PARTICIPANTS
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def served(demo: Finished) -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [*PSYTRIAL, "serve", "--port", str(port), "--workers", "1"],
        env=demo.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def log_in(browser: object, base: str, username: str) -> object:
    page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()  # type: ignore[attr-defined]
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo_password(SEED, username))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/$"))
    return page


def test_the_investigator_sees_kit_codes_but_no_arm(browser: object, served: str) -> None:
    page = log_in(browser, served, "investigator.spb")
    shown_page = page.goto(f"{served}/s/{STUDY}/participants/?status=")  # type: ignore[attr-defined]
    assert shown_page.status == 200
    kits = [k.strip() for k in page.locator("td.kit").all_inner_texts()]  # type: ignore[attr-defined]
    shown = [k for k in kits if KIT.match(k)]
    assert len(shown) == PARTICIPANTS
    text = page.content()  # type: ignore[attr-defined]
    assert HIGH not in text and LOW not in text
    dashboard = page.goto(f"{served}/s/{STUDY}/dashboard/")  # type: ignore[attr-defined]
    assert dashboard.status == 200
    assert page.locator("h1").count() == 1  # type: ignore[attr-defined]
    assert page.locator("#per-arm").count() == 0  # type: ignore[attr-defined]
    text = page.content()  # type: ignore[attr-defined]
    assert HIGH not in text and LOW not in text


def test_the_dsmb_member_sees_the_arms(browser: object, served: str) -> None:
    page = log_in(browser, served, "dsmb")
    dashboard = page.goto(f"{served}/s/{STUDY}/dashboard/")  # type: ignore[attr-defined]
    assert dashboard.status == 200
    table = page.locator("#per-arm")  # type: ignore[attr-defined]
    assert table.count() == 1
    rows = table.locator("tbody th").all_inner_texts()
    assert sorted(rows) == sorted([HIGH, LOW])
