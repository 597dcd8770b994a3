"""Security settings as deployed: lockout, idle sessions, CSRF, passwords, headers, --deploy.

Settings are read from the environment when Django starts, so what depends on an environment
variable (PSYTRIAL_HTTPS, PSYTRIAL_SESSION_MINUTES, PSYTRIAL_LOCKOUT_FAILURES) is checked in a
subprocess started with that variable, the way a deployment starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone

from psytrial.core.roles import Role
from psytrial.web.accounts.actions import issue_token
from psytrial.web.audit import trail
from psytrial.web.permissions import ActionRefused
from psytrial.web.trial.actions import create_user, grant_role
from tests.web.hardening_world import World, build_world, sim_clock_fixture  # noqa: F401
from tests.web.personas import PASSWORD, Personas
from tests.web.url_sweep import cases, url_patterns

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Persona logins need no slow hashing here (the policy still checks passwords)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(people: Personas, sim_clock: Any) -> World:
    return build_world(people, sim_clock)


def log_in(client: Client, username: str, password: str) -> int:
    return client.post(LOGIN, {"username": username, "password": password}).status_code


def logged_in(client: Client) -> bool:
    return client.get("/").status_code == 200


def run_django(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh Python with psytrial's settings and the given environment."""
    return run_python(["-c", code], tmp_path, **env)


