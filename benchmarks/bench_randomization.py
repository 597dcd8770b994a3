"""Randomization over HTTP under load: 20 concurrent clients against a live gunicorn server.

    .venv/bin/python benchmarks/bench_randomization.py [--participants 180] [--no-postgres]

For each database (SQLite in WAL mode; PostgreSQL too if it answers at 127.0.0.1:5432):
build a fresh study through the action functions (allocation list, ready participants in two
strata), start gunicorn (2 workers x 4 threads, `psytrial serve`'s settings) on it, then send, from 20 client threads with
one keep-alive connection each:

- POST /api/randomization/<study>/participants/<id>/randomize, each participant once: 30
  by one client alone (the service time without queueing), then the rest by all 20 clients
  in three rounds (the repeats);
- GET /healthz, a bare Django view on the same server, as the baseline (three rounds too).

Reported per endpoint: the median over the rounds of each round's median and 95th
percentile latency and of its throughput. The goal is p95 < 200 ms for randomization. Writes
benchmarks/results/randomization.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from baseline import baseline_tree, source_env

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "randomization.md"
CLIENTS = 20
ROUNDS = 3
BASELINE_PER_ROUND = 400
SINGLE = 30  # randomizations by one client alone first: the service time without queueing
GOAL_P95_MS = 200.0


@dataclass(frozen=True)
class Round:
    median_ms: float
    p95_ms: float
    throughput: float
    errors: int


@dataclass(frozen=True)
class Row:
    database: str
    endpoint: str
    requests: int
    median_ms: float
    p95_ms: float
    throughput: float
    errors: int


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(
    port: int,
    jobs: list[tuple[str, str, dict[str, str]]],
    latencies: list[float],
    errors: list[str],
    start: threading.Barrier,
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start.wait()
    for method, path, headers in jobs:
        begin = time.perf_counter()
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        latencies.append((time.perf_counter() - begin) * 1000)
        if response.status != 200:
            errors.append(f"{response.status} {body[:200]!r}")
    connection.close()


def _round(port: int, jobs: list[tuple[str, str, dict[str, str]]], clients: int = CLIENTS) -> Round:
    shares = [jobs[i::clients] for i in range(clients)]
    latencies: list[float] = []
    errors: list[str] = []
    start = threading.Barrier(clients + 1)
    threads = [
        threading.Thread(target=_client, args=(port, share, latencies, errors, start))
        for share in shares
    ]
    for t in threads:
        t.start()
    start.wait()
    begin = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - begin
    if errors:
        print(f"  {len(errors)} errors, first: {errors[0]}", file=sys.stderr)
    return Round(
        statistics.median(latencies), _p95(latencies), len(latencies) / elapsed, len(errors)
    )


def _summary(database: str, endpoint: str, rounds: list[Round], requests: int) -> Row:
    return Row(
        database,
        endpoint,
        requests,
        statistics.median(r.median_ms for r in rounds),
        statistics.median(r.p95_ms for r in rounds),
        statistics.median(r.throughput for r in rounds),
        sum(r.errors for r in rounds),
    )


def _prepare(participants: int) -> tuple[list[int], str]:
    """In a child process with the benchmark's DATABASE_URL: migrate, build, issue a token."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psytrial.web.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from psytrial.core.roles import Role
    from psytrial.web.accounts.actions import issue_token
    from psytrial.web.enrolment.actions import enter_form, screen
    from psytrial.web.randomization.actions import generate_list
    from psytrial.web.trial.actions import create_study, create_user, grant_role

    study = create_study((ROOT / "protocols" / "kpt2002.yaml").read_text())
    password = "benchmark passphrase 2002"
    investigator = create_user("bench_investigator", password)
    statistician = create_user("bench_statistician", password)
    grant_role(investigator, study, Role.INVESTIGATOR)
    grant_role(statistician, study, Role.RANDOMIZATION_STATISTICIAN)
    generate_list(statistician, study, n_per_stratum=participants, seed=2002)
    site = study.sites.get()
    eligible = {
        "heroin_dependence": "true",
        "detoxified": "true",
        "age_18_to_60": "true",
        "informed_consent": "true",
        "psychosis": "false",
        "cardiovascular": "false",
        "other_dependence": "false",
        "pregnancy": "false",
    }
    ids = []
    for i in range(participants):
        p = screen(investigator, study, site)
        enter_form(investigator, p, "eligibility", "screening", eligible)
        enter_form(
            investigator,
            p,
            "consent",
            "screening",
            {"consent_version": "1", "consent_date": "2024-01-02", "taken_by": "Dr B"},
        )
        enter_form(
            investigator,
            p,
            "baseline",
            "baseline",
            {
                "age": "30",
                "sex": "male" if i % 2 else "female",
                "weight_kg": "70",
                "years_heroin_use": "5",
            },
        )
        ids.append(p.pk)
    return ids, issue_token(investigator, "benchmark")


