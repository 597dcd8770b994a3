"""The blinding-leak sweep: nothing a blinded role can request depends on the allocation.

Two worlds are built through the action functions (tests/web/sweep/factory.py): the same
study, users, participants, forms, queries, adverse events, notifications and emergency
unblindings at the same simulated times, differing ONLY in the allocation: every participant
is in the other arm in the mirror world (and the scrambled labels of blinded exports swap).
In each world, every URL pattern of the resolver and every operation of the OpenAPI schema
(classified in tests/web/sweep/surfaces.py), error pages, notifications and the blinded
analysis folder are requested as every blinded role: investigator, psychotherapist, session
clinician, outcome rater, data manager, monitor, administrator, and the trial statistician
before the lock, for a participant in each arm at every stage. Then:

- no response contains an arm label, an arm id where data could hold one, or the mg and ml
  of a sealed preparation; an outcome rater sees no arm-revealing instrument (`leaks`);
- every response in one world equals the same response in the mirror world, byte for byte
  after removing CSRF tokens, sealed tokens and the list's commitment: the same status,
  length, order, counts and volumes whatever the arms;
- the responses about the two participants of a pair (one per arm) are equal once their codes,
  kit codes and database ids are normalized;
- each surface's reaching roles get a 200 (so the sweep looks at content, not refusals);
- an empty POST to every action (refusal messages) obeys the same rules, and locks nothing.

To write the figures and every finding to a file:
    PSYTRIAL_SWEEP_OUT=/tmp/sweep.txt .venv/bin/python -m pytest tests/web/test_blinding_sweep.py
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from psytrial.core.roles import Role
from psytrial.web.accounts.actions import issue_token
from psytrial.web.api import api
from psytrial.web.exports.runs import run_analysis
from psytrial.web.randomization import queries as randomization_queries
from psytrial.web.trial.models import Study
from tests.web.sweep import leaks
from tests.web.sweep.factory import STAGES, World, built
from tests.web.sweep.normalize import Observation, body_text
from tests.web.sweep.surfaces import (
    API,
    API_ROUTES,
    BLINDED,
    PAGES,
    Surface,
    Target,
    participants,
    unclassified,
)
from tests.web.sweep.visit import (
    Seen,
    Visitor,
    error_pages,
    first_difference,
    make_seen,
    notifications,
    page_url,
    pair_differences,
    sweep,
)


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_it_classifies_every_url_pattern_and_api_operation() -> None:
    """A page or operation the sweep does not know fails here (classify it in surfaces.py)."""
    assert unclassified(api.get_openapi_schema()) == []


# ---- the sweep ---------------------------------------------------------------------------


class Sweep:
    """What one world answered, and what was wrong with it."""

    def __init__(self, world: World, tmp: Path) -> None:
        self.world = world
        visitor = Visitor(world)
        self.seen: list[Seen] = sweep(visitor, "get")
        self.seen += error_pages(visitor)
        self.seen += analysis_folder(world, tmp)
        self.seen += notifications(visitor)
        gets = list(self.seen)
        self.seen += sweep(visitor, "post")
        self.seen += notifications(visitor)  # the POSTs' notifications too
        self.requests = visitor.requests
        self.problems = [f"{s.where}: {f}" for s in self.seen for f in s.findings]
        self.problems += pair_differences(world, self.seen)
        self.problems += unreached(gets)
        if Study.objects.get(pk=world.study.pk).is_locked:
            self.problems.append("an empty POST locked the database")

    def texts(self) -> dict[tuple[str, str, str, str], str]:
        found: dict[tuple[str, str, str, str], str] = {}
        for s in self.seen:
            found[(s.surface, s.method, s.url, s.role.value)] = s.text
        return found


def analysis_folder(world: World, tmp: Path) -> list[Seen]:
    """The operator's blinded analysis (tables, report.html, results.json), as the statistician
    before the lock reads it."""
    out = tmp / ("mirror" if world.mirror else "world")
    run_analysis(world.study, out)
    found = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = str(path.relative_to(out))
        kind = {".csv": "text/csv", ".json": "application/json"}.get(path.suffix, "text/html")
        observation = Observation(200, kind, "", "", body_text(path.read_bytes(), kind))
        target = Target(name, {})
        found.append(
            make_seen(
                world, "analysis folder", "-", target, name, Role.TRIAL_STATISTICIAN, observation
            )
        )
    return found


def unreached(seen: list[Seen]) -> list[str]:
    """A surface whose reaching role got no 200 for any target: the sweep saw no content."""
    ok = {(s.surface, s.role) for s in seen if s.status == 200}
    tables: dict[str, Surface] = {**PAGES, **API_ROUTES, **API}
    return [
        f"{name}: expected a 200 for {role.value} (listed in its reach), got none"
        for name, surface in tables.items()
        for role in sorted(surface.reach_roles)
        if surface.get and (name, role) not in ok
    ]


@pytest.fixture(scope="module")
def swept(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> list[Sweep]:
    """Both worlds, swept (built and rolled back inside one database transaction)."""
    from django.db import transaction

    tmp = tmp_path_factory.mktemp("sweep")
    quiet = logging.getLogger("django.request")
    level, quiet.level = quiet.level, logging.CRITICAL  # 403s and the planted 500: expected
    with django_db_blocker.unblock(), transaction.atomic():
        from django.test import override_settings

        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            results = []
            for mirror in (False, True):
                with built(mirror) as world:
                    results.append(Sweep(world, tmp))
        transaction.set_rollback(True)
    quiet.setLevel(level)
    report(results)
    return results


def mirror_differences(first: Sweep, second: Sweep) -> list[str]:
    a, b = first.texts(), second.texts()
    problems = [f"only in one world: {' '.join(k)}" for k in sorted(set(a) ^ set(b))]
    for key in sorted(set(a) & set(b)):
        if a[key] != b[key]:
            surface, method, url, role = key
            problems.append(
                f"{surface}: {method} {url} as {role}: differs when the arms are swapped: "
                f"{first_difference(a[key], b[key])}"
            )
    return problems


@pytest.mark.django_db
def test_it_finds_no_arm_in_anything_a_blinded_role_can_request(swept: list[Sweep]) -> None:
    problems = [p for s in swept for p in s.problems if not known(p)]
    stale = [k for k in KNOWN if not any(known_one(k, p) for s in swept for p in s.problems)]
    assert not stale, f"KNOWN rows no longer found (remove them): {stale}"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


@pytest.mark.django_db
def test_it_answers_alike_whatever_the_allocation(swept: list[Sweep]) -> None:
    problems = mirror_differences(*swept)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:60])


@pytest.mark.django_db
def test_it_swept_every_stage_and_both_arms(swept: list[Sweep]) -> None:
    world = swept[0].world
    subjects = {s.subject for s in swept[0].seen if s.subject is not None}
    for stage in STAGES:
        assert {p.pk for p in world.pairs[stage]} <= subjects, stage
    roles = {s.role for s in swept[0].seen}
    assert roles == set(BLINDED.values())
    assert {w.world.arm[w.world.pairs["dosed"][0].pk] for w in swept} == {"high", "low"}


def report(results: list[Sweep]) -> None:
    """Figures (and every problem) to PSYTRIAL_SWEEP_OUT, for docs/reliability.md."""
    out = os.environ.get("PSYTRIAL_SWEEP_OUT")
    if not out:
        return
    first = results[0]
    surfaces = Counter(s.surface for s in first.seen)
    kinds = Counter(_kind(s) for s in first.seen)
    urls = {(s.method, s.url) for s in first.seen if s.method in ("GET", "POST", "PUT")}
    lines = [
        f"requests per world: {first.requests}; responses checked per world: {len(first.seen)}",
        f"surfaces: {len(surfaces)}; distinct URLs requested: {len(urls)}; "
        f"roles: {len(BLINDED)}; worlds: {len(results)}",
        f"participants: {len(first.world.participants())} "
        f"({len(first.world.arm)} with an arm, {len(STAGES)} stages)",
        "responses by kind: " + json.dumps(dict(sorted(kinds.items()))),
        "statuses: " + json.dumps(dict(sorted(Counter(s.status for s in first.seen).items()))),
        f"problems: {sum(len(r.problems) for r in results)}",
        f"mirror differences: {len(mirror_differences(*results))}",
        *[p for r in results for p in r.problems],
        *mirror_differences(*results),
    ]
    Path(out).write_text("\n".join(lines) + "\n")


def _kind(s: Seen) -> str:
    if s.surface in ("notification", "analysis folder"):
        return s.surface
    if s.surface[:3].isdigit():
        return "error page"
    return f"{s.method} {'API' if '/api/' in s.url else 'page'}"


# ---- the sweep can fail ------------------------------------------------------------------


@pytest.mark.django_db
def test_it_catches_a_page_that_shows_the_arm_to_everyone(monkeypatch: Any) -> None:
    """A planted bug (the enrolment page shows every viewer the arm) fails all three checks."""

    def everyone(user: Any, participant: Any) -> str | None:
        from psytrial.web.pharmacy.allocation import arm_of
        from psytrial.web.sealing import Capability

        token = randomization_queries.sealed_arm_token(participant)
        return (
            None
            if token is None
            else arm_of(participant, Capability(0, participant.study_id, None, "bug"))
        )

    monkeypatch.setattr("psytrial.web.enrolment.views.arm_for_viewer", everyone)
    texts = []
    for mirror in (False, True):
        with built(mirror) as world:
            visitor = Visitor(world, roles={"MO": Role.MONITOR})
            target = participants("pk")(world)
            dosed = [t for t in target if t.key == "dosed"]
            seen = [
                visitor.seen(
                    "enrolment:participant",
                    "GET",
                    t,
                    page_url("enrolment:participant", t),
                    Role.MONITOR,
                    visitor.call(Role.MONITOR, "GET", page_url("enrolment:participant", t), False),
                )
                for t in dosed
            ]
            assert all(s.status == 200 for s in seen)
            assert all(s.findings for s in seen), [s.findings for s in seen]
            assert pair_differences(world, seen)
            texts.append([s.text for s in seen])
    assert texts[0] != texts[1]


@pytest.mark.django_db
def test_it_finds_each_kind_of_leak_in_a_body(swept: list[Sweep]) -> None:
    world = swept[0].world
    clean = "<p>Kit J7K6BKXS2: 5.00 ml, High priority, below 1.45, followup</p>"
    assert leaks.find(clean, "text/html", world, Role.MONITOR) == []
    assert leaks.find("<p>high priority</p>", "text/html", world, Role.MONITOR)  # strict
    assert leaks.find("<p>Ketamine 2.0 mg/kg IM</p>", "text/html", world, Role.MONITOR)
    assert leaks.find("<p>0.2 mg/kg</p>", "text/html", world, Role.MONITOR)
    assert leaks.find('<td class="arm">low</td>', "text/html", world, Role.MONITOR)
    assert leaks.find('{"group": "high"}', "application/json", world, Role.MONITOR)
    assert leaks.find('{"high": 3, "low": 2}', "application/json", world, Role.MONITOR)
    assert leaks.find("participant,arm\nSPB-0004,low\n", "text/csv", world, Role.MONITOR)
    assert leaks.find("<p>Draw up 146.6 mg</p>", "text/html", world, Role.MONITOR)
    assert leaks.find("<p>2.95 ml of stock</p>", "text/html", world, Role.MONITOR)
    assert leaks.find("<p>1.45 mL</p>", "text/html", world, Role.MONITOR)
    assert leaks.find("<p>Heart rate</p>", "text/html", world, Role.OUTCOME_RATER)
    assert not leaks.find("<p>Heart rate</p>", "text/html", world, Role.MONITOR)
    guess = '<input type="radio" name="guessed_arm" value="high">'
    assert leaks.find(guess, "text/html", world, Role.MONITOR) == []
    assert leaks.find(world.study.title, "text/html", world, Role.MONITOR) == []


# ---- findings of the sweep, fixed; their tests stay as regression tests ---------------------

# A finding reported but not yet fixed is tolerated by the sweep only through a row here:
# (a text of the request, a text of the finding) -> the strict xfail test that reproduces it.
# A row that stops matching fails the sweep (remove it then). None are open.
KNOWN: dict[tuple[str, str], str] = {}


def known(problem: str) -> bool:
    return any(known_one(k, problem) for k in KNOWN)


def known_one(row: tuple[str, str], problem: str) -> bool:
    return row[0] in problem and row[1] in problem


def csv_rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


@pytest.mark.django_db
def test_the_blinded_analysis_export_holds_no_arm_revealing_data_beside_the_groups() -> None:
    with built(False) as world:
        revealing = {d.id for d in world.protocol.instruments if d.reveals_arm}
        for role in (Role.DATA_MANAGER, Role.TRIAL_STATISTICIAN):
            client = Client()
            client.force_login(world.people[role])
            response = client.get(f"/s/{world.study.code}/exports/analysis.zip")
            assert response.status_code == 200
            archive = zipfile.ZipFile(io.BytesIO(response.content))
            grouped = {
                r["participant_id"] for r in csv_rows(archive, "participants.csv") if r["arm"]
            }
            linked = [
                r
                for r in csv_rows(archive, "scores.csv")
                if r["instrument"] in revealing and r["participant_id"] in grouped
            ]
            linked += [
                r
                for r in csv_rows(archive, "blinding_guesses.csv")
                if r["guesser_role"] != "rater" and r["participant_id"] in grouped
            ]
            assert linked == [], f"{role.value}: {len(linked)} rows, e.g. {linked[:2]}"


@pytest.mark.django_db
def test_it_names_no_arm_revealing_instrument_to_a_rater_who_asks_for_an_unknown_one() -> None:
    with built(False) as world:
        token = issue_token(world.people[Role.OUTCOME_RATER], "sweep")
        p = world.pairs["dosed"][0]
        response = Client().get(
            f"/api/forms/{world.study.code}/participants/{p.pk}/no_such_form/session/1",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        body = response.content.decode()
        assert response.status_code in (400, 403, 404, 409)
        assert leaks.find(body, "application/json", world, Role.OUTCOME_RATER) == []


@pytest.mark.django_db
def test_it_shows_the_grantee_the_arm_of_their_own_participants_only() -> None:
    """Emergency unblinding opens one participant for one investigator, nowhere else."""
    with built(False) as world:
        client = Client()
        client.force_login(world.er_doctor)
        code = world.study.code
        for pk, grant in world.grants.items():
            page = client.get(f"/s/{code}/unblinding/grants/{grant.pk}/").content.decode()
            assert world.protocol.arm(world.arm[pk]).label in page
        for p in world.pairs["dosed"]:
            for url in (
                f"/s/{code}/participants/{p.pk}/",
                f"/s/{code}/participants/{p.pk}/timeline/",
            ):
                response = client.get(url)
                assert response.status_code == 200
                assert leaks.find(response.content.decode(), "text/html", world, None) == []
        persona = Client()
        persona.force_login(world.people[Role.INVESTIGATOR])
        for grant in world.grants.values():
            assert persona.get(f"/s/{code}/unblinding/grants/{grant.pk}/").status_code == 403