def run_python(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `python ARGS` with psytrial's settings and the given environment."""
    full = {
        **os.environ,
        "PSYTRIAL_HOME": str(tmp_path / "home"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "psytrial.web.settings",
        **env,
    }
    full.pop("PSYTRIAL_DEBUG", None)
    return subprocess.run(
        [sys.executable, *args],
        env=full,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


# ---- lockout -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_locks_an_account_out_after_five_failed_logins(people: Personas) -> None:
    name = people[Role.MONITOR].get_username()
    client = Client()
    assert [log_in(client, name, "wrong password 1") for _ in range(4)] == [200] * 4
    assert log_in(client, name, "wrong password 1") == 429
    assert log_in(client, name, PASSWORD) == 429
    assert not logged_in(client)


@pytest.mark.django_db
def test_it_locks_the_account_not_the_address(people: Personas) -> None:
    """Colleagues behind the clinic's one IP address can still log in."""
    attacked = people[Role.MONITOR].get_username()
    for _ in range(5):
        log_in(Client(), attacked, "wrong password 1")
    colleague = Client()
    assert log_in(colleague, people[Role.INVESTIGATOR].get_username(), PASSWORD) == 302
    assert logged_in(colleague)


@pytest.mark.django_db
def test_it_forgets_failures_after_a_successful_login(people: Personas) -> None:
    name = people[Role.MONITOR].get_username()
    for _ in range(4):
        log_in(Client(), name, "wrong password 1")
    assert log_in(Client(), name, PASSWORD) == 302
    for _ in range(4):
        log_in(Client(), name, "wrong password 1")
    client = Client()
    assert log_in(client, name, PASSWORD) == 302
    assert logged_in(client)


@pytest.mark.django_db
def test_it_locks_out_after_the_configured_number_of_failures(
    people: Personas, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    name = people[Role.MONITOR].get_username()
    assert [log_in(Client(), name, "wrong password 1") for _ in range(2)] == [200, 429]
    assert log_in(Client(), name, PASSWORD) == 429


def test_it_reads_lockout_and_session_limits_from_the_environment(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, s.SESSION_COOKIE_AGE, s.SESSION_SAVE_EVERY_REQUEST)"
    )
    default = run_django(code, tmp_path)
    assert default.stdout.split() == ["5", "1800", "True"], default.stderr
    chosen = run_django(code, tmp_path, PSYTRIAL_LOCKOUT_FAILURES="3", PSYTRIAL_SESSION_MINUTES="7")
    assert chosen.stdout.split() == ["3", "420", "True"], chosen.stderr


def test_it_binds_and_prepares_statements_on_postgresql(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['OPTIONS'].get('server_side_binding'), "
        "d['OPTIONS'].get('prepare_threshold'), d['OPTIONS'].get('sslmode'))"
    )
    plain = run_django(code, tmp_path, DATABASE_URL="postgres://u@db.example:5432/trial")
    assert plain.stdout.split() == ["django.db.backends.postgresql", "True", "2", "None"], (
        plain.stderr
    )
    # Options the operator puts in the address are kept, and win.
    own = run_django(
        code, tmp_path, DATABASE_URL="postgres://u@db.example/trial?sslmode=require"
    )
    assert own.stdout.split()[1:] == ["True", "2", "require"], own.stderr
    sqlite = run_django(code, tmp_path)
    assert sqlite.stdout.split()[1:3] == ["None", "None"], sqlite.stderr
    off = run_django(
        code, tmp_path, DATABASE_URL="postgres://u@db.example/trial", PSYTRIAL_PG_PREPARE="0"
    )
    assert off.stdout.split()[1:3] == ["True", "None"], off.stderr


def test_it_refuses_a_bad_limit_in_one_line(tmp_path: Path) -> None:
    bad = run_django("import django; django.setup()", tmp_path, PSYTRIAL_LOCKOUT_FAILURES="0")
    assert bad.returncode != 0
    last = bad.stderr.strip().splitlines()[-1]
    assert "PSYTRIAL_LOCKOUT_FAILURES: expected a whole number of at least 1, got 0" in last


# ---- idle sessions -------------------------------------------------------------------------


def _session(client: Client) -> Any:
    return Session.objects.get(session_key=client.session.session_key)


@pytest.mark.django_db
def test_it_ends_a_session_left_idle_past_its_expiry(people: Personas) -> None:
    client = Client()
    client.force_login(people[Role.MONITOR])
    assert logged_in(client)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, f"{LOGIN}?next=/")


@pytest.mark.django_db
def test_it_restarts_the_idle_clock_on_every_request(people: Personas, settings: Any) -> None:
    client = Client()
    client.force_login(people[Role.MONITOR])
    soon = timezone.now() + timedelta(minutes=1)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=soon)
    assert logged_in(client)
    left = _session(client).expire_date - timezone.now()
    assert timedelta(minutes=29) < left <= timedelta(seconds=settings.SESSION_COOKIE_AGE)


@pytest.mark.django_db
def test_it_ends_the_session_when_the_browser_closes(people: Personas) -> None:
    client = Client()
    log_in(client, people[Role.MONITOR].get_username(), PASSWORD)
    cookie = client.cookies["sessionid"]
    assert (cookie["expires"], cookie["max-age"], bool(cookie["httponly"])) == ("", "", True)


# ---- CSRF ----------------------------------------------------------------------------------


def everyone(people: Personas) -> Any:
    """A user holding every role, so no POST is refused for want of a role."""
    user = create_user(f"all_roles_{people.study.code}", PASSWORD)
    for role in Role:
        grant_role(user, people.study, role)
    return user


@pytest.mark.django_db
def test_it_refuses_every_page_post_without_a_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(everyone(world.people))
    before = trail.head()
    answered = {
        case.url: client.post(case.url, {"reason": "x", "text": "x"}).status_code
        for pattern in url_patterns()
        if not pattern.is_api
        for case in cases(world, pattern)
    }
    assert len(answered) > 40
    assert {url: s for url, s in answered.items() if s != 403} == {}
    assert trail.head() == before


@pytest.mark.django_db
def test_it_accepts_a_page_post_with_the_csrf_token(people: Personas) -> None:
    """The control for the test above: the same client, with a token, is let through."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(people[Role.MONITOR])
    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    url = f"/s/{people.study.code}/notifications/read/"
    assert client.post(url).status_code == 403
    assert client.post(url, HTTP_X_CSRFTOKEN=token).status_code == 302


@pytest.mark.django_db
def test_it_refuses_a_login_post_without_a_csrf_token(people: Personas) -> None:
    client = Client(enforce_csrf_checks=True)
    assert log_in(client, people[Role.MONITOR].get_username(), PASSWORD) == 403
    assert not logged_in(client)


@pytest.mark.django_db
def test_it_refuses_every_api_write_that_carries_only_a_session_cookie(world: World) -> None:
    """The API is exempt from CSRF because a cookie never authenticates there: a forged
    cross-site request, which can carry only cookies, is refused before any action."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(everyone(world.people))
    before = trail.head()
    answered = {
        (method, case.url): getattr(client, method)(
            case.url, {}, content_type="application/json"
        ).status_code
        for pattern in url_patterns()
        if pattern.is_api and pattern.name not in ("api:openapi-json", "api:openapi-view")
        for case in cases(world, pattern)
        for method in ("post", "put", "patch", "delete")
    }
    # 401 no token; 405 wrong method; the API root is a plain page: 404, or 403 for CSRF.
    assert {k: s for k, s in answered.items() if s not in (401, 403, 404, 405)} == {}
    assert sum(s == 401 for s in answered.values()) > 20
    assert trail.head() == before


# ---- passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("Tr0ub4dor&3x", None),  # 12 characters: the shortest accepted
        ("Tr0ub4dor&3", "at least 12 characters"),
        ("qwerty123456", "too common"),
        ("1qaz2wsx3edc", "too common"),
        ("startfinding", "too common"),
        ("80315577201946", "entirely numeric"),
        ("nurse.ratched.ward7", "too similar"),
    ],
)
def test_it_applies_the_password_policy(password: str, complaint: str | None) -> None:
    from django.contrib.auth.models import User

    user = User(username="nurse.ratched.ward7", first_name="Ratched")
    try:
        validate_password(password, user)
        problems = ""
    except ValidationError as exc:
        problems = " ".join(exc.messages)
    assert (complaint or "") in problems
    assert bool(problems) == (complaint is not None)


