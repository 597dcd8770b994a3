"""Concurrent randomization against a live server, on SQLite and (if asked) on PostgreSQL.

Each database runs `test_randomization_live.py` in a fresh pytest process (see its
docstring for why and for what it checks); this test fails with that process's output when
any check there fails. PostgreSQL: set PSYTRIAL_TEST_POSTGRES=1; the server is expected at
127.0.0.1:5432 with trust authentication, as user postgres or root, database `test`
(pytest-django creates its own test database next to it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIVE_MODULE = "tests/web/test_randomization_live.py"


def _run(kind: str, env_extra: dict[str, str], tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PSYTRIAL_TEST_POSTGRES", "DATABASE_URL", "PYTEST_ADDOPTS")
    }
    env.update(
        {"PSYTRIAL_LIVE_CONCURRENCY": kind, "PSYTRIAL_HOME": str(tmp_path / "home"), **env_extra}
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            LIVE_MODULE,
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::DeprecationWarning",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and "skipped" not in output, output[-3000:]


@pytest.mark.slow
def test_concurrent_randomization_on_sqlite(tmp_path: Path) -> None:
    _run(
        "sqlite",
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'live.sqlite3'}",
            "PSYTRIAL_LIVE_DB_FILE": str(tmp_path / "test_live.sqlite3"),
        },
        tmp_path,
    )


def _postgres_user() -> str:
    import psycopg

    for user in ("postgres", "root"):
        try:
            with psycopg.connect(
                host="127.0.0.1", port=5432, user=user, dbname="test", connect_timeout=5
            ):
                return user
        except psycopg.OperationalError:
            continue
    pytest.fail(
        "PSYTRIAL_TEST_POSTGRES=1, but neither postgres nor root can connect to "
        "database test at 127.0.0.1:5432"
    )


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("PSYTRIAL_TEST_POSTGRES") != "1",
    reason="set PSYTRIAL_TEST_POSTGRES=1 to run against PostgreSQL",
)
def test_concurrent_randomization_on_postgresql(tmp_path: Path) -> None:
    user = _postgres_user()
    _run("postgres", {"DATABASE_URL": f"postgres://{user}@127.0.0.1:5432/test"}, tmp_path)
