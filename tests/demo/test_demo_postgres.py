"""The demo on PostgreSQL gives the same results.json as on SQLite, byte for byte.

Runs only where a PostgreSQL server answers (PSYTRIAL_POSTGRES_URL, default the development
server at 127.0.0.1:5432, database `test`, used only to CREATE and DROP a fresh database).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.demo.runs import run_demo

SERVER = os.environ.get("PSYTRIAL_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
SEED, PARTICIPANTS = 5, 6


def _admin() -> object:
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(
            SERVER.replace("postgres://", "postgresql://", 1), autocommit=True, connect_timeout=3
        )
    except psycopg.OperationalError:
        pytest.skip(f"no PostgreSQL server answers at {SERVER}")


@pytest.fixture
def fresh_database() -> Iterator[str]:
    name = f"psytrial_demo_test_{os.getpid()}"
    with _admin() as con:  # type: ignore[attr-defined]
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with _admin() as con:  # type: ignore[attr-defined]
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_it_gives_the_same_results_on_postgresql_as_on_sqlite(
    tmp_path: Path, fresh_database: str
) -> None:
    on_postgres = run_demo(
        tmp_path / "pg",
        seed=SEED,
        participants=PARTICIPANTS,
        extra=("--database-url", fresh_database),
    )
    assert on_postgres.returncode == 0, on_postgres.stderr[-3000:]
    assert not (tmp_path / "pg" / "db.sqlite3").exists()
    assert "DATABASE_URL=postgres://" in on_postgres.stdout.replace("\n", "")
    on_sqlite = run_demo(tmp_path / "sqlite", seed=SEED, participants=PARTICIPANTS)
    assert on_sqlite.returncode == 0, on_sqlite.stderr[-3000:]
    pg_results = (tmp_path / "pg" / "results.json").read_bytes()
    assert pg_results == (tmp_path / "sqlite" / "results.json").read_bytes()
