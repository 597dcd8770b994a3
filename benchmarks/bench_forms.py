"""Benchmark of form saves over HTTP and of the exports, on SQLite and PostgreSQL.

1. Form saves: a live gunicorn server (`psytrial serve`'s settings: 2 workers x 4 threads,
   gthread) on a fresh database; 20 concurrent clients (threads, one keep-alive connection
   each) each PUT their own participant's craving form through the JSON API
   (`/api/forms/...`, token auth, the real save path: permissions, validation, the entry and
   its first version, the audit entry), every save a new entry. Side by side on the same server:
   a bare Django view (`/healthz`, through the whole middleware stack) and an authenticated
   read (`/api/me`). Reports median and p95 latency and throughput. Goals: save p95 < 150 ms,
   >= 100 saves/s.
2. Export: 5,000 randomized and dosed participants with all 24 months of follow-up (and
   eligibility, consent, baseline, HRS, craving, blinding guesses, dosing). For speed the data
   are BULK-CREATED in this benchmark only (straight into the tables, no action functions, no
   audit entries); the trial itself only ever writes through action functions. Times the
   analysis export (six tables built, validated and written) and the per-instrument tidy
   files with the data dictionary.

PostgreSQL runs when a server answers at postgres://postgres@127.0.0.1:5432/test (a scratch
database is created and dropped). --baseline REV: on each backend, the saves are measured
again against the server of that git revision (a worktree; its src/ on PYTHONPATH), right
after this tree's, on a fresh database: the side-by-side ratio holds on a noisy machine when
the absolute figures do not. Writes benchmarks/results/forms.md.

    .venv/bin/python benchmarks/bench_forms.py [--baseline REV] [--skip-export]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from baseline import baseline_tree, source_env

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "forms.md"
PYTHON = sys.executable
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
CLIENTS = 20
SAVES_PER_CLIENT = 20
READS_PER_CLIENT = 40
CRAVING_VISITS = ("baseline", "integration1", "m01", "m03", "m06", "m12", "m18", "m24")
PER_CLIENT = 3  # participants per client: 3 x 8 craving visits >= 1 + SAVES_PER_CLIENT
EXPORT_PARTICIPANTS = 5000
EXPORT_REPEATS = 1  # one run: the 5,000-participant export takes tens of seconds here
PASSWORD = "benchmark password 2002"


# -- the parent: databases, server, clients, report ------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also measure the saves of this git revision's server, right after this tree's, "
        "on the same backend (side by side)",
    )
    parser.add_argument("--skip-export", action="store_true", help="only the HTTP part")
    options = parser.parse_args()
    backends = [("SQLite", None)]
    if _pg_reachable():
        backends.append(("PostgreSQL", "pg"))
    rows, exports = [], []
    with baseline_tree(options.baseline) as tree:
        for name, kind in backends:
            trees: list[tuple[str, Path | None]] = [(name, None)]
            if tree is not None:
                trees.append((f"{name}, baseline {options.baseline}", tree))
            for label, source in trees:
                with tempfile.TemporaryDirectory(prefix="bench-forms-") as home:
                    url, cleanup = _database(kind, home)
                    try:
                        env = _env(home, url, source)
                        setup = json.loads(_child(env, "--setup"))
                        rows.append((label, _measure_http(env, setup)))
                        if kind is None and source is None and not options.skip_export:
                            env = {**env, "DATABASE_URL": f"sqlite:///{home}/export.sqlite3"}
                            exports.append((name, json.loads(_child(env, "--export"))))
                    finally:
                        cleanup()
    _write(rows, exports, [n for n, _ in backends], options.baseline)


def _pg_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except Exception:
        return False
    return True


def _database(kind: str | None, home: str) -> tuple[str, Any]:
    if kind is None:
        return f"sqlite:///{home}/bench.sqlite3", lambda: None
    import psycopg

    name = f"psytrial_bench_forms_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgres://postgres@127.0.0.1:5432/{name}", drop


def _env(home: str, url: str, tree: Path | None = None) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        **source_env(tree),  # a baseline tree's psytrial, for the server and the children
        "DATABASE_URL": url,
        "PSYTRIAL_HOME": home,
        "DJANGO_SETTINGS_MODULE": "psytrial.web.settings",
        "PSYTRIAL_SECRET_KEY": "bench-secret-" + "x" * 40,
        "PSYTRIAL_SEAL_KEY": Fernet.generate_key().decode(),
        "PSYTRIAL_LOG_LEVEL": "ERROR",
    }


def _child(env: dict[str, str], mode: str) -> str:
    done = subprocess.run(
        [PYTHON, __file__, mode], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _measure_http(env: dict[str, str], setup: dict[str, Any]) -> dict[str, Any]:
    import requests

    port = _free_port()
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "psytrial.web.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--log-level",
            "error",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, requests)
        token = {"Authorization": f"Bearer {setup['token']}"}
        out = {
            "bare": _clients(lambda s, i, k: s.get(f"{base}/healthz"), READS_PER_CLIENT),
            "read": _clients(
                lambda s, i, k: s.get(f"{base}/api/me", headers=token), READS_PER_CLIENT
            ),
        }
        out["save1"] = _clients(
            lambda s, i, k: _save(s, base, setup, token, CLIENTS, k), SAVES_PER_CLIENT, clients=1
        )
        out["save"] = _clients(lambda s, i, k: _save(s, base, setup, token, i, k), SAVES_PER_CLIENT)
        return out
    finally:
        server.terminate()
        server.wait(timeout=20)


def _wait_for(base: str, requests: Any) -> None:
    for _ in range(200):
        try:
            if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def _save(
    session: Any, base: str, setup: dict[str, Any], token: dict[str, str], client: int, k: int
) -> Any:
    """Save number k of a client: a new craving entry (its participants x craving visits)."""
    mine = setup["participants"][client * PER_CLIENT : (client + 1) * PER_CLIENT]
    pid, visit = mine[k % PER_CLIENT], CRAVING_VISITS[k // PER_CLIENT]
    url = f"{base}/api/forms/{setup['study']}/participants/{pid}/craving/{visit}/1"
    response = session.put(url, json={"data": {"value": 10 + (k * 7) % 80}}, headers=token)
    if response.status_code != 200:
        raise RuntimeError(f"save refused: {response.status_code} {response.text[:300]}")
    return response


def _clients(call: Any, per_client: int, clients: int = CLIENTS) -> dict[str, float]:
    import requests

    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start_gate = threading.Barrier(clients + 1)

    def run(i: int) -> None:
        session = requests.Session()
        call(session, i, 0)  # warm the connection and the worker (not timed)
        start_gate.wait()
        mine = []
        try:
            for k in range(1, per_client + 1):
                t0 = time.perf_counter()
                call(session, i, k)
                mine.append(time.perf_counter() - t0)
        except BaseException as exc:
            errors.append(exc)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start_gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"client error: {errors[0]}")
    ordered = sorted(latencies)
    return {
        "n": len(ordered),
        "median_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[int(0.95 * (len(ordered) - 1))],
        "per_s": len(ordered) / wall,
    }


def _reading(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """What the figures say about the goals, from the service time of one client's saves."""
    parts = []
    for backend, r in rows:
        service = r["save1"]["median_ms"]
        met = r["save"]["p95_ms"] < 150 and r["save"]["per_s"] >= 100
        parts.append(
            f"{backend}: one save takes {service:.0f} ms with no concurrency, so two "
            f"cores serve at most ~{2000 / service:.0f} saves/s; measured "
            f"{r['save']['per_s']:.0f}/s at p95 {r['save']['p95_ms']:.0f} ms "
            f"(goals {'met' if met else 'NOT met'})"
        )
    return (
        "Reading: " + "; ".join(parts) + ". Under 20 clients the saves queue for the "
        "cores (shared with the client threads and other work), which is where the p95 "
        "comes from. On PostgreSQL every statement is a round trip to the server, so a save "
        "costs about twice as long as on SQLite here, and one round of 400 saves moves by "
        "tens of milliseconds at the p95 between runs."
    )


