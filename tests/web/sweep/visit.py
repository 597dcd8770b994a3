"""Requesting every surface of the tables as every blinded role, in one world.

    Visitor(world)                   a logged-in client and an API token per blinded role
    sweep(visitor, phase)            GET (phase "get") or POST with an empty body ("post")
                                     every target of every surface, as every blinded role ->
                                     list[Seen]
    special_surfaces(visitor)        error pages and the notifications, as Seen rows too

A Seen row keeps the observation normalized for the mirror comparison (`text`) and the
findings of `leaks.find` on the raw body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.test import Client, TestCase, override_settings
from django.urls import reverse

from psytrial.core.roles import Role
from psytrial.web.accounts.actions import issue_token
from psytrial.web.trial.models import Notification, Participant
from tests.web.sweep import leaks
from tests.web.sweep.factory import World
from tests.web.sweep.normalize import Observation, mirror_normal, observe, pair_normal
from tests.web.sweep.surfaces import API, API_ROUTES, BLINDED, PAGES, Surface, Target


@dataclass(frozen=True)
class Seen:
    surface: str
    method: str
    key: str  # the target's key (the same for the two participants of a pair)
    url: str
    role: Role
    subject: int | None
    status: int
    text: str  # mirror-normalized
    pair_text: str  # pair-normalized (only for a target about one participant)
    findings: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.method} {self.url} as {self.role.value}"


@dataclass
class Visitor:
    world: World
    roles: dict[str, Role] = field(default_factory=lambda: dict(BLINDED))
    clients: dict[Role, Client] = field(default_factory=dict)
    tokens: dict[Role, str] = field(default_factory=dict)
    requests: int = 0

    def __post_init__(self) -> None:
        for role in self.roles.values():
            user = self.world.people[role]
            client = Client(raise_request_exception=False)
            client.force_login(user)
            self.clients[role] = client
            self.tokens[role] = issue_token(user, "blinding sweep")

    def user(self, role: Role) -> Any:
        return self.world.people[role]

    def call(self, role: Role, method: str, url: str, api: bool, follow: bool = False) -> Any:
        """One request; POSTs run their on-commit work (notifications) as a commit would."""
        client = self.clients[role]
        extra: dict[str, Any] = {}
        if api:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.tokens[role]}"
        self.requests += 1
        if method == "GET":
            return client.get(url, **extra)
        with TestCase.captureOnCommitCallbacks(execute=True):
            if api:
                return client.generic(method, url, "{}", "application/json", **extra)
            return client.post(url, {}, follow=follow, **extra)

    def seen(
        self,
        surface: str,
        method: str,
        target: Target,
        url: str,
        role: Role,
        response: Any,
    ) -> Seen:
        observation = observe(response)
        if getattr(response, "redirect_chain", None):
            chain = " -> ".join(f"{code} {to}" for to, code in response.redirect_chain)
            observation = Observation(
                observation.status,
                observation.content_type,
                observation.disposition,
                chain,
                observation.body,
            )
        return make_seen(self.world, surface, method, target, url, role, observation)


def make_seen(
    world: World,
    surface: str,
    method: str,
    target: Target,
    url: str,
    role: Role,
    observation: Observation,
) -> Seen:
    text = observation.as_text()
    subject = world.participant(target.subject) if target.subject is not None else None
    return Seen(
        surface,
        method,
        target.key,
        url,
        role,
        target.subject,
        observation.status,
        mirror_normal(text, world),
        pair_normal(text, world, subject) if subject is not None else "",
        tuple(
            leaks.find(observation.body, observation.content_type, world, role, url)
            + leaks.find(text.split("\n", 1)[0], "text/plain", world, role, url)
        ),
    )


def page_url(name: str, target: Target) -> str:
    return reverse(name, kwargs=target.params) + target.query


def api_url(operation: str, target: Target) -> str:
    return operation.split(" ", 1)[1].format(**target.params) + target.query


def surfaces() -> Iterator[tuple[str, str, Surface, bool]]:
    """(table key, method, surface, is_api) of every row of the tables."""
    for name, surface in {**PAGES, **API_ROUTES}.items():
        yield name, "", surface, name.startswith("api:")
    for operation, surface in API.items():
        yield operation, operation.split(" ", 1)[0], surface, True


def sweep(visitor: Visitor, phase: str) -> list[Seen]:
    """Every target of every surface as every blinded role: GETs, or POSTs of nothing."""
    found: list[Seen] = []
    for key, method, surface, api in surfaces():
        wanted = surface.get if phase == "get" else surface.post
        if not wanted or (method and (method == "GET") != (phase == "get")):
            continue
        verb = method or ("GET" if phase == "get" else "POST")
        targets = surface.fill if phase == "get" else surface.post_targets
        for target in targets(visitor.world):
            url = api_url(key, target) if method else page_url(key, target)
            for role in visitor.roles.values():
                response = visitor.call(role, verb, url, api, follow=not api)
                found.append(visitor.seen(key, verb, target, url, role, response))
    return found


# ---- surfaces outside the URL tables: error pages and notifications ---------------------

ERROR_URLS = {
    "404 unknown page of a participant": "/s/{code}/participants/{pk}/no-such-page/",
    "404 unknown instrument": "/s/{code}/participants/{pk}/forms/no_such_form/session/1/",
    "404 unknown visit": "/s/{code}/participants/{pk}/forms/followup/m99/1/",
    "404 unknown study": "/s/no-such-study/participants/{pk}/",
    "404 API unknown instrument": "/api/forms/{code}/participants/{pk}/no_such_form/session/1",
    "400 API bad parameter": "/api/pharmacy/{code}/participants/{pk}/preview?weight_kg=heavy",
    "500 a view that raises with the arm in its message": "/sweep-raise/{pk}/",
}


def error_pages(visitor: Visitor) -> list[Seen]:
    """Error answers about each participant, as each blinded role (DEBUG off)."""
    found = []
    world = visitor.world
    chosen = [world.singles["ready"], *world.pairs["randomized"], *world.pairs["dosed"]]
    with override_settings(DEBUG=False, ROOT_URLCONF="tests.web.sweep.error_urls"):
        for p in chosen:
            target = Target(_key(world, p), {"code": world.study.code, "pk": p.pk}, p.pk)
            for name, template in ERROR_URLS.items():
                url = template.format(**target.params)
                for role in visitor.roles.values():
                    response = visitor.call(role, "GET", url, url.startswith("/api/"))
                    found.append(visitor.seen(name, "GET", target, url, role, response))
            found += _csrf_and_host(visitor, target)
    return found


def _csrf_and_host(visitor: Visitor, target: Target) -> list[Seen]:
    """A POST without a CSRF token (403) and a request for another host (400)."""
    found = []
    url = reverse("visits:withdrawal", kwargs=target.params)
    for role in visitor.roles.values():
        strict = Client(enforce_csrf_checks=True, raise_request_exception=False)
        strict.force_login(visitor.user(role))
        visitor.requests += 2
        found.append(
            visitor.seen("403 CSRF failure", "POST", target, url, role, strict.post(url, {}))
        )
        response = visitor.clients[role].get(url, HTTP_HOST="attacker.example")
        found.append(visitor.seen("400 bad host", "GET", target, url, role, response))
    return found


def _key(world: World, p: Participant) -> str:
    for stage, pair in world.pairs.items():
        if p in pair:
            return stage
    return next(name for name, q in world.singles.items() if q.pk == p.pk)


def notifications(visitor: Visitor) -> list[Seen]:
    """Every notification the flow sent to a blinded user (text and link), as one row each."""
    found = []
    users = {visitor.user(role).pk: role for role in visitor.roles.values()}
    rows = Notification.objects.filter(user__in=list(users)).order_by("pk")
    for n in rows:
        body = json.dumps({"text": n.text, "url": n.url, "at": n.created_at.isoformat()})
        observation = Observation(200, "application/json", "", "", body)
        target = Target(str(n.pk), {})
        found.append(
            make_seen(
                visitor.world,
                "notification",
                "-",
                target,
                f"notification {n.pk}",
                users[n.user_id],
                observation,
            )
        )
    return found


def pair_differences(world: World, seen: list[Seen]) -> list[str]:
    """Targets about the two participants of a pair must answer alike (ids and codes aside)."""
    stage_of = {p.pk: stage for stage, pair in world.pairs.items() for p in pair}
    groups: dict[tuple[str, str, str, Role, str], list[Seen]] = {}
    for s in seen:
        if s.subject in stage_of:
            key = (s.surface, s.method, s.key, s.role, stage_of[s.subject])
            groups.setdefault(key, []).append(s)
    problems = []
    for (surface, _, key, role, stage), rows in groups.items():
        if len(rows) == 2 and rows[0].pair_text != rows[1].pair_text:
            problems.append(
                f"{surface} [{key}] as {role.value}, stage {stage}: the two arms differ: "
                f"{rows[0].url} vs {rows[1].url}: "
                + first_difference(rows[0].pair_text, rows[1].pair_text)
            )
    return sorted(problems)


def first_difference(a: str, b: str, context: int = 60) -> str:
    i = next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"at {i}: {a[max(0, i - context) : i + context]!r} | {b[max(0, i - context) : i + context]!r}"