def _child_prepare(participants: int, out: Path) -> None:
    ids, token = _prepare(participants)
    out.write_text(json.dumps({"ids": ids, "token": token}))


def _start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "psytrial.web.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=env["PSYTRIAL_HOME"],
    )
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def _bench(
    database: str, url: str, participants: int, home: Path, tree: Path | None = None
) -> list[Row]:
    env = {
        **os.environ,
        **source_env(tree),  # a baseline tree's psytrial, for the server and the children
        "DATABASE_URL": url,
        "PSYTRIAL_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "psytrial.web.settings",
        "PSYTRIAL_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    prepared = home / "prepared.json"
    subprocess.run(
        [sys.executable, __file__, "--prepare", str(participants), str(prepared)],
        env=env,
        check=True,
    )
    data = json.loads(prepared.read_text())
    port = _free_port()
    server = _start_server(env, port)
    try:
        auth = {"Authorization": f"Bearer {data['token']}", "Content-Length": "0"}
        randomize = [
            ("POST", f"/api/randomization/kpt2002/participants/{pk}/randomize", auth)
            for pk in data["ids"]
        ]
        alone, randomize = randomize[:SINGLE], randomize[SINGLE:]
        per_round = len(randomize) // ROUNDS
        _round(port, [("GET", "/healthz", {})] * CLIENTS)  # warm both workers up
        single = [_round(port, alone, clients=1)]
        rounds = [
            _round(port, randomize[i * per_round : (i + 1) * per_round]) for i in range(ROUNDS)
        ]
        base = [_round(port, [("GET", "/healthz", {})] * BASELINE_PER_ROUND) for _ in range(ROUNDS)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return [
        _summary(database, "POST .../randomize, 1 client", single, SINGLE),
        _summary(database, f"POST .../randomize, {CLIENTS} clients", rounds, per_round * ROUNDS),
        _summary(
            database,
            f"GET /healthz (bare view), {CLIENTS} clients",
            base,
            BASELINE_PER_ROUND * ROUNDS,
        ),
    ]


def _postgres_url() -> str | None:
    try:
        import psycopg
    except ImportError:
        return None
    for user in ("postgres", "root"):
        try:
            with psycopg.connect(
                host="127.0.0.1",
                port=5432,
                user=user,
                dbname="postgres",
                connect_timeout=3,
                autocommit=True,
            ) as conn:
                conn.execute("DROP DATABASE IF EXISTS psytrial_bench_randomization")
                conn.execute("CREATE DATABASE psytrial_bench_randomization")
                return f"postgres://{user}@127.0.0.1:5432/psytrial_bench_randomization"
        except psycopg.OperationalError:
            continue
    return None


def _drop_postgres(url: str) -> None:
    import psycopg

    user = url.split("//", 1)[1].split("@", 1)[0]
    with psycopg.connect(
        host="127.0.0.1", port=5432, user=user, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute("DROP DATABASE IF EXISTS psytrial_bench_randomization")


def _markdown(rows: list[Row], participants: int, seconds: float) -> str:
    lines = [
        "## Randomization under concurrent load",
        "",
        f"{CLIENTS} concurrent HTTP clients (keep-alive, no pause between requests) against "
        "gunicorn (2 workers x 4 threads, gthread: `psytrial serve`'s settings) on the same machine; each participant "
        f"randomized once: {SINGLE} by one client alone (the service time), then "
        f"{ROUNDS} rounds of {(participants - SINGLE) // ROUNDS} by {CLIENTS} clients; a bare "
        f"Django view (`/healthz`) on the same server as the baseline ({ROUNDS} rounds of "
        f"{BASELINE_PER_ROUND} requests). Latency and throughput are medians over the rounds "
        "of each round's median, 95th percentile and requests per second.",
        "",
        "| database | endpoint | requests | median (ms) | p95 (ms) | throughput (req/s) | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.database} | {r.endpoint} | {r.requests} | {r.median_ms:.1f} | "
            f"{r.p95_ms:.1f} | {r.throughput:.0f} | {r.errors} |"
        )
    verdicts = [
        f"{r.database}: p95 {r.p95_ms:.0f} ms, goal < {GOAL_P95_MS:.0f} ms "
        f"{'met' if r.p95_ms < GOAL_P95_MS else 'NOT met'}"
        for r in rows
        if f"randomize, {CLIENTS}" in r.endpoint and ", baseline" not in r.database
    ]
    lines += [
        "",
        "Goal: p95 < 200 ms for randomization. " + "; ".join(verdicts) + ".",
        "",
        "Reading the numbers: randomizations of a study are serialized (the list's row lock, "
        "and the audit chain head that every audited write takes), and clients that never "
        "pause keep the queue full, so under load a request mostly waits for those ahead of "
        f"it: latency is about {CLIENTS} / throughput. The 1-client rows give the service "
        "time. On SQLite writers take turns through psytrial's write queue (a waiting writer "
        "is let in when the turn frees, not after SQLite's busy-handler sleeps of up to "
        "100 ms); PostgreSQL queues on row locks, and every statement inside the lock is a "
        "round trip to the server, which is why its service time and its tail are longer. "
        "The rounds are short (60 requests), so the p95 moves by tens of milliseconds "
        "between runs.",
        "",
        f"Machine: {platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, shared with other work while measuring (load average "
        f"{os.getloadavg()[0]:.1f} at the end). Run time "
        f"{seconds:.0f} s. Command: `.venv/bin/python benchmarks/bench_randomization.py "
        "[--baseline REV]` (rows marked baseline: the server of that revision, measured in "
        "the same run, right after this tree's).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=210)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also measure the server of this git revision (a worktree), on fresh databases",
    )
    parser.add_argument("--prepare", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        _child_prepare(int(args.prepare[0]), Path(args.prepare[1]))
        return
    began = time.perf_counter()
    rows: list[Row] = []
    work = Path(tempfile.mkdtemp(prefix="psytrial-bench-"))
    try:
        with baseline_tree(args.baseline) as baseline:
            trees: list[tuple[str, Path | None]] = [("", None)]
            if baseline is not None:
                trees.append((f", baseline {args.baseline}", baseline))
            for suffix, tree in trees:  # this tree's server, then the baseline's, per database
                url = None if args.no_postgres else _postgres_url()  # a fresh database each time
                sqlite_home = work / f"sqlite{len(rows)}"
                sqlite_home.mkdir()
                print(f"SQLite{suffix} ...", file=sys.stderr)
                rows += _bench(
                    f"SQLite (WAL){suffix}",
                    f"sqlite:///{sqlite_home / 'db.sqlite3'}",
                    args.participants,
                    sqlite_home,
                    tree,
                )
                if url is not None:
                    pg_home = work / f"postgres{len(rows)}"
                    pg_home.mkdir()
                    print(f"PostgreSQL{suffix} ...", file=sys.stderr)
                    try:
                        rows += _bench(
                            f"PostgreSQL{suffix}", url, args.participants, pg_home, tree
                        )
                    finally:
                        _drop_postgres(url)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = _markdown(rows, args.participants, time.perf_counter() - began)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
