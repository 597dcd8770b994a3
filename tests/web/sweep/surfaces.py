"""Every surface a blinded user can request, classified by hand: the sweep's explicit tables.

    PAGES       URL pattern name (from the resolver) -> Surface
    API         "METHOD /api/path" (from the OpenAPI schema) -> Surface
    API_ROUTES  URL patterns under api/ that are not operations (schema, docs, root)

A Surface says how to fill the parameters (`fill`: which objects of the world), which blinded
roles must get a 200 for at least one target (`reach`, so the sweep cannot pass by seeing
nothing but refusals), and how to call it (GET, POST with an empty body, or both).

A pattern or operation missing from these tables fails the sweep, and so does a row that no
longer matches anything: a new page cannot slip past it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from psytrial.core.roles import Role
from tests.web.sweep.factory import STAGES, World
from tests.web.url_sweep import Pattern, url_patterns

# The roles the sweep visits as: every role the protocol keeps blind (the trial statistician
# until the database lock). Abbreviations for the `reach` column.
BLINDED: dict[str, Role] = {
    "INV": Role.INVESTIGATOR,
    "PT": Role.PSYCHOTHERAPIST,
    "SC": Role.SESSION_CLINICIAN,
    "OR": Role.OUTCOME_RATER,
    "DM": Role.DATA_MANAGER,
    "MO": Role.MONITOR,
    "ADM": Role.ADMINISTRATOR,
    "TS": Role.TRIAL_STATISTICIAN,
}
ALL = "INV PT SC OR DM MO ADM TS"
READERS = "INV PT SC OR DM MO"  # the form readers among the blinded roles


@dataclass(frozen=True)
class Target:
    """One URL to request: `key` is the same for the two participants of a pair."""

    key: str
    params: dict[str, Any]
    subject: int | None = None  # the participant the URL is about
    query: str = ""


Fill = Callable[[World], list[Target]]


@dataclass(frozen=True)
class Surface:
    fill: Fill
    reach: str = ""  # blinded roles that get 200 for at least one target (GET)
    get: bool = True
    post: bool = False  # also POST an empty body (form pages, actions, API writes)
    note: str = ""
    post_fill: Fill | None = None  # the targets to POST to, if not those of `fill`

    def post_targets(self, world: World) -> list[Target]:
        return (self.post_fill or self.fill)(world)

    @property
    def reach_roles(self) -> set[Role]:
        return {BLINDED[r] for r in self.reach.split()}


# ---- fillers -----------------------------------------------------------------------------


def nothing(world: World) -> list[Target]:
    return [Target("", {})]


def study(world: World) -> list[Target]:
    return [Target("", {"code": world.study.code})]


def participants(name: str) -> Fill:
    """Every participant (the three without an arm, and both of every stage's pair)."""

    def fill(world: World) -> list[Target]:
        return [
            Target(_stage_of(world, p.pk), {"code": world.study.code, name: p.pk}, p.pk)
            for p in world.participants()
        ]

    return fill


def _stage_of(world: World, pk: int) -> str:
    for stage, pair in world.pairs.items():
        if pk in {p.pk for p in pair}:
            return stage
    return next(name for name, p in world.singles.items() if p.pk == pk)


def _per_participant(rows: Callable[[World], dict[int, Any]], name: str) -> Fill:
    """One target per object kept by participant id (its preparation, its unblinding grant)."""

    def fill(world: World) -> list[Target]:
        return [
            Target(_stage_of(world, pk), {"code": world.study.code, name: row.pk}, pk)
            for pk, row in rows(world).items()
        ]

    return fill


def preparations(name: str) -> Fill:
    return _per_participant(lambda world: world.preparations, name)


def grants(name: str) -> Fill:
    return _per_participant(lambda world: world.grants, name)


def queries(name: str) -> Fill:
    def fill(world: World) -> list[Target]:
        return [
            Target(
                f"{q.record.instrument_id}/{q.field_id}",
                {"code": world.study.code, name: q.pk},
                q.participant_id,
            )
            for q in world.queries
        ]

    return fill


def records(name: str, instrument_id: str | None = None, sample: bool = False) -> Fill:
    """Form records by id (of one instrument, or all) of the `dosed` pair; `sample`: the first
    record of each instrument."""

    def fill(world: World) -> list[Target]:
        dosed = {p.pk for p in world.pairs["dosed"]}
        targets, seen = [], set()
        for k, r in world.records.items():
            if k[0] not in dosed or (instrument_id is not None and k[1] != instrument_id):
                continue
            if sample and (k[1] not in POST_SAMPLE or (k[0], k[1], k[3]) in seen):
                continue
            seen.add((k[0], k[1], k[3]))
            key = _entry_key(k[1], k[2], k[3], k[4])
            targets.append(Target(key, {"code": world.study.code, name: r.pk}, k[0]))
        return targets

    return fill


def _entry_key(instrument_id: str, visit: str, variant: str, occurrence: int) -> str:
    return f"{instrument_id}/{visit or '-'}/{occurrence}" + (f"/as/{variant}" if variant else "")


def entries(variants: bool, style: str = "page", sample: bool = False) -> Fill:
    """Form entry addresses of the `dosed` pair (which has every instrument) and empty forms of
    the next visits for it and the `randomized` pair; `sample`: one entry per instrument."""

    def fill(world: World) -> list[Target]:
        pairs = [p for stage in ENTRY_STAGES for p in world.pairs[stage]]
        found: dict[tuple[int, str, str, str, int], None] = dict.fromkeys(
            k for k in world.records if k[0] in {p.pk for p in world.pairs["dosed"]}
        )
        for p in pairs:
            for place in EMPTY_ENTRIES:
                found.setdefault((p.pk, *place), None)
        targets = []
        seen_instruments: set[tuple[int, str, str]] = set()
        dosed = {p.pk for p in world.pairs["dosed"]}
        for pk, instrument_id, visit, variant, occurrence in found:
            if bool(variant) != variants:
                continue
            if sample and (
                pk not in dosed
                or instrument_id not in POST_SAMPLE
                or (pk, instrument_id, variant) in seen_instruments
            ):
                continue
            seen_instruments.add((pk, instrument_id, variant))
            params = {
                "code": world.study.code,
                "pk": pk,
                "instrument_id": instrument_id,
                "visit": visit or "-",
                "occurrence": occurrence,
            }
            query = ""
            if variant and style == "page":
                params["variant"] = variant
            elif variant:
                query = f"?variant={variant}"
            key = _entry_key(instrument_id, visit, variant, occurrence)
            targets.append(Target(key, params, pk, query))
        return targets

    return fill


ENTRY_STAGES = ("randomized", "dosed")
# The instruments whose forms get the empty POSTs (`sample`): ordinary, arm-revealing,
# unscheduled, per-guesser and follow-up forms.
POST_SAMPLE = frozenset(
    {"baseline", "vitals", "hrs", "followup", "adverse_event", "blinding_guess"}
)


# Empty forms asked for every participant: the next visits' instruments, arm-revealing or not.
EMPTY_ENTRIES: list[tuple[str, str, str, int]] = [
    ("vitals", "session", "", 1),
    ("hrs", "session", "", 1),
    ("followup", "m02", "", 1),
    ("adverse_event", "", "", 1),
    ("blinding_guess", "m12", "participant", 1),
    ("blinding_guess", "m12", "rater", 1),
]


def instruments(world: World) -> list[Target]:
    return [
        Target(d.id, {"code": world.study.code, "instrument_id": d.id})
        for d in world.protocol.instruments
    ]


def missed_visits(world: World) -> list[Target]:
    return [
        Target(
            _stage_of(world, p.pk), {"code": world.study.code, "pk": p.pk, "visit_id": "m03"}, p.pk
        )
        for stage in STAGES
        for p in world.pairs[stage]
    ]


def analysis_exports(world: World) -> list[Target]:
    code = world.study.code
    return [Target("", {"code": code}), Target("unblinded", {"code": code}, None, "?unblinded=1")]


def joined(*fills: Fill) -> Fill:
    def fill(world: World) -> list[Target]:
        return [t for f in fills for t in f(world)]

    return fill


def with_query(fill: Fill, query: str) -> Fill:
    def filled(world: World) -> list[Target]:
        return [Target(t.key, t.params, t.subject, query) for t in fill(world)]

    return filled


# ---- the pages ---------------------------------------------------------------------------

PAGES: dict[str, Surface] = {
    "trial:home": Surface(nothing, ALL),
    "trial:study": Surface(study, ALL),
    "trial:notifications_read": Surface(study, get=False, post=True),
    "accounts:login": Surface(nothing, note="a logged-in user is sent on (302)"),
    "accounts:logout": Surface(nothing, get=False, note="POST would end the sweep's session"),
    "accounts:password_change": Surface(nothing, ALL, post=True),
    "pharmacy:worklist": Surface(study),
    "pharmacy:participant": Surface(participants("pid")),
    "pharmacy:prepare": Surface(participants("pid"), get=False, post=True),
    "pharmacy:check": Surface(preparations("prep_id"), get=False, post=True),
    "pharmacy:sessions": Surface(study, "SC"),
    "pharmacy:administer": Surface(participants("pid"), "SC", post=True),
    "unblinding:log": Surface(study, "INV MO"),
    "unblinding:request": Surface(participants("pid"), "INV", post=True),
    "unblinding:grant": Surface(grants("event_id"), note="the grantee only (not swept)"),
    "forms:entry": Surface(entries(False), READERS, True, True, "", entries(False, sample=True)),
    "forms:entry_variant": Surface(
        entries(True), READERS, True, True, "", entries(True, sample=True)
    ),
    "forms:lock": Surface(entries(False, sample=True), get=False, post=True),
    "forms:lock_variant": Surface(entries(True, sample=True), get=False, post=True),
    "enrolment:list": Surface(study, READERS),
    "enrolment:participant": Surface(participants("pk"), READERS),
    "enrolment:screening": Surface(study, "INV", post=True),
    "randomization:randomize": Surface(participants("pk"), get=False, post=True),
    "randomization:list": Surface(study),
    "randomization:generate": Surface(study, get=False, post=True),
    "randomization:upload": Surface(study, get=False, post=True),
    "visits:timeline": Surface(participants("pk"), READERS),
    "visits:mark_missed": Surface(missed_visits, get=False, post=True),
    "visits:safety": Surface(participants("pk"), "INV PT SC DM MO"),
    "visits:withdrawal": Surface(participants("pk"), "INV", post=True),
    "visits:entry": Surface(entries(False), READERS, True, True, "", entries(False, sample=True)),
    "visits:sae_reported": Surface(records("record_id", "adverse_event"), get=False, post=True),
    "visits:worklist": Surface(study, READERS),
    "visits:dashboard": Surface(study, ALL),
    "quality:queries": Surface(study, READERS),
    "quality:query": Surface(queries("pk"), READERS),
    "quality:answer": Surface(queries("pk"), get=False, post=True),
    "quality:close": Surface(queries("pk"), get=False, post=True),
    "quality:reopen": Surface(queries("pk"), get=False, post=True),
    "quality:participant": Surface(participants("pid"), READERS),
    "quality:form": Surface(records("pk"), READERS),
    "quality:raise": Surface(records("pk", sample=True), get=False, post=True),
    "quality:sign": Surface(records("pk", sample=True), get=False, post=True),
    "quality:lock_form": Surface(records("pk", sample=True), get=False, post=True),
    "quality:lock": Surface(study, "DM", post=True, note="an empty reason must not lock"),
    "exports:index": Surface(study, "DM MO TS"),
    "exports:instrument": Surface(instruments, "DM MO TS"),
    "exports:dictionary": Surface(study, "DM MO TS"),
    "exports:analysis": Surface(analysis_exports, "DM TS"),
    "healthz": Surface(nothing, ALL),
}

# URL patterns under api/ that are not operations of the schema.
API_ROUTES: dict[str, Surface] = {
    "api:openapi-json": Surface(nothing, ALL, note="the schema: no arm in examples or enums"),
    "api:openapi-view": Surface(nothing, ALL),
    "api:api-root": Surface(nothing, note="404: the API has no root page"),
}

_P = "/api/pharmacy/{code}"
_F = "/api/forms/{code}/participants/{pk}/{instrument_id}/{visit}/{occurrence}"
_Q = "/api/quality/{code}"
_V = "/api/visits/{code}"

API: dict[str, Surface] = {
    "GET /api/me": Surface(nothing, ALL),
    f"GET {_P}/participants/{{pid}}": Surface(participants("pid")),
    f"GET {_P}/participants/{{pid}}/preview": Surface(
        with_query(participants("pid"), "?weight_kg=73.3")
    ),
    f"POST {_P}/participants/{{pid}}/preparation": Surface(
        participants("pid"), get=False, post=True
    ),
    f"POST {_P}/preparations/{{prep_id}}/check": Surface(
        preparations("prep_id"), get=False, post=True
    ),
    f"GET {_P}/sessions/{{pid}}": Surface(participants("pid"), "SC"),
    f"POST {_P}/sessions/{{pid}}/administration": Surface(
        participants("pid"), get=False, post=True
    ),
    "GET /api/unblinding/{code}/grants": Surface(study, "INV MO"),
    "POST /api/unblinding/{code}/participants/{pid}": Surface(
        participants("pid"), get=False, post=True
    ),
    "GET /api/unblinding/{code}/grants/{grant_id}": Surface(grants("grant_id")),
    f"GET {_F}": Surface(joined(entries(False, "api"), entries(True, "api")), READERS),
    f"PUT {_F}": Surface(entries(False, "api", sample=True), get=False, post=True),
    "GET /api/enrolment/{code}/participants": Surface(study, READERS),
    "POST /api/enrolment/{code}/participants": Surface(study, get=False, post=True),
    "GET /api/enrolment/{code}/participants/{pk}": Surface(participants("pk"), READERS),
    "POST /api/randomization/{code}/participants/{pk}/randomize": Surface(
        participants("pk"), get=False, post=True
    ),
    "GET /api/randomization/{code}/allocation": Surface(study, ALL),
    f"GET {_Q}/queries": Surface(study, READERS),
    f"POST {_Q}/queries": Surface(study, get=False, post=True),
    f"GET {_Q}/queries/{{query_id}}": Surface(queries("query_id"), READERS),
    f"POST {_Q}/queries/{{query_id}}/answer": Surface(queries("query_id"), get=False, post=True),
    f"POST {_Q}/queries/{{query_id}}/close": Surface(queries("query_id"), get=False, post=True),
    f"POST {_Q}/queries/{{query_id}}/reopen": Surface(queries("query_id"), get=False, post=True),
    f"GET {_Q}/records": Surface(study, READERS),
    f"POST {_Q}/records/{{record_id}}/sign": Surface(
        records("record_id", sample=True), get=False, post=True
    ),
    f"POST {_Q}/records/{{record_id}}/lock": Surface(
        records("record_id", sample=True), get=False, post=True
    ),
    f"GET {_Q}/lock": Surface(study, ALL),
    f"POST {_Q}/lock": Surface(study, get=False, post=True, note="an empty body must not lock"),
    "GET /api/exports/{code}/instruments": Surface(study, "DM MO TS"),
    "GET /api/exports/{code}/instruments/{instrument_id}": Surface(instruments, "DM MO TS"),
    "GET /api/exports/{code}/dictionary": Surface(study, "DM MO TS"),
    "GET /api/exports/{code}/analysis": Surface(analysis_exports, "DM TS"),
    f"GET {_V}/participants/{{pk}}/timeline": Surface(participants("pk"), READERS),
    f"GET {_V}/participants/{{pk}}/safety": Surface(participants("pk"), "INV PT SC DM MO"),
    f"POST {_V}/participants/{{pk}}/forms/{{instrument_id}}/{{visit}}": Surface(
        entries(False, "api", sample=True), get=False, post=True
    ),
    f"POST {_V}/participants/{{pk}}/visits/{{visit_id}}/missed": Surface(
        missed_visits, get=False, post=True
    ),
    f"POST {_V}/participants/{{pk}}/withdrawal": Surface(participants("pk"), get=False, post=True),
    f"POST {_V}/adverse-events/{{record_id}}/reported": Surface(
        records("record_id", "adverse_event"), get=False, post=True
    ),
    f"GET {_V}/worklist": Surface(study, READERS),
    f"GET {_V}/overdue": Surface(study, READERS),
    f"GET {_V}/dashboard": Surface(study, ALL),
}


def api_operations(schema: dict[str, Any]) -> list[str]:
    """Every operation of the OpenAPI schema, as "METHOD /path"."""
    methods = {"get", "put", "post", "patch", "delete", "head", "options"}
    return [
        f"{method.upper()} {path}"
        for path, ops in schema["paths"].items()
        for method in ops
        if method in methods
    ]


def page_patterns() -> list[Pattern]:
    """The resolver's patterns outside the API (helper-16's recursive enumeration)."""
    return [p for p in url_patterns() if not p.is_api]


def api_patterns() -> list[Pattern]:
    return [p for p in url_patterns() if p.is_api]


def unclassified(schema: dict[str, Any]) -> list[str]:
    """Patterns and operations the tables do not know, and rows that match nothing."""
    problems = []
    pages = {p.name for p in page_patterns()}
    routes = {p.name for p in api_patterns()}
    operations = set(api_operations(schema))
    # API URL patterns are covered by their operations; those that are no operation are listed.
    operation_routes = {_route_of(op) for op in operations}
    for p in api_patterns():
        if p.name not in API_ROUTES and "/" + p.route not in operation_routes:
            problems.append(f"API URL pattern {p.name} (/{p.route}) is not in API_ROUTES")
    problems += [f"URL pattern {n} is not in PAGES" for n in sorted(pages - set(PAGES))]
    problems += [f"PAGES row {n} matches no URL pattern" for n in sorted(set(PAGES) - pages)]
    problems += [f"API_ROUTES row {n} matches no pattern" for n in sorted(set(API_ROUTES) - routes)]
    problems += [f"API operation {o} is not in API" for o in sorted(operations - set(API))]
    problems += [f"API row {o} matches no operation" for o in sorted(set(API) - operations)]
    return problems


def _route_of(operation: str) -> str:
    """'GET /api/x/{code}' -> '/api/x/<code>' (Django Ninja's route for it)."""
    path = operation.split(" ", 1)[1]
    return path.replace("{", "<").replace("}", ">")
