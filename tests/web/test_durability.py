"""Durability: the real server killed with SIGKILL in the middle of a stream of form saves.

`psytrial serve` (gunicorn, 2 workers x 4 threads) runs in a subprocess on a free port, on a
new SQLite file (WAL) and PSYTRIAL_HOME. Four client threads, one participant each, stream
adverse-event forms through the JSON API with a token: each form is created (version 1) and
then corrected (version 2, with a reason). When half the saves are acknowledged, the whole
server process group is killed with SIGKILL; it is started again and the streams carry on
to the end. Then, with the server stopped:

- every save acknowledged with HTTP 200 is in the database, with the data that was sent;
- nothing is half-written: each form's current_version is its latest FormVersion, versions
  run 1..n with no gap, and there is exactly one `form.saved` audit entry per version;
- `psytrial audit verify` passes;
- the server answered again after the restart (saves acknowledged after it).

Run alone with the figures printed:
    .venv/bin/python -m pytest tests/web/test_durability.py -s
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PROTOCOL = Path(__file__).resolve().parents[2] / "protocols" / "kpt2002.yaml"
STREAMS = 4
SAVES = 1000  # in all; the kill comes when half are acknowledged
ADVERSE = {
    "term": "Headache",
    "onset_date": "2024-03-01",
    "serious": False,
    "severity": "mild",
    "related": "possible",
    "outcome": "recovered",
}
SETUP = """
import json, sys
from psytrial.web.bootstrap import migrate
migrate()
from psytrial.core.roles import Role
from psytrial.web.accounts.actions import issue_token
from psytrial.web.enrolment.actions import screen
from psytrial.web.trial.actions import create_study, create_user, grant_role
study = create_study(open(sys.argv[1]).read(), source="kpt2002.yaml")
user = create_user("investigator", "correct horse battery staple 42")
grant_role(user, study, Role.INVESTIGATOR)
site = study.sites.get(code="spb")
pks = [screen(user, study, site).pk for _ in range(int(sys.argv[2]))]
print(json.dumps({"token": issue_token(user, "durability"), "code": study.code, "pks": pks}))
"""


@dataclass
class Env:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "db.sqlite3"

    def variables(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.database}",
            "PSYTRIAL_HOME": str(self.root / "home"),
            "PSYTRIAL_LOG_LEVEL": "ERROR",
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            env=self.variables(),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=300,
        )


class Server:
    """`psytrial serve` in its own process group, so SIGKILL takes the workers too."""

    def __init__(self, env: Env, port: int) -> None:
        self.env, self.port = env, port
        self.process: subprocess.Popen[bytes] | None = None
        self.log = open(env.root / "server.log", "ab")  # noqa: SIM115

    def start(self) -> float:
        """Start and wait until it answers; seconds from start to the first answer."""
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "psytrial.cli.main", "serve", "--port", str(self.port)],
            env=self.env.variables() | {"PSYTRIAL_WORKERS": "2"},
            cwd=self.env.root,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )
        while time.monotonic() - started < 120:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {(self.env.root / 'server.log').read_text()}")
            if self.answers():
                return time.monotonic() - started
            time.sleep(0.05)
        raise AssertionError("server did not answer within 120 s")

    def answers(self) -> bool:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@dataclass
class Tally:
    """Shared by the client threads."""

    acknowledged: list[tuple[int, int, int, dict[str, Any]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    down: threading.Event = field(default_factory=threading.Event)
    up: threading.Event = field(default_factory=threading.Event)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


class Stream(threading.Thread):
    """One participant's forms: occurrence k is saved as version 1, then corrected as 2."""

    def __init__(self, port: int, token: str, code: str, pk: int, tally: Tally) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.pk, self.tally = port, token, pk, tally
        self.prefix = f"/api/forms/{code}/participants/{pk}/adverse_event/-/"
        self.occurrence, self.version = 1, 1  # the next save
        self.connection: http.client.HTTPConnection | None = None

    def run(self) -> None:
        while self.tally.count() < SAVES:
            try:
                self.save()
            except (OSError, http.client.HTTPException):
                self.connection = None
                self.tally.down.set()
                self.tally.up.wait(timeout=180)
                self.resync()

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        payload = json.dumps(body).encode() if body is not None else None
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        return response.status, json.loads(response.read() or b"null")

    def save(self) -> None:
        data = ADVERSE | {"term": f"Headache {self.pk}/{self.occurrence}/{self.version}"}
        body = {
            "data": data,
            "expected_version": self.version - 1,
            "reason": "corrected term" if self.version > 1 else "",
        }
        status, answer = self.request("PUT", f"{self.prefix}{self.occurrence}", body)
        if status != 200 or answer["version"] != self.version:
            with self.tally.lock:
                self.tally.errors.append(f"{self.prefix}{self.occurrence}: {status} {answer}")
            raise AssertionError(f"save refused: {status} {answer}")
        with self.tally.lock:
            self.tally.acknowledged.append((self.pk, self.occurrence, self.version, data))
        self.advance()

    def advance(self) -> None:
        if self.version == 2:
            self.occurrence, self.version = self.occurrence + 1, 1
        else:
            self.version = 2

    def resync(self) -> None:
        """After the restart: a save in flight at the kill may or may not have committed."""
        _, answer = self.request("GET", f"{self.prefix}{self.occurrence}")
        if answer["version"] >= self.version:  # it did: move past it
            self.advance()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield Env(tmp_path)