@pytest.mark.django_db
def test_it_refuses_a_weak_password_when_creating_a_login() -> None:
    with pytest.raises(ActionRefused, match="at least 12 characters"):
        create_user("nurse", "short1!")


@pytest.mark.django_db
def test_it_refuses_a_weak_password_on_the_change_page(people: Personas) -> None:
    user = people[Role.MONITOR]
    client = Client()
    client.force_login(user)
    weak = "qwerty123456"
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200
    assert b"too common" in response.content
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# ---- security headers ----------------------------------------------------------------------

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def header_problems(response: Any, what: str) -> list[str]:
    problems = [
        f"{what}: {name} is {response.headers.get(name)!r}, expected {value!r}"
        for name, value in HEADERS.items()
        if response.headers.get(name) != value
    ]
    csp = response.headers.get("Content-Security-Policy", "")
    for needed in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"):
        if needed not in csp:
            problems.append(f"{what}: Content-Security-Policy lacks {needed!r}: {csp!r}")
    return problems


@pytest.mark.django_db
def test_it_sends_the_security_headers_on_every_response(world: World) -> None:
    people = world.people
    member = Client(raise_request_exception=False)
    member.force_login(people[Role.INVESTIGATOR])
    token = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people[Role.INVESTIGATOR], 'h')}"}
    anonymous = Client(raise_request_exception=False)
    responses: list[tuple[str, Any]] = []
    for pattern in url_patterns():
        if pattern.name == "api:openapi-json":
            continue  # costly to build; the docs page stands for it
        for case in cases(world, pattern)[:1]:
            extra = token if pattern.is_api else {}
            responses.append((f"GET {case.url} (member)", member.get(case.url, **extra)))
            responses.append((f"GET {case.url} (anonymous)", anonymous.get(case.url)))
    for path in ("/static/psytrial/site.css", "/static/psytrial/htmx.min.js", "/no/such/page"):
        responses.append((f"GET {path}", anonymous.get(path)))
    for _ in range(5):
        locked = Client().post(LOGIN, {"username": "someone", "password": "wrong password 1"})
    responses.append(("locked-out log-in", locked))
    forged = Client(enforce_csrf_checks=True).post(LOGIN, {})
    responses.append(("log-in without CSRF token", forged))
    statuses = {r.status_code for _, r in responses}
    assert {200, 302, 401, 403, 404, 405, 429} <= statuses
    problems = [p for what, r in responses for p in header_problems(r, what)]
    assert problems == []


@pytest.mark.django_db
def test_it_sends_no_hsts_without_https(client: Client) -> None:
    response = client.get("/healthz")
    assert "Strict-Transport-Security" not in response.headers


HTTPS_PROBE = """
import json, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from psytrial.web.trial.actions import create_user
create_user("nurse", "correct horse battery staple 42")
client = Client()
plain = client.get("/healthz")
page = client.get("/accounts/login/", secure=True)
login = client.post("/accounts/login/", {"username": "nurse",
                    "password": "correct horse battery staple 42"}, secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "hsts": page.headers.get("Strict-Transport-Security"),
    "login": login.status_code,
    "cookies": {name: [bool(m["secure"]), bool(m["httponly"]), m["samesite"]]
                for name, m in client.cookies.items()},
}))
"""


def test_it_sends_hsts_and_secure_cookies_behind_https(tmp_path: Path) -> None:
    done = run_django(
        HTTPS_PROBE, tmp_path, PSYTRIAL_HTTPS="1", PSYTRIAL_ALLOWED_HOSTS="testserver"
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://testserver/healthz"]
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["login"] == 302
    assert seen["cookies"] == {
        "csrftoken": [True, False, "Lax"],  # Django's default; the token is in the page anyway
        "sessionid": [True, True, "Lax"],
    }


def test_it_passes_the_deployment_checklist_with_https_on(tmp_path: Path) -> None:
    done = run_python(
        ["-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        PSYTRIAL_HTTPS="1",
        PSYTRIAL_DEBUG="0",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
