"""Backup and restore: a randomized, dosed study round-trips exactly; bad files change nothing.

The study is built through the action functions (`hardening_world`), backed up in this
process, restored with the real command (`psytrial restore`) into a new database in a
subprocess, and backed up again from there: the two backups must hold identical rows, counts,
audit head and sealed values. The target is a new SQLite file, and also a new PostgreSQL
database when PSYTRIAL_TEST_POSTGRES=1 (server at PSYTRIAL_POSTGRES_URL, default
postgres://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from psytrial.web.audit import trail
from psytrial.web.backup import (
    BackupError,
    backed_up_models,
    dump,
    read_backup,
    sealed_tokens,
    write_backup,
)
from psytrial.web.restore import restore_backup
from tests.web.hardening_world import World, build_world, sim_clock_fixture  # noqa: F401
from tests.web.personas import Personas

POSTGRES_URL = os.environ.get("PSYTRIAL_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(people: Personas, sim_clock: Any) -> World:
    return build_world(people, sim_clock)


@pytest.fixture
def backup_file(world: World, tmp_path: Path) -> Path:
    path = tmp_path / "study.psytrial.gz"
    write_backup(path)
    return path


@pytest.fixture
def small_backup(people: Personas, tmp_path: Path) -> Path:
    """A backup of a study with its team only: enough for the tests of damaged files."""
    path = tmp_path / "small.psytrial.gz"
    write_backup(path)
    return path


def psytrial(tmp_path: Path, database_url: str, *args: str, **env: str) -> Any:
    """Run the real command in a subprocess on `database_url`, with this process's seal key."""
    full = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PSYTRIAL_HOME": str(tmp_path / "home"),
        "PSYTRIAL_SEAL_KEY": settings.SEAL_KEY,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "psytrial.cli.main", *args],
        env=full,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )


def one_line_error(done: Any) -> str:
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("psytrial: error: "), done.stderr
    return str(lines[0])


