"""API fuzzing: schemathesis against the OpenAPI schema, through Django's WSGI handler.

The world of the blinding sweep (tests/web/sweep/factory.py: participants at every stage,
forms of every instrument, queries, preparations, an emergency unblinding) gives the fuzzer
real objects to aim at. For every operation of GET /api/openapi.json, and for a token of a
blinded role (the investigator, who has the most write actions) and of an unblinded one (the
pharmacist), schemathesis generates requests (hypothesis, derandomized, so every run sends the
same cases): valid requests with the path parameters pinned to real objects, valid requests
with any path parameters, and invalid requests (negative mode). Each response must not be a
server error and must conform to the schema: a documented status code, content type, headers
and body.

The app is called through a WSGI wrapper around Django's test ClientHandler, so it runs in
the test's transaction (a plain WSGIHandler would close the test database's connection).

Nonconformances found in files this test does not own are listed in KNOWN, each with a
strict xfail test below that reproduces it: when it is fixed, that test XPASSes (and fails),
and its row must go. None is listed now: the three found (two routers' schema classes of one
name, statuses an operation answers but does not document, the undocumented 401 of a request
without a token) are fixed, and their tests below guard them.

    .venv/bin/python -m pytest tests/web/test_api_fuzz.py -q
    PSYTRIAL_FUZZ_OUT=/tmp/fuzz.txt ... writes every failure (operation, check, request, body)
"""

from __future__ import annotations

import os
import typing
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.test import Client
from django.test.client import ClientHandler
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from pydantic import BaseModel
from schemathesis import checks as sc
from schemathesis.generation import GenerationMode

from psytrial.core.roles import Role
from psytrial.web.accounts.actions import issue_token
from psytrial.web.api import api
from tests.web.sweep.factory import World, built

pytestmark = pytest.mark.django_db

# Cases per operation and token: valid with real path parameters, valid with any, invalid.
PINNED, FREE, NEGATIVE = 10, 5, 5
CHECKS = [
    sc.not_a_server_error,
    sc.status_code_conformance,
    sc.content_type_conformance,
    sc.response_headers_conformance,
    sc.response_schema_conformance,
]
ROLES = {"blinded": Role.INVESTIGATOR, "unblinded": Role.PHARMACIST}

# The token goes on every request: negative cases must not drop it (401s are tested apart).
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})

# Nonconformances found and reported: (operation or "*", check, status) -> the strict xfail
# test below that reproduces it. A row that no longer matches anything fails the fuzz test.
KNOWN: dict[tuple[str, str, int], str] = {}


def known(operation: str, check: str, status: int) -> tuple[str, str, int] | None:
    for row in ((operation, check, status), ("*", check, status)):
        if row in KNOWN:
            return row
    return None


def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Django as a WSGI app that keeps the test's database connection open."""
    response = HANDLER(environ)
    headers = list(response.items())
    headers += [("Set-Cookie", c.output(header="").strip()) for c in response.cookies.values()]
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    return [response.content] if not response.streaming else response.streaming_content


HANDLER = ClientHandler(enforce_csrf_checks=False)


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def quiet_request_log() -> Any:
    """Refusals are expected by the thousand; server errors are counted, not logged."""
    import logging

    logger = logging.getLogger("django.request")
    level, logger.level = logger.level, logging.CRITICAL
    yield
    logger.setLevel(level)


def pinned_parameters(world: World) -> dict[str, Any]:
    """Real objects for every path parameter name of the schema."""
    dosed = world.pairs["dosed"][0]
    hrs = world.record(dosed, "hrs", "session")
    return {
        "code": world.study.code,
        "pid": dosed.pk,
        "pk": dosed.pk,
        "prep_id": world.preparations[world.pairs["awaiting_check"][0].pk].pk,
        "grant_id": next(iter(world.grants.values())).pk,
        "query_id": world.queries[0].pk,
        "record_id": world.record(dosed, "adverse_event", "").pk,
        "instrument_id": "followup",
        "visit": "m01",
        "visit_id": "m03",
        "occurrence": 1,
        "_hrs": hrs.pk,
    }


class Fuzz:
    def __init__(self) -> None:
        self.cases = 0
        self.by_operation: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.failures: list[tuple[str, str, int, str]] = []  # operation, check, status, detail
        self.unsatisfiable: list[str] = []

    def run(self, operation: Any, strategy: Any, headers: dict[str, str], n: int) -> None:
        @settings(
            max_examples=n,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def one(case: Any) -> None:
            self.cases += 1
            self.by_operation[operation.label] += 1
            response = case.call(headers=headers)
            self.statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except BaseExceptionGroup as exc:  # schemathesis' FailureGroup: one per check
                for failure in getattr(exc, "exceptions", [exc]):
                    check = getattr(failure, "title", type(failure).__name__)
                    detail = (
                        f"{case.method} {case.formatted_path} query={case.query} "
                        f"body={str(case.body)[:200]} -> {response.status_code} "
                        f"{response.text[:300]!r}: {str(failure)[:1500]}"
                    )
                    self.failures.append((operation.label, check, response.status_code, detail))

        try:
            one()
        except Unsatisfiable:  # nothing to vary (no parameters), or nothing to make invalid
            self.unsatisfiable.append(operation.label)


def fuzz(world: World) -> Fuzz:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi, config=CONFIG)
    pinned = pinned_parameters(world)
    result = Fuzz()
    for role in ROLES.values():
        headers = {"Authorization": f"Bearer {issue_token(world.people[role], 'fuzz')}"}
        for operation in (r.ok() for r in schema.get_all_operations()):
            names = [p.name for p in operation.path_parameters]
            fixed = {n: pinned[n] for n in names}
            strategies = [
                (operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed), PINNED),
                (operation.as_strategy(GenerationMode.POSITIVE), FREE),
                (operation.as_strategy(GenerationMode.NEGATIVE), NEGATIVE),
            ]
            for strategy, n in strategies:
                result.run(operation, strategy, headers, n)
    return result