def check_database(
    path: Path, acknowledged: list[tuple[int, int, int, dict[str, Any]]]
) -> dict[str, int]:
    """What the file holds, checked row by row; returns the figures."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        versions = {
            (pk, occ, version): json.loads(data)
            for pk, occ, version, data in db.execute(
                "SELECT r.participant_id, r.occurrence, v.version, v.data "
                "FROM forms_formversion v JOIN forms_formrecord r ON v.record_id = r.id "
                "WHERE r.instrument_id = 'adverse_event'"
            )
        }
        records = db.execute(
            "SELECT r.id, r.current_version, COUNT(v.id), COALESCE(MAX(v.version), 0) "
            "FROM forms_formrecord r LEFT JOIN forms_formversion v ON v.record_id = r.id "
            "GROUP BY r.id"
        ).fetchall()
        audited = db.execute(
            "SELECT COUNT(*) FROM audit_auditentry WHERE action = 'form.saved'"
        ).fetchone()[0]
    missing = [a for a in acknowledged if versions.get(a[:3]) != a[3]]
    assert missing == [], f"acknowledged saves missing or different: {missing[:5]}"
    half_written = [r for r in records if not (r[1] == r[2] == r[3])]
    assert half_written == [], f"current_version, version count, latest differ: {half_written}"
    assert audited == len(versions), "one form.saved audit entry per stored version"
    return {"found": len(versions), "forms": len(records)}


@pytest.mark.slow
def test_it_keeps_every_acknowledged_save_through_a_kill_9(env: Env) -> None:
    setup = env.run("-c", SETUP, str(PROTOCOL), str(STREAMS))
    assert setup.returncode == 0, setup.stderr
    made = json.loads(setup.stdout.strip().splitlines()[-1])
    server = Server(env, free_port())
    try:
        server.start()
        streaming = time.monotonic()
        tally = Tally()
        streams = [
            Stream(server.port, made["token"], made["code"], pk, tally) for pk in made["pks"]
        ]
        for stream in streams:
            stream.start()
        while tally.count() < SAVES // 2 and not tally.errors:
            time.sleep(0.01)
        before_kill = tally.count()
        rate = before_kill / (time.monotonic() - streaming)
        server.kill()
        killed_at = time.monotonic()
        tally.down.wait(timeout=30)
        restart = server.start()
        recovered = time.monotonic() - killed_at
        tally.up.set()
        for stream in streams:
            stream.join(timeout=300)
        assert tally.errors == []
        assert server.answers()
    finally:
        server.stop()
    acknowledged = tally.acknowledged
    assert len(acknowledged) >= SAVES and len(acknowledged) - before_kill >= SAVES // 3
    figures = check_database(env.database, acknowledged)
    verified = env.run("-m", "psytrial.cli.main", "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    print(
        f"\ndurability: {len(acknowledged)} saves acknowledged ({before_kill} before the "
        f"SIGKILL), {figures['found']} found after restart in {figures['forms']} forms, none "
        f"half-written; server answering {restart:.1f} s after restart "
        f"({recovered:.1f} s after the kill); {rate:.0f} saves/s before the kill with "
        f"{STREAMS} clients; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; "
        f"{verified.stdout.strip()}"
    )