def sqlite_rows(path: Path) -> int:
    """Rows in psytrial's own tables of a SQLite file (0 if the file or tables are absent)."""
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if name.split("_")[0] in {"trial", "audit", "forms", "pharmacy", "auth"}
            and name not in ("auth_permission", "audit_chainhead")
        ]
        return sum(db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: Any, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    if os.environ.get("PSYTRIAL_TEST_POSTGRES") != "1":
        pytest.skip("PostgreSQL restore: set PSYTRIAL_TEST_POSTGRES=1 (scripts/check does)")
    import psycopg

    server = POSTGRES_URL.replace("postgres://", "postgresql://")
    name = f"psytrial_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- the round trip ------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_round_trips_a_randomized_and_dosed_study_exactly(
    world: World, backup_file: Path, empty_database: str, tmp_path: Path
) -> None:
    header, body = read_backup(backup_file)
    assert header["counts"]["trial.participant"] == 2
    assert header["counts"]["pharmacy.administration"] == 2
    assert header["audit"]["seq"] == trail.head()[0] > 30
    assert header["sealed"]["count"] >= 4  # at least: two allocations, two dose preparations

    restored = psytrial(tmp_path, empty_database, "restore", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    assert "audit chain verified" in restored.stdout
    assert "The seal key is NOT in the backup" in restored.stdout

    again = tmp_path / "again.psytrial.gz"
    made = psytrial(tmp_path, empty_database, "backup", str(again))
    assert made.returncode == 0, made.stderr
    header2, body2 = read_backup(again)
    assert body2 == body
    for key in ("counts", "audit", "sealed", "migrations"):
        assert header2[key] == header[key], key

    verified = psytrial(tmp_path, empty_database, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"{header['audit']['seq']} entries, head {header['audit']['hash']}" in verified.stdout
    if empty_database.startswith("postgres"):
        # And back: the backup taken from PostgreSQL restores into SQLite just as exactly.
        back = f"sqlite:///{tmp_path / 'back.sqlite3'}"
        assert psytrial(tmp_path, back, "restore", str(again)).returncode == 0
        third = tmp_path / "third.psytrial.gz"
        assert psytrial(tmp_path, back, "backup", str(third)).returncode == 0
        assert read_backup(third)[1] == body


@pytest.mark.django_db
def test_it_keeps_sealed_values_sealed_and_the_key_out_of_the_file(
    world: World, backup_file: Path
) -> None:
    text = gzip.decompress(backup_file.read_bytes()).decode()
    _, body = read_backup(backup_file)
    tokens = list(sealed_tokens(body))
    fernet = Fernet(settings.SEAL_KEY.encode())
    opened = [fernet.decrypt(t.encode()).decode() for t in tokens]
    assert settings.SEAL_KEY not in text
    assert [p for p in opened if p in text] == []  # no sealed payload in clear
    assert world.preparations["high"].sealed in tokens
    assert world.preparations["low"].sealed in tokens


# ---- refusals that change nothing ----------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_to_restore_into_a_database_holding_data(backup_file: Path) -> None:
    before = dump(backed_up_models())
    with pytest.raises(
        BackupError,
        match="expected an empty database to restore into, got one holding .*2 trial.participant",
    ):
        restore_backup(backup_file)
    assert dump(backed_up_models()) == before


def corrupt(source: Path, target: Path, how: str) -> Path:
    raw = source.read_bytes()
    content = gzip.decompress(raw)
    header, _, body = content.partition(b"\n")
    if how == "truncated":
        target.write_bytes(raw[: len(raw) // 2])
    elif how == "bit flipped":
        middle = len(raw) // 2
        target.write_bytes(raw[:middle] + bytes([raw[middle] ^ 0x10]) + raw[middle + 1 :])
    elif how == "empty":
        target.write_bytes(b"")
    elif how == "not gzip":
        target.write_bytes(content)
    elif how == "body edited":  # a valid gzip whose body no longer matches its checksum
        edited = body.replace(b'"kpt2002"', b'"kpt2003"', 1)
        assert edited != body
        target.write_bytes(gzip.compress(header + b"\n" + edited))
    elif how == "other format":
        target.write_bytes(gzip.compress(b'{"format": "something-else"}\n[]'))
    elif how == "newer version":
        newer = json.loads(header) | {"format_version": 99}
        target.write_bytes(gzip.compress(json.dumps(newer).encode() + b"\n" + body))
    return target


DAMAGES = {
    "truncated": "damaged or truncated",
    "bit flipped": "damaged or truncated",
    "empty": "damaged or truncated|another format",
    "not gzip": "damaged or truncated",
    "body edited": "does not match its checksum",
    "other format": "got a file of another format",
    "newer version": "of format version 1, got version 99",
}


@pytest.mark.django_db
@pytest.mark.parametrize("how", list(DAMAGES))
def test_it_refuses_a_damaged_backup_before_touching_the_database(
    small_backup: Path, tmp_path: Path, how: str
) -> None:
    bad = corrupt(small_backup, tmp_path / "bad.gz", how)
    before = dump(backed_up_models())
    with pytest.raises(BackupError, match=DAMAGES[how]) as caught:
        restore_backup(bad)
    assert "\n" not in str(caught.value)
    assert dump(backed_up_models()) == before


@pytest.mark.django_db
def test_it_reports_a_damaged_backup_in_one_line_and_leaves_the_new_database_empty(
    small_backup: Path, tmp_path: Path
) -> None:
    target = tmp_path / "new.sqlite3"
    bad = corrupt(small_backup, tmp_path / "bad.gz", "truncated")
    done = psytrial(tmp_path, f"sqlite:///{target}", "restore", str(bad))
    assert "damaged or truncated" in one_line_error(done)
    assert sqlite_rows(target) == 0


@pytest.mark.django_db
def test_it_refuses_a_backup_whose_seals_this_key_cannot_open(
    backup_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "new.sqlite3"
    other_key = Fernet.generate_key().decode()
    done = psytrial(
        tmp_path, f"sqlite:///{target}", "restore", str(backup_file), PSYTRIAL_SEAL_KEY=other_key
    )
    message = one_line_error(done)
    found = re.search(
        r"open with this installation's seal key, got (\d+) of (\d+) that do", message
    )
    assert found and found[1] == found[2] == str(
        len(list(sealed_tokens(read_backup(backup_file)[1])))
    )
    assert sqlite_rows(target) == 0


@pytest.mark.django_db
def test_it_rolls_the_load_back_when_the_restored_audit_chain_does_not_verify(
    backup_file: Path, tmp_path: Path
) -> None:
    """A body edited together with its checksum loads, but the audit chain catches it, and
    the whole load is undone."""
    header, body = read_backup(backup_file)
    # By its place in the chain, not its id: PostgreSQL's id sequences run on across tests.
    entry = next(r for r in body if r["model"] == "audit.auditentry" and r["fields"]["seq"] == 3)
    entry["fields"]["actor"] = "someone_else"
    forged = json.dumps(body, separators=(",", ":")).encode()

    header |= {"body_sha256": hashlib.sha256(forged).hexdigest(), "body_bytes": len(forged)}
    bad = tmp_path / "forged.gz"
    bad.write_bytes(gzip.compress(json.dumps(header).encode() + b"\n" + forged))
    target = tmp_path / "new.sqlite3"
    done = psytrial(tmp_path, f"sqlite:///{target}", "restore", str(bad))
    assert "expected an intact audit chain after loading, got it broken at entry 3" in (
        one_line_error(done)
    )
    assert sqlite_rows(target) == 0


@pytest.mark.django_db
def test_it_refuses_a_backup_of_another_schema(small_backup: Path, tmp_path: Path) -> None:
    content = gzip.decompress(small_backup.read_bytes())
    header_bytes, _, body = content.partition(b"\n")
    header = json.loads(header_bytes)
    header["migrations"]["forms"].append("0099_from_the_future")
    other = tmp_path / "other.gz"
    other.write_bytes(gzip.compress(json.dumps(header).encode() + b"\n" + body))
    with pytest.raises(BackupError, match="forms: backup up to 0099_from_the_future"):
        restore_backup(other)


# ---- writing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_to_overwrite_a_file_unless_forced(world: World, tmp_path: Path) -> None:
    path = tmp_path / "b.gz"
    path.write_bytes(b"precious")
    with pytest.raises(BackupError, match="expected a new file name, got an existing file"):
        write_backup(path)
    assert path.read_bytes() == b"precious"
    write_backup(path, overwrite=True)
    assert read_backup(path)[0]["counts"]["trial.participant"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.gz"]  # no partial file left


@pytest.mark.django_db
def test_it_records_what_the_backup_holds_in_its_header(world: World, tmp_path: Path) -> None:
    path = tmp_path / "b.gz"
    info = write_backup(path)
    header, body = read_backup(path)
    assert header["format"] == "psytrial-backup" and header["format_version"] == 1
    assert header["seal_key_included"] is False and "seal key" in header["note"]
    assert (info.audit_seq, info.audit_hash) == trail.head()
    assert info.audit_verified
    assert sum(header["counts"].values()) == len(body) == info.rows
    assert header["counts"]["auth.user"] == 13  # 11 personas, the outsider, a second pharmacist
    assert "0002_append_only" in header["migrations"]["audit"]