def test_it_answers_every_generated_request_without_a_server_error_and_as_documented() -> None:
    with built(False) as world:
        result = fuzz(world)
    report(result)
    assert result.cases >= 1000, f"expected at least 1,000 generated cases, got {result.cases}"
    server_errors = [f for f in result.failures if f[2] >= 500]
    assert not server_errors, "\n".join(f[3] for f in server_errors[:20])
    unknown = [f for f in result.failures if known(f[0], f[1], f[2]) is None]
    assert not unknown, f"{len(unknown)} nonconforming responses:\n" + "\n".join(
        f"{op} [{check}] {detail}" for op, check, _, detail in unknown[:30]
    )
    stale = set(KNOWN) - {known(f[0], f[1], f[2]) for f in result.failures}
    assert not stale, f"KNOWN rows no longer found (remove them): {sorted(stale)}"


def report(result: Fuzz) -> None:
    out = os.environ.get("PSYTRIAL_FUZZ_OUT")
    if not out:
        return
    lines = [
        f"cases: {result.cases}; operations: {len(result.by_operation)}",
        f"statuses: {dict(sorted(result.statuses.items()))}",
        f"failures: {len(result.failures)}",
        *sorted({f"{op} [{check}] {status}" for op, check, status, _ in result.failures}),
        *[f"{op} [{check}] {detail}" for op, check, _, detail in result.failures],
    ]
    Path(out).write_text("\n".join(lines) + "\n")


def test_it_sends_the_token_the_fuzzer_uses(people: Any) -> None:
    """The fuzzer's requests are authenticated (else every case would be a 401)."""
    token = issue_token(people[Role.INVESTIGATOR], "fuzz")
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    environ_response = HANDLER(
        Client()._base_environ(PATH_INFO="/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    )
    assert environ_response.status_code == 200


# ---- nonconformances found and fixed: the tests that reproduced them now guard them -------


def schema_models() -> dict[str, set[str]]:
    """Every pydantic model of the API's requests and responses, by the name the OpenAPI
    schema gives it (the class name), with the classes that bear it."""
    found: set[type[BaseModel]] = set()

    def walk(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.add(annotation)
                for f in annotation.model_fields.values():
                    walk(f.annotation)
            return
        for inner in typing.get_args(annotation):
            walk(inner)

    for _, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in (operation.response_models or {}).values():
                    if model is not None:
                        walk(model.model_fields["response"].annotation)
                for model in getattr(operation.signature, "models", []):
                    walk(model)
    names: dict[str, set[str]] = {}
    for model in found:
        if not model.__module__.startswith("ninja"):
            names.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
    return names


def test_it_names_every_schema_of_the_api_once() -> None:
    """Django Ninja names a schema component after its class, so two classes of one name
    would overwrite each other in the schema (once the forms' and the visits' EntryOut: GET
    /api/forms/... was documented with the visits' shape)."""
    shared = {name: classes for name, classes in schema_models().items() if len(classes) > 1}
    assert shared == {}


def documented(operation: str) -> set[int]:
    method, path = operation.split(" ", 1)
    responses = api.get_openapi_schema()["paths"][path][method.lower()]["responses"]
    return {int(code) for code in responses if str(code).isdigit()}


def probes(world: World) -> list[tuple[str, str, str, str]]:
    """(operation, what, method, url) for an unknown study and a malformed number."""
    pinned = {k: v for k, v in pinned_parameters(world).items() if not k.startswith("_")}
    schema = api.get_openapi_schema()
    found = []
    for path, ops in schema["paths"].items():
        for method in ops:
            operation = f"{method.upper()} {path}"
            if "{code}" in path:
                url = path.format(**{**pinned, "code": "no-such-study"})
                found.append((operation, "unknown study", method.upper(), url))
            for name in ("pid", "pk", "prep_id", "grant_id", "query_id", "record_id"):
                if "{" + name + "}" in path:
                    url = path.format(**{**pinned, name: "twelve"})
                    found.append((operation, f"malformed {name}", method.upper(), url))
    return found


def test_it_documents_every_status_an_operation_answers() -> None:
    """404 for an unknown study or object and 400 for a malformed parameter: the API's
    handlers answer them for any operation (once undocumented in the pharmacy, unblinding,
    enrolment, randomization, forms and visits routers)."""
    with built(False) as world:
        token = issue_token(world.people[Role.INVESTIGATOR], "fuzz")
        client = Client(raise_request_exception=False)
        undocumented = []
        for operation, what, method, url in probes(world):
            response = client.generic(
                method, url, "{}", "application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
            )
            assert response.status_code < 500, (operation, what, response.status_code)
            if response.status_code not in documented(operation):
                undocumented.append(f"{operation} ({what}): {response.status_code}")
        assert undocumented == []


def test_it_documents_the_401_of_a_request_without_a_token() -> None:
    """The NinjaAPI's token auth (api.py) answers 401 for every operation, /api/me included
    (once documented by none of them)."""
    with built(False) as world:
        pinned = {k: v for k, v in pinned_parameters(world).items() if not k.startswith("_")}
        client = Client(raise_request_exception=False)
        refused, undocumented = 0, []
        for path, ops in api.get_openapi_schema()["paths"].items():
            for method in ops:
                operation = f"{method.upper()} {path}"
                response = client.generic(method.upper(), path.format(**pinned))
                if response.status_code == 401:
                    refused += 1
                    if 401 not in documented(operation):
                        undocumented.append(operation)
        assert refused > 0
        assert undocumented == []
