"""Running `psytrial demo` in a child process, as a user does, for the demo's tests.

The demo configures Django itself (its own database and keys), so it cannot run inside the
test process, whose Django is already set up on the test database. Runs are cached per
(seed, participants, sites) for the test session: several tests read the same run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PSYTRIAL = [sys.executable, "-m", "psytrial.cli.main"]
TIMEOUT_S = 1800


@dataclass(frozen=True)
class Finished:
    out: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def env(self) -> dict[str, str]:
        """The environment that reopens this run's study (`psytrial serve`, `audit verify`)."""
        return child_env(
            DATABASE_URL=f"sqlite:///{self.out / 'db.sqlite3'}",
            PSYTRIAL_HOME=str(self.out / "keys"),
        )


def child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "PSYTRIAL_HOME",
            "DJANGO_SETTINGS_MODULE",
            "PSYTRIAL_SEAL_KEY",
            "PSYTRIAL_SECRET_KEY",
        )
    }
    env["COLUMNS"] = "120"
    env.update(extra)
    return env


def run_psytrial(
    args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PSYTRIAL, *args],
        capture_output=True,
        text=True,
        env=env or child_env(),
        cwd=cwd,
        timeout=TIMEOUT_S,
        check=False,
    )


def run_demo(
    out: Path, *, seed: int, participants: int, sites: int = 1, extra: tuple[str, ...] = ()
) -> Finished:
    args = [
        "demo",
        "--out",
        str(out),
        "--seed",
        str(seed),
        "--participants",
        str(participants),
        "--sites",
        str(sites),
        "--no-serve",
        *extra,
    ]
    done = run_psytrial(args, cwd=out.parent)
    return Finished(out, done.returncode, done.stdout, done.stderr)
