"""Error pages in production mode (DEBUG off): no traceback, no settings, no sealed data, and
the same security headers as every other page.

The pages: 404 (an unknown page, an unknown participant), 403 (a blinded role on the
pharmacy's page, whose refusal message names the participant; a POST without its CSRF token),
400 (a request for another host; a view that raises SuspiciousOperation naming a kit code),
500 (a view that raises with the participant's arm and dose in the exception message, and an
API operation that does). The raising views live in tests/web/sweep/error_urls.py, which adds
them to the project's URL map and keeps its error handlers.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.accounts.actions import issue_token
from psytrial.web.trial.models import Participant
from tests.web.sweep import leaks
from tests.web.sweep.factory import World, built

pytestmark = pytest.mark.django_db

# What a production error page must never show.
DEBUG_MARKS = [
    "Traceback",
    "Exception Value",
    "DEBUG = True",
    "You're seeing this error because",
    "Using the URLconf defined in",
    "SECRET_KEY",
    "SEAL_KEY",
    "DATABASES",
    "INSTALLED_APPS",
    "site-packages",
    "/src/psytrial/",
    "RuntimeError",
    "SuspiciousOperation",
    "expected an unblinded pharmacist",  # the refusal's own message
]
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=()",
    "Cache-Control": "no-store",
}


@pytest.fixture(autouse=True)
def production(settings: Any) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.web.sweep.error_urls"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def quiet_request_log() -> Any:
    import logging

    loggers = [logging.getLogger(n) for n in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def world() -> Any:
    with built(False) as made:
        yield made


def client_of(world: World, role: Role) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world.people[role])
    return client


def problems(response: Any, world: World, participant: Participant | None = None) -> list[str]:
    """What is wrong with an error page: debug details, sealed data, missing headers."""
    body = response.content.decode("utf-8", "replace")
    found = [f"shows {mark!r}" for mark in DEBUG_MARKS if mark in body]
    found += leaks.find(body, response.get("Content-Type", ""), world, Role.MONITOR)
    if participant is not None and participant.kit_code and participant.kit_code in body:
        found.append("shows the kit code from the exception message")
    for header, start in SECURITY_HEADERS.items():
        if not response.get(header, "").startswith(start):
            found.append(f"header {header}: expected {start!r}..., got {response.get(header)!r}")
    return found


def dosed(world: World) -> Participant:
    return world.pairs["dosed"][0]


def test_it_answers_404_without_details(world: World) -> None:
    code, p = world.study.code, dosed(world)
    for client in (client_of(world, Role.INVESTIGATOR), Client()):
        for url in (f"/s/{code}/participants/{p.pk}/no-such-page/", "/no/such/page/"):
            response = client.get(url)
            assert response.status_code == 404, url
            assert problems(response, world) == [], url
    response = client_of(world, Role.INVESTIGATOR).get(f"/s/{code}/participants/99999/")
    assert response.status_code in (403, 404)
    assert problems(response, world) == []


def test_it_answers_403_without_the_refusal_message(world: World) -> None:
    p = dosed(world)
    response = client_of(world, Role.INVESTIGATOR).get(f"/s/{world.study.code}/pharmacy/{p.pk}/")
    assert response.status_code == 403
    assert problems(response, world, p) == []


def test_it_answers_a_csrf_failure_with_403_and_no_details(world: World) -> None:
    p = dosed(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people[Role.INVESTIGATOR])
    response = client.post(f"/s/{world.study.code}/participants/{p.pk}/withdrawal/", {})
    assert response.status_code == 403
    body = response.content.decode()
    assert "CSRF" in body and "Reason given" not in body
    assert problems(response, world, p) == []


def test_it_answers_400_for_a_suspicious_request_without_details(world: World) -> None:
    p = dosed(world)
    response = client_of(world, Role.INVESTIGATOR).get(f"/sweep-bad-request/{p.pk}/")
    assert response.status_code == 400
    assert problems(response, world, p) == []


def test_it_answers_400_for_another_host_without_details(world: World) -> None:
    response = client_of(world, Role.INVESTIGATOR).get("/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert problems(response, world) == []
    assert "attacker.example" not in response.content.decode()


def test_it_answers_500_without_the_exception_or_the_arm(world: World) -> None:
    for stage in ("randomized", "dosed"):
        for p in world.pairs[stage]:
            for role in (Role.INVESTIGATOR, Role.OUTCOME_RATER):
                response = client_of(world, role).get(f"/sweep-raise/{p.pk}/")
                assert response.status_code == 500
                assert problems(response, world, p) == [], (stage, role)
                assert p.code not in response.content.decode()


def test_it_answers_a_failing_api_operation_with_a_bare_500(world: World, monkeypatch: Any) -> None:
    p = dosed(world)
    label = world.protocol.arm(world.arm[p.pk]).label

    def failing(user: Any, study: Any) -> Any:
        raise RuntimeError(f"dashboard of {p.code} failed: {label}")

    monkeypatch.setattr("psytrial.web.visits.api.build_dashboard", failing)
    token = issue_token(world.people[Role.MONITOR], "errors")
    response = Client(raise_request_exception=False).get(
        f"/api/visits/{world.study.code}/dashboard", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 500
    assert problems(response, world, p) == []
    assert p.code not in response.content.decode()


def test_the_checks_catch_a_debug_page(world: World, settings: Any) -> None:
    """With DEBUG on, the 500 page shows the exception: the checks above would see it."""
    settings.DEBUG = True
    p = dosed(world)
    response = client_of(world, Role.INVESTIGATOR).get(f"/sweep-raise/{p.pk}/")
    assert response.status_code == 500
    found = problems(response, world, p)
    assert any("Traceback" in f or "RuntimeError" in f for f in found)
    assert any(f.startswith("arm label") for f in found)


HUGE = 2**70  # no database integer holds it


def test_an_id_beyond_64_bits_is_a_400_not_a_server_error(world: World) -> None:
    """Found by the API fuzzer (`?participant=1179664868207539519488`): SQLite raises
    OverflowError, PostgreSQL a DataError; both are the request's fault."""
    code = world.study.code
    # A page: Django's exact lookups answer "no such row" for such an id, so no participant
    # of this user's: refused, without details.
    page = client_of(world, Role.INVESTIGATOR).get(f"/s/{code}/participants/{HUGE}/timeline/")
    assert page.status_code in (403, 404)
    assert problems(page, world) == []

    token = issue_token(world.people[Role.DATA_MANAGER], "huge")
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
    for listing in ("queries", "records"):
        response = api.get(f"/api/quality/{code}/{listing}?participant={HUGE}")
        assert response.status_code == 400, listing
        assert "participant" in response.json()["field_errors"], listing
    # In a path, the same id finds no participant of this user's: refused like any other.
    response = api.get(f"/api/forms/{code}/participants/{HUGE}/craving/m01/1")
    assert response.status_code in (403, 404)


def test_a_value_the_database_cannot_hold_is_a_400_wherever_it_is_found(
    world: World, monkeypatch: Any
) -> None:
    """The API's last guard: an OverflowError (SQLite) or a DataError (PostgreSQL) raised by a
    query is answered 400 with what was expected, not as a server error."""
    from django.db.utils import DataError as DatabaseDataError

    import psytrial.web.quality.api.queries as queries

    token = issue_token(world.people[Role.DATA_MANAGER], "overflow")
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
    for error in (OverflowError("Python int too large to convert to SQLite INTEGER"),
                  DatabaseDataError("integer out of range")):
        def fail(*_: Any, error: Exception = error, **__: Any) -> Any:
            raise error

        monkeypatch.setattr(queries.readouts, "visible_queries", fail)
        response = api.get(f"/api/quality/{world.study.code}/queries")
        assert response.status_code == 400, type(error).__name__
        assert "whole numbers below 2**63" in response.json()["detail"]
        assert "SQLite" not in response.content.decode()
