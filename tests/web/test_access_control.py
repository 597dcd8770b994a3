"""The permission matrix: every URL pattern, every role, the outsider and an anonymous client.

Every URL pattern is enumerated from the resolver (recursively, API included), its path
parameters filled with real objects of a study built through the action functions
(`hardening_world`): the study code, a participant in EACH arm, preparations, form records,
the emergency unblinding grant. Each persona GETs each URL and the status must equal the
cell of `EXPECTED`: 200 allowed, 302 (anonymous: to the log-in page), 401 (API without a
token), 403/404 refused, 405 for POST-only endpoints.

A URL pattern missing from `EXPECTED` fails the test, so every new page must be classified.
Both arms share one row: a status that differs between the arms would itself reveal the arm.

To see the observed matrix (to classify a new page, or after a deliberate change), run
    PSYTRIAL_MATRIX_OUT=/tmp/matrix.txt .venv/bin/python -m pytest tests/web/test_access_control.py -k table
and review every cell of /tmp/matrix.txt before pasting a row.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.accounts.actions import issue_token, revoke_token
from psytrial.web.accounts.models import ApiToken
from psytrial.web.audit.models import AuditEntry
from tests.web.hardening_world import World, build_world, sim_clock_fixture  # noqa: F401
from tests.web.url_sweep import Case, cases, url_patterns

# Columns of EXPECTED, in this order.
COLUMNS: list[str] = [r.value for r in Role] + ["outsider", "anonymous"]
HEADER = "INV  PT   SC   OR   PH   RS   TS   DM   MO   DSMB ADM  | OUT  ANON"

# fmt: off
EXPECTED: dict[str, str] = {
    # URL name [form case]                         INV  PT   SC   OR   PH   RS   TS   DM   MO   DSMB ADM  | OUT  ANON
    # the study list and a study's home page: members only
    "trial:home":                                "200  200  200  200  200  200  200  200  200  200  200  | 200  302",
    "trial:notifications_read":                  "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "trial:study":                               "200  200  200  200  200  200  200  200  200  200  200  | 403  302",
    # log-in and account pages: every logged-in user; log-out is POST only
    "accounts:login":                            "302  302  302  302  302  302  302  302  302  302  302  | 302  200",
    "accounts:logout":                           "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "accounts:password_change":                  "200  200  200  200  200  200  200  200  200  200  200  | 200  302",
    # enrolment pages
    "enrolment:list":                            "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "enrolment:participant":                     "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "enrolment:screening":                       "200  403  403  403  403  403  403  403  403  403  403  | 403  302",
    # randomization: the list is the randomization statistician's only
    "randomization:generate":                    "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "randomization:list":                        "403  403  403  403  403  200  403  403  403  403  403  | 403  302",
    "randomization:randomize":                   "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "randomization:upload":                      "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    # pharmacy (pharmacist) and administration (session clinician)
    "pharmacy:administer":                       "403  403  200  403  403  403  403  403  403  403  403  | 403  302",
    "pharmacy:check":                            "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "pharmacy:participant":                      "403  403  403  403  200  403  403  403  403  403  403  | 403  302",
    "pharmacy:prepare":                          "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "pharmacy:sessions":                         "403  403  200  403  403  403  403  403  403  403  403  | 403  302",
    "pharmacy:worklist":                         "403  403  403  403  200  403  403  403  403  403  403  | 403  302",
    # emergency unblinding: the investigator requests; monitor and DSMB read the log
    "unblinding:grant":                          "200  403  403  403  403  403  403  403  403  403  403  | 403  302",
    "unblinding:log":                            "200  403  403  403  403  403  403  403  200  200  403  | 403  302",
    "unblinding:request":                        "200  403  403  403  403  403  403  403  403  403  403  | 403  302",
    # form entry pages (form cases: an outcome-rater form, arm-revealing vitals, an unscheduled
    # adverse event, a blinding guess of the participant and of the rater)
    "forms:entry [adverse_event]":               "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "forms:entry [followup]":                    "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "forms:entry [vitals]":                      "200  200  200  403  200  403  403  200  200  200  403  | 403  302",
    "forms:entry_variant [guess_participant]":   "200  200  200  403  200  403  403  200  200  200  403  | 403  302",
    "forms:entry_variant [guess_rater]":         "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "forms:lock [adverse_event]":                "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "forms:lock [followup]":                     "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "forms:lock [vitals]":                       "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "forms:lock_variant [guess_participant]":    "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "forms:lock_variant [guess_rater]":          "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    # trial conduct: timelines, visit forms, safety (arm-revealing: not the outcome rater)
    "visits:dashboard":                          "200  200  200  200  200  200  200  200  200  200  200  | 403  302",
    "visits:entry [adverse_event]":              "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "visits:entry [followup]":                   "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "visits:entry [vitals]":                     "200  200  200  403  200  403  403  200  200  200  403  | 403  302",
    "visits:mark_missed":                        "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "visits:sae_reported":                       "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "visits:safety":                             "200  200  200  403  200  403  403  200  200  200  403  | 403  302",
    "visits:timeline":                           "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "visits:withdrawal":                         "200  403  403  403  403  403  403  403  403  403  403  | 403  302",
    "visits:worklist":                           "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    # data quality: queries, signatures, form and database lock
    "quality:answer":                            "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "quality:close":                             "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "quality:form":                              "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "quality:lock":                              "403  403  403  403  403  403  403  200  403  403  403  | 403  302",
    "quality:lock_form":                         "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "quality:participant":                       "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "quality:queries":                           "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "quality:query":                             "200  200  200  200  200  403  403  200  200  200  403  | 403  302",
    "quality:raise":                             "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "quality:reopen":                            "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    "quality:sign":                              "405  405  405  405  405  405  405  405  405  405  405  | 405  302",
    # exports: the data manager, monitor, DSMB, trial statistician (scrambled labels until lock)
    "exports:analysis":                          "403  403  403  403  403  403  200  200  403  200  403  | 403  302",
    "exports:dictionary":                        "403  403  403  403  403  403  200  200  200  200  403  | 403  302",
    "exports:index":                             "403  403  403  403  403  403  200  200  200  200  403  | 403  302",
    "exports:instrument":                        "403  403  403  403  403  403  200  200  200  200  403  | 403  302",
    # the health check: public
    "healthz":                                   "200  200  200  200  200  200  200  200  200  200  200  | 200  200",
    # the JSON API: a token per persona (no token: 401); POST-only operations answer GET with 405,
    # before authentication. The OpenAPI schema and docs are public (they hold no trial data);
    # the schema is costly to build, so only two columns are requested ("." = not requested).
    "api:administer":                            "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:analysis":                              "403  403  403  403  403  403  200  200  403  200  403  | 403  401",
    "api:answer":                                "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:api-root":                              "404  404  404  404  404  404  404  404  404  404  404  | 404  404",
    "api:arm":                                   "200  403  403  403  403  403  403  403  403  403  403  | 403  401",
    "api:check":                                 "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:close":                                 "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:commitment":                            "200  200  200  200  200  200  200  200  200  200  200  | 403  401",
    "api:dashboard":                             "200  200  200  200  200  200  200  200  200  200  200  | 403  401",
    "api:dictionary":                            "403  403  403  403  403  403  200  200  200  200  403  | 403  401",
    "api:enter [adverse_event]":                 "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:enter [followup]":                      "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:enter [vitals]":                        "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:grants":                                "200  403  403  403  403  403  403  403  200  200  403  | 403  401",
    "api:instrument_csv":                        "403  403  403  403  403  403  200  200  200  200  403  | 403  401",
    "api:instruments":                           "403  403  403  403  403  403  200  200  200  200  403  | 403  401",
    "api:kit":                                   "403  403  403  403  200  403  403  403  403  403  403  | 403  401",
    "api:lock_record":                           "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:lock_state":                            "200  200  200  200  200  200  200  200  200  200  200  | 403  401",
    "api:me":                                    "200  200  200  200  200  200  200  200  200  200  200  | 200  401",
    "api:missed":                                "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:openapi-json":                          ".    .    .    .    .    .    .    .    .    .    .    | 200  200",
    "api:openapi-view":                          "200  200  200  200  200  200  200  200  200  200  200  | 200  200",
    "api:overdue":                               "200  200  200  200  200  403  403  200  200  200  403  | 403  401",
    "api:participant_detail":                    "200  200  200  200  200  403  403  200  200  200  403  | 403  401",
    "api:participant_list":                      "200  200  200  200  200  403  403  200  200  200  403  | 403  401",
    "api:prepare":                               "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:preview":                               "403  403  403  403  200  403  403  403  403  403  403  | 403  401",
    "api:query_detail":                          "200  200  200  200  200  403  403  200  200  200  403  | 403  401",
    "api:query_list":                            "200  200  200  200  200  403  403  200  200  200  403  | 403  401",
    "api:randomize_participant":                 "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:read_entry [adverse_event]":            "200  200  200  200  200  403  403  200  200  200  403  | 403  401",
    "api:read_entry [followup]":                 "200  200  200  200  200  403  403  200  200  200  403  | 403  401",
    "api:read_entry [vitals]":                   "200  200  200  403  200  403  403  200  200  200  403  | 403  401",
    "api:record_list":                           "200  200  200  200  200  403  403  200  200  200  403  | 403  401",
    "api:reopen":                                "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:reported":                              "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:request_unblinding":                    "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:safety":                                "200  200  200  403  200  403  403  200  200  200  403  | 403  401",
    "api:session":                               "403  403  200  403  403  403  403  403  403  403  403  | 403  401",
    "api:sign":                                  "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:timeline":                              "200  200  200  200  200  403  403  200  200  200  403  | 403  401",
    "api:withdrawal":                            "405  405  405  405  405  405  405  405  405  405  405  | 405  405",
    "api:worklist":                              "200  200  200  200  200  403  403  200  200  200  403  | 403  401",
}
# fmt: on


# ---- the clients -------------------------------------------------------------------------


def clients(world: World) -> dict[str, tuple[Client, dict[str, str]]]:
    """Per column: a client (logged in for pages) and the headers for the API (a token)."""
    people = world.people
    users = {**{r.value: people[r] for r in Role}, "outsider": people.outsider}
    found: dict[str, tuple[Client, dict[str, str]]] = {}
    for column, user in users.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        found[column] = (client, {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user, 'matrix')}"})
    found["anonymous"] = (Client(raise_request_exception=False), {})
    return found


def observe(client: Client, headers: dict[str, str], case: Case, api: bool) -> str:
    response = client.get(case.url, **(headers if api else {}))
    status = str(response.status_code)
    anonymous = client.session.get("_auth_user_id") is None
    # An anonymous redirect must go to the log-in page, nowhere else.
    if status == "302" and anonymous and not response["Location"].startswith("/accounts/login/"):
        status = f"302->{response['Location']}"
    return status


def row(statuses: dict[str, str]) -> list[str]:
    return [statuses[c] for c in COLUMNS]


def expected_cells(key: str) -> dict[str, str]:
    return dict(zip(COLUMNS, expected_row(key), strict=True)) if key in EXPECTED else {}


def expected_row(key: str) -> list[str]:
    cells = EXPECTED[key].replace("|", " ").split()
    assert len(cells) == len(COLUMNS), f"{key}: expected {len(COLUMNS)} cells, got {len(cells)}"
    return cells


@pytest.fixture
def world(people: Any, sim_clock: Any) -> World:
    return build_world(people, sim_clock)


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Persona logins need no slow hashing here (the policy is tested elsewhere)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


SKIPPED = "."  # a cell not requested (see the API note in EXPECTED)


@pytest.mark.django_db
def test_it_answers_every_url_for_every_role_as_the_table_says(world: World) -> None:
    by_column = clients(world)
    observed: dict[str, dict[str, dict[str, str]]] = {}  # key -> url -> column -> status
    for pattern in url_patterns():
        for case in cases(world, pattern):
            wanted = expected_cells(case.key)
            observed.setdefault(case.key, {})[case.url] = {
                column: observe(client, headers, case, pattern.is_api)
                if wanted.get(column) != SKIPPED
                else SKIPPED
                for column, (client, headers) in by_column.items()
            }
    if os.environ.get("PSYTRIAL_MATRIX_OUT"):
        Path(os.environ["PSYTRIAL_MATRIX_OUT"]).write_text(matrix_text(observed))
    assert not mismatches(observed), "\n".join(mismatches(observed))


def mismatches(observed: dict[str, dict[str, dict[str, str]]]) -> list[str]:
    problems: list[str] = []
    unclassified = sorted(k for k in observed if k not in EXPECTED)
    if unclassified:
        problems.append("URL patterns not in EXPECTED (classify them): " + ", ".join(unclassified))
    stale = sorted(k for k in EXPECTED if k not in observed)
    if stale:
        problems.append("EXPECTED rows with no URL pattern (remove them): " + ", ".join(stale))
    for key, by_url in sorted(observed.items()):
        if key not in EXPECTED:
            continue
        for url, statuses in by_url.items():
            for column, want, got in zip(COLUMNS, expected_row(key), row(statuses), strict=True):
                if want != got:
                    problems.append(f"{key}: GET {url} as {column}: expected {want}, got {got}")
    return problems


def matrix_text(observed: dict[str, dict[str, dict[str, str]]]) -> str:
    """The observed statuses as EXPECTED rows (flagged where they differ between objects)."""
    lines = [f"    # {'URL name [form case]':26s}  {HEADER}"]
    for key, by_url in sorted(observed.items()):
        rows = {tuple(row(s)) for s in by_url.values()}
        for cells in sorted(rows):
            text = (
                " ".join(f"{c:4s}" for c in cells[:-2])
                + " | "
                + " ".join(f"{c:4s}" for c in cells[-2:])
            )
            note = "" if len(rows) == 1 else "   # DIFFERS BY ARM/OBJECT"
            lines.append(f'    "{key}":{" " * max(1, 28 - len(key))}"{text.rstrip()}",{note}')
    return "\n".join(lines) + "\n"


# ---- API tokens ----------------------------------------------------------------------------


def me(client: Client, **extra: str) -> int:
    return client.get("/api/me", **extra).status_code  # type: ignore[arg-type]


def bearer(text: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {text}"}


@pytest.mark.django_db
def test_it_stores_api_tokens_only_as_their_hash(people: Any) -> None:
    text = issue_token(people[Role.MONITOR], "laptop")
    row = ApiToken.objects.get(user=people[Role.MONITOR])
    assert row.token_hash == hashlib.sha256(text.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values_list().get(pk=row.pk)]
    audited = [json.dumps([e.old, e.new]) for e in AuditEntry.objects.all()]
    assert not [s for s in stored + audited if text in s or text[3:] in s]
    assert me(Client(), **bearer(text)) == 200


@pytest.mark.django_db
def test_it_refuses_a_revoked_token(people: Any) -> None:
    user = people[Role.MONITOR]
    text = issue_token(user, "laptop")
    assert me(Client(), **bearer(text)) == 200
    revoke_token(user, ApiToken.objects.get(user=user).pk)
    assert me(Client(), **bearer(text)) == 401


@pytest.mark.django_db
def test_it_refuses_the_token_of_a_deactivated_user(people: Any) -> None:
    user = people[Role.MONITOR]
    text = issue_token(user, "laptop")
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert me(Client(), **bearer(text)) == 401


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["token", "access_token", "api_key", "auth", "bearer"])
def test_it_refuses_a_token_in_the_query_string(people: Any, name: str) -> None:
    text = issue_token(people[Role.MONITOR], "laptop")
    assert Client().get(f"/api/me?{name}={text}").status_code == 401
    assert Client().get("/api/me", {name: f"Bearer {text}"}).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Bearer pt_not-a-token", "Token {text}", "Basic {text}", "{text}"],
)
def test_it_refuses_missing_malformed_and_unknown_tokens(people: Any, header: str) -> None:
    text = issue_token(people[Role.MONITOR], "laptop")
    assert me(Client(), HTTP_AUTHORIZATION=header.format(text=text)) == 401


@pytest.mark.django_db
def test_it_does_not_take_a_session_cookie_as_api_credentials(people: Any) -> None:
    """The API authenticates by token only, so a forged cross-site request carries nothing."""
    client = Client()
    client.force_login(people[Role.MONITOR])
    assert client.get("/").status_code == 200
    assert me(client) == 401
    code = people.study.code
    assert client.post(f"/api/enrolment/{code}/participants", {}).status_code == 401
