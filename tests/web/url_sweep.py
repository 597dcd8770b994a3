"""Every URL of the project, with its path parameters filled from a `World` (no tests here).

    url_patterns()        every pattern from the resolver, recursively (API included), with its
                          namespaced name and full route
    cases(world, p)       the URLs to request for pattern p: participant parameters filled with
                          a participant of EACH arm; form entries with a few instruments
                          (ordinary, arm-revealing, unscheduled) and blinding-guess variants

A parameter nobody knows how to fill fails loudly, so a new page cannot slip past the sweeps
(the permission matrix, CSRF, security headers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tests.web.hardening_world import World

# ---- filling path parameters with real objects -------------------------------------------

# What each path parameter names, by default; `KIND_BY_URL` overrides it for one URL.
PARAM_KIND: dict[str, str] = {
    "code": "study",
    "pk": "participant",
    "pid": "participant",
    "prep_id": "preparation",
    "event_id": "grant",
    "grant_id": "grant",
    "record_id": "adverse_event",
    "visit_id": "visit",
    "query_id": "query",
}
KIND_BY_URL: dict[str, dict[str, str]] = {
    "quality:query": {"pk": "query"},
    "quality:answer": {"pk": "query"},
    "quality:close": {"pk": "query"},
    "quality:reopen": {"pk": "query"},
    "quality:form": {"pk": "form"},
    "quality:raise": {"pk": "form"},
    "quality:sign": {"pk": "form"},
    "quality:lock_form": {"pk": "form"},
    "exports:instrument": {"instrument_id": "export_instrument"},
    "api:instrument_csv": {"instrument_id": "export_instrument"},
    "api:sign": {"record_id": "form"},
    "api:lock_record": {"record_id": "form"},
}

# Query parameters a GET needs to reach its permission check.
QUERY_BY_URL: dict[str, str] = {"api:preview": "?weight_kg=70"}

# A form entry is addressed by instrument, visit, occurrence (and variant): one case each.
FORM_PARAMS = {"instrument_id", "visit"}
FORM_CASES: dict[str, dict[str, Any]] = {
    "followup": {"instrument_id": "followup", "visit": "m01", "occurrence": 1},
    "vitals": {"instrument_id": "vitals", "visit": "session", "occurrence": 1},
    "adverse_event": {"instrument_id": "adverse_event", "visit": "-", "occurrence": 1},
}
VARIANT_CASES: dict[str, dict[str, Any]] = {
    "guess_participant": {
        "instrument_id": "blinding_guess",
        "visit": "integration1",
        "occurrence": 1,
        "variant": "participant",
    },
    "guess_rater": {
        "instrument_id": "blinding_guess",
        "visit": "integration1",
        "occurrence": 1,
        "variant": "rater",
    },
}
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Pattern:
    name: str
    route: str

    @property
    def params(self) -> list[str]:
        return [m.group("name") for m in PARAMETER.finditer(self.route)]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")


@dataclass(frozen=True)
class Case:
    key: str  # the row of EXPECTED
    url: str
    label: str  # for messages: which objects filled it


def url_patterns() -> list[Pattern]:
    """Every URL pattern of the project, with its namespaced name and full route."""

    def walk(patterns: list[Any], prefix: str, spaces: tuple[str, ...]) -> Iterator[Pattern]:
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = spaces + ((p.namespace,) if p.namespace else ())
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                yield Pattern(":".join((*spaces, p.name or "?")), prefix + str(p.pattern))

    seen: dict[str, Pattern] = {}
    for pattern in walk(get_resolver().url_patterns, "", ()):
        # Django Ninja adds one pattern per operation on a path; the first one answers.
        seen.setdefault(pattern.route, pattern)
    return list(seen.values())


def object_values(world: World, kind: str) -> list[tuple[str, Any]]:
    """(label, value) choices of one kind of object; participants: one in each arm."""
    if kind == "study":
        return [("", world.people.study.code)]
    if kind == "participant":
        return [("high arm", world.high.pk), ("low arm", world.low.pk)]
    if kind == "preparation":
        return [
            ("high arm", world.preparations["high"].pk),
            ("low arm", world.preparations["low"].pk),
        ]
    if kind == "form":
        return [("high arm", world.followup.pk), ("low arm", world.followup_low.pk)]
    single = {
        "grant": world.grant.pk,
        "adverse_event": world.adverse.pk,
        "visit": "m01",
        "query": world.query.pk,
        "export_instrument": "followup",
    }
    if kind not in single:
        raise KeyError(kind)
    return [("", single[kind])]


def cases(world: World, pattern: Pattern) -> list[Case]:
    """The URLs to request for one pattern (fails on a parameter nobody knows how to fill)."""
    params = pattern.params
    kinds = {**PARAM_KIND, **KIND_BY_URL.get(pattern.name, {})}
    if set(params) >= FORM_PARAMS:
        specials = VARIANT_CASES if "variant" in params else FORM_CASES
    else:
        specials = {"": {}}
    filled_by_case = FORM_PARAMS | {"occurrence", "variant"}
    unknown = [p for p in params if p not in kinds and p not in filled_by_case]
    assert not unknown, (
        f"{pattern.name} ({pattern.route}): no filler for {unknown}; "
        "add it to PARAM_KIND or KIND_BY_URL"
    )
    found: list[Case] = []
    for special_label, special in specials.items():
        choices: list[tuple[str, dict[str, Any]]] = [
            ("", {k: v for k, v in special.items() if k in params})
        ]
        for param in params:
            if param in special:
                continue
            choices = [
                (" ".join(filter(None, (label, value_label))), {**values, param: value})
                for label, values in choices
                for value_label, value in object_values(world, kinds[param])
            ]
        key = f"{pattern.name} [{special_label}]" if special_label else pattern.name
        for label, values in choices:
            url = "/" + PARAMETER.sub(lambda m, v=values: str(v[m.group("name")]), pattern.route)
            url += QUERY_BY_URL.get(pattern.name, "")
            found.append(Case(key, url, label))
    return found