def _side_by_side(rows: list[tuple[str, dict[str, Any]]], baseline: str) -> str:
    found = dict(rows)
    parts = []
    for name in ("SQLite", "PostgreSQL"):
        now, before = found.get(name), found.get(f"{name}, baseline {baseline}")
        if now is None or before is None:
            continue
        parts.append(
            f"{name}: saves {before['save']['per_s']:.0f}/s at p95 "
            f"{before['save']['p95_ms']:.0f} ms at {baseline}, {now['save']['per_s']:.0f}/s at "
            f"p95 {now['save']['p95_ms']:.0f} ms now ({now['save']['per_s'] / before['save']['per_s']:.2f}"
            f" times the throughput); one client's save {before['save1']['median_ms']:.1f} ms "
            f"then, {now['save1']['median_ms']:.1f} ms now"
        )
    return (
        f"Side by side (each backend: this tree's server, then the server of {baseline} on a "
        "fresh database, one after the other in one run, so both see the same machine): "
        + "; ".join(parts) + "."
    )


def _write(
    rows: list[tuple[str, dict[str, Any]]],
    exports: list[tuple[str, dict[str, Any]]],
    backends: list[str],
    baseline: str | None = None,
) -> None:
    lines = [
        "## Form saves and exports (`psytrial.web.forms`, `psytrial.web.exports`)",
        "",
        f"{CLIENTS} concurrent HTTP clients (threads with one keep-alive connection each, "
        "on the same machine as the server) against gunicorn with `psytrial serve`'s "
        "settings (2 workers x 4 threads, gthread). A save is `PUT /api/forms/...` of a "
        "craving form with a token: permission checks, validation, the entry and its first "
        f"version, the audit entry; {SAVES_PER_CLIENT} saves per client, each a new entry "
        "(the client's own participants and visits); the single-client row is the same "
        f"with no concurrency. Baselines on the same server: `/healthz` (a bare Django view through "
        f"the middleware) and `GET /api/me` (token auth and one query); {READS_PER_CLIENT} "
        "requests per client. Goals: save p95 < 150 ms and >= 100 saves/s.",
        "",
        "| database | request | n | median | p95 | throughput |",
        "|---|---|---|---|---|---|",
    ]
    names = {
        "bare": "bare view `/healthz`",
        "read": "`GET /api/me`",
        "save1": "form save (PUT), 1 client",
        "save": "form save (PUT)",
    }
    for backend, result in rows:
        for key in ("bare", "read", "save1", "save"):
            r = result[key]
            lines.append(
                f"| {backend} | {names[key]} | {r['n']} | {r['median_ms']:.1f} ms | "
                f"{r['p95_ms']:.1f} ms | {r['per_s']:.0f}/s |"
            )
    lines += ["", _reading([r for r in rows if ", baseline" not in r[0]])]
    if baseline:
        lines += ["", _side_by_side(rows, baseline)]
    if "PostgreSQL" not in backends:
        lines += ["", "PostgreSQL: not run (no server answered at 127.0.0.1:5432)."]
    for backend, e in exports:
        lines += [
            "",
            f"Export of {e['participants']:,} randomized participants with all 24 months "
            f"of follow-up on {backend} ({e['records']:,} form entries; created with "
            "bulk_create in this benchmark only, for speed, not through the action "
            f"functions; bulk load took {e['load_s']:.1f} s), the database locked, so "
            "the unblinded export with every table. "
            + (f"Median of {e['repeats']} runs:" if e["repeats"] > 1 else "One run:"),
            "",
            "| export | time | rows |",
            "|---|---|---|",
            f"| analysis tables (build, validate, write 6 CSV) | {e['analysis_s']:.1f} s | "
            + ", ".join(f"{k} {v:,}" for k, v in e["rows"].items())
            + " |",
            f"| tidy CSV per instrument + data dictionary | {e['tidy_s']:.1f} s | "
            f"{e['tidy_files']} files |",
        ]
    load = os.getloadavg()[0]
    lines += [
        "",
        f"Machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs "
        f"(shared), Python {platform.python_version()}; 1-minute load average {load:.1f} "
        "at the end (other engineers share the machine, and the 20 client threads run "
        "on the same 2 cores as the server, so the figures are pessimistic and vary "
        "between runs).",
        "",
        "Command: `.venv/bin/python benchmarks/bench_forms.py [--baseline REV]`",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


# -- the children: Django on the benchmark's database ----------------------------------------


def setup_child() -> None:
    """Study, an outcome rater with a token, and PER_CLIENT screened participants per client."""
    from psytrial.web.bootstrap import migrate

    migrate()
    from psytrial.core.roles import Role
    from psytrial.web.accounts.actions import issue_token
    from psytrial.web.enrolment.actions import screen
    from psytrial.web.trial.actions import create_study, create_user, grant_role

    study = create_study((ROOT / "protocols" / "kpt2002.yaml").read_text(), source="kpt2002")
    site = study.sites.get()
    inv, rater = create_user("bench_inv", PASSWORD), create_user("bench_rater", PASSWORD)
    grant_role(inv, study, Role.INVESTIGATOR)
    grant_role(rater, study, Role.OUTCOME_RATER)
    ids = [screen(inv, study, site).pk for _ in range((CLIENTS + 1) * PER_CLIENT)]
    print(
        json.dumps({"study": study.code, "participants": ids, "token": issue_token(rater, "bench")})
    )


def export_child() -> None:
    from psytrial.web.bootstrap import migrate

    migrate()
    from psytrial.web.exports.actions import operator_export
    from psytrial.web.exports.runs import operator_tidy

    t0 = time.perf_counter()
    study, records = bulk_trial(EXPORT_PARTICIPANTS)
    load_s = time.perf_counter() - t0
    # A finished trial: the database is locked, so the export is the unblinded one, with
    # every table full (a blinded export leaves out the arm-revealing instruments and the
    # blinding guesses).
    from datetime import UTC, datetime

    study.locked_at = datetime(2005, 1, 1, tzinfo=UTC)
    study.save(update_fields=["locked_at"])
    analysis, tidy, rows, files = [], [], {}, 0
    for _ in range(EXPORT_REPEATS):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            result = operator_export(study, out, unblinded=True, actor="benchmark")
            analysis.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            files = len(operator_tidy(study, out, actor="benchmark"))
            tidy.append(time.perf_counter() - t0)
            rows = result.rows
    print(
        json.dumps(
            {
                "participants": EXPORT_PARTICIPANTS,
                "records": records,
                "load_s": load_s,
                "repeats": EXPORT_REPEATS,
                "analysis_s": statistics.median(analysis),
                "tidy_s": statistics.median(tidy),
                "rows": rows,
                "tidy_files": files,
            }
        )
    )


# -- bulk data for the export benchmark (never used outside this file) ------------------------


def bulk_trial(n: int) -> tuple[Any, int]:
    """A finished kpt2002-shaped trial of `n` randomized participants, bulk-created."""
    import random
    from datetime import UTC, datetime

    from django.db import transaction

    from psytrial.web.forms.models import FormRecord, FormVersion
    from psytrial.web.randomization.models import AllocationList
    from psytrial.web.sealing import seal
    from psytrial.web.trial.actions import create_study, create_user

    study = create_study((ROOT / "protocols" / "kpt2002.yaml").read_text(), source="kpt2002")
    users = (create_user("bench_loader", PASSWORD), create_user("bench_checker", PASSWORD))
    rng = random.Random(2002)
    start = datetime(2019, 1, 7, 9, tzinfo=UTC)
    records = 0
    with transaction.atomic():
        allocation = AllocationList.objects.create(
            study=study,
            commitment="0" * 64,
            seeded=True,
            parameters={},
            created_by=users[0],
            created_at=start,
            how="generated",
            sealed_csv=seal({"csv": ""}),
        )
        for first in range(0, n, 500):
            people = _bulk_people(
                study, allocation, users, rng, start, range(first, min(n, first + 500))
            )
            entries = [e for p, end in people for e in _entries(p, end, rng)]
            made = FormRecord.objects.bulk_create(
                [
                    FormRecord(
                        participant=p,
                        instrument_id=i,
                        visit_id=v,
                        occurrence=o,
                        variant=w,
                        current_version=1,
                    )
                    for p, i, v, o, w, _, _ in entries
                ],
                batch_size=2000,
            )
            FormVersion.objects.bulk_create(
                [
                    FormVersion(record=r, version=1, data=e[5], saved_by=users[0], saved_at=e[6])
                    for r, e in zip(made, entries, strict=True)
                ],
                batch_size=2000,
            )
            records += len(made)
    return study, records


def _bulk_people(
    study: Any, allocation: Any, users: Any, rng: Any, start: Any, numbers: range
) -> list[tuple[Any, int]]:
    from datetime import timedelta
    from decimal import Decimal

    from psytrial.web.pharmacy.models import Administration, DosePreparation
    from psytrial.web.randomization.models import AllocationSlot
    from psytrial.web.sealing import seal
    from psytrial.web.trial.models import Participant

    site = study.sites.get()
    sealed_dose = seal({"benchmark": True})
    people, ends = [], []
    for i in numbers:
        day = start + timedelta(days=i // 10)
        end = 24 if rng.random() < 0.9 else rng.randint(2, 23)  # 10 % leave early
        people.append(
            Participant(
                study=study,
                site=site,
                code=f"SPB-{i + 1:05d}",
                screened_at=day,
                status="completed" if end == 24 else "withdrawn",
                stratum="sex=male",
                kit_code=f"K{i:08d}",
                randomized_at=day + timedelta(days=2),
                drug_session_at=day + timedelta(days=7),
            )
        )
        ends.append(end)
    people = Participant.objects.bulk_create(people, batch_size=2000)
    AllocationSlot.objects.bulk_create(
        [
            AllocationSlot(
                allocation=allocation,
                stratum="sex=male",
                sequence=int(p.code[4:]),
                kit_code=p.kit_code,
                arm_sealed=seal({"arm": rng.choice(["high", "low"])}),
                participant=p,
                taken_at=p.randomized_at,
            )
            for p in people
        ],
        batch_size=2000,
    )
    preps = DosePreparation.objects.bulk_create(
        [
            DosePreparation(
                participant=p,
                kit_code=p.kit_code,
                weight_kg=Decimal("70.0"),
                weight_source="baseline_form",
                sealed=sealed_dose,
                total_ml=Decimal("5.0"),
                volume_per_site_ml=Decimal("5.0"),
                injection_sites=1,
                prepared_by=users[0],
                prepared_at=p.randomized_at,
                checked_by=users[1],
                checked_at=p.randomized_at,
            )
            for p in people
        ],
        batch_size=2000,
    )
    Administration.objects.bulk_create(
        [
            Administration(
                participant=p,
                preparation=prep,
                kit_code=p.kit_code,
                volume_ml=Decimal("5.0"),
                administered_at=p.drug_session_at,
                recorded_by=users[0],
                recorded_at=p.drug_session_at,
            )
            for p, prep in zip(people, preps, strict=True)
        ],
        batch_size=2000,
    )
    return list(zip(people, ends, strict=True))


ELIGIBLE = {
    "heroin_dependence": True,
    "detoxified": True,
    "age_18_to_60": True,
    "informed_consent": True,
    "psychosis": False,
    "cardiovascular": False,
    "other_dependence": False,
    "pregnancy": False,
}
COLOURS = ["grey", "blue", "green", "red", "yellow", "violet", "brown", "black"]
CONCEPTS = ["myself", "my_future", "heroin", "my_ideal_self", "my_life_without_heroin"]


def _entries(p: Any, end: int, rng: Any) -> list[tuple[Any, ...]]:
    """(participant, instrument, visit, occurrence, variant, data, saved_at) of one person."""
    from datetime import timedelta

    from psytrial.core.instruments.hrs_bank import BUILTIN_ITEMS

    screened, session = p.screened_at, p.drug_session_at
    ranking = rng.sample(COLOURS, len(COLOURS))
    out = [
        (p, "eligibility", "screening", 1, "", ELIGIBLE, screened),
        (
            p,
            "consent",
            "screening",
            1,
            "",
            {
                "consent_version": "2.1",
                "consent_date": screened.date().isoformat(),
                "taken_by": "Dr B",
            },
            screened,
        ),
        (
            p,
            "baseline",
            "baseline",
            1,
            "",
            {"age": rng.randint(18, 45), "sex": "male", "weight_kg": 70.0, "years_heroin_use": 6.0},
            screened,
        ),
        (p, "craving", "baseline", 1, "", {"value": float(rng.randint(30, 90))}, screened),
        (
            p,
            "colour_test",
            "baseline",
            1,
            "",
            {
                **{f"rank_{k}": c for k, c in enumerate(ranking, 1)},
                **{f"concept_{c}": rng.choice(COLOURS) for c in CONCEPTS},
            },
            screened,
        ),
        (
            p,
            "hrs",
            "session",
            1,
            "",
            {item.id: rng.randint(0, 4) for item in BUILTIN_ITEMS},
            session,
        ),
    ]
    for who in ("participant", "therapist", "rater"):
        out.append(
            (
                p,
                "blinding_guess",
                "integration1",
                1,
                who,
                {
                    "guesser_role": who,
                    "guessed_arm": rng.choice(["high", "low", "dont_know"]),
                    "confidence": rng.randint(0, 100),
                },
                session + timedelta(days=1),
            )
        )
    using = False
    for month in range(1, end + 1):
        day = session + timedelta(days=30 * month)
        using = using or rng.random() < 0.07
        out.append(
            (
                p,
                "followup",
                f"m{month:02d}",
                1,
                "",
                {
                    "heroin_use": using,
                    "urine": "positive" if using else "negative",
                    "collateral": "unknown",
                    "first_use_date": None,
                },
                day,
            )
        )
        if month in (1, 3, 6, 12, 18, 24):
            out.append(
                (p, "craving", f"m{month:02d}", 1, "", {"value": float(rng.randint(0, 90))}, day)
            )
    if end < 24:
        day = session + timedelta(days=30 * end + 3)
        out.append(
            (
                p,
                "withdrawal",
                "",
                1,
                "",
                {"kind": "withdrew", "date": day.date().isoformat(), "reason": "moved"},
                day,
            )
        )
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("--setup", "--export"):
        import django

        django.setup()
        {"--setup": setup_child, "--export": export_child}[sys.argv[1]]()
    else:
        main()
