"""The SQLite backend's write queue (psytrial.web.sqlite.base): writers wait their turn, are
let in when the turn is free, and are never stuck: a lock that is never released falls back
to SQLite's own busy handling after the connection's timeout."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler, OperationalError


@pytest.fixture(autouse=True)
def own_databases(django_db_blocker: Any) -> Any:
    """These tests open their own database files, not the test database."""
    with django_db_blocker.unblock():
        yield


def _handler(path: Path, timeout: float = 30) -> ConnectionHandler:
    return ConnectionHandler(
        {
            "default": {
                "ENGINE": "psytrial.web.sqlite",
                "NAME": str(path),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
            }
        }
    )


def _begin(connection: Any) -> None:
    """What `transaction.atomic()` does on entry, on this connection."""
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _commit(connection: Any) -> None:
    connection.commit()
    connection.set_autocommit(True)


def _table(handler: ConnectionHandler) -> None:
    with handler["default"].cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")


def test_a_second_writer_begins_only_after_the_first_commits(tmp_path: Path) -> None:
    handler = _handler(tmp_path / "q.sqlite3")
    _table(handler)
    order: list[str] = []
    errors: list[BaseException] = []
    first_in, second_tries = threading.Event(), threading.Event()

    def first() -> None:
        try:
            _first()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
            first_in.set()

    def _first() -> None:
        connection = handler["default"]  # this thread's own connection
        _begin(connection)
        order.append("first begins")
        # The turn is held in the queue's lock file, where other processes look for it.
        probe = os.open(str(tmp_path / "q.sqlite3-writers"), os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(probe)
        first_in.set()
        second_tries.wait(5)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
        threading.Event().wait(0.2)  # the second writer is waiting now
        order.append("first commits")
        _commit(connection)
        connection.close()

    def second() -> None:
        first_in.wait(5)
        connection = handler["default"]
        second_tries.set()
        _begin(connection)  # queues behind the first
        order.append("second begins")
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        _commit(connection)
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors, errors
    assert order == ["first begins", "first commits", "second begins"]
    with handler["default"].cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        assert cursor.fetchall() == [(1,), (2,)]


def test_a_rollback_and_a_close_free_the_turn(tmp_path: Path) -> None:
    handler = _handler(tmp_path / "q.sqlite3", timeout=0.3)
    _table(handler)
    connection = handler["default"]
    _begin(connection)
    connection.rollback()
    connection.set_autocommit(True)
    _begin(connection)
    connection.close()  # in the middle of a transaction: the turn goes with the connection
    lock = os.open(str(tmp_path / "q.sqlite3-writers"), os.O_RDWR)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: no BlockingIOError
    finally:
        os.close(lock)


def test_a_turn_never_given_back_ends_in_sqlites_own_error_not_a_hang(tmp_path: Path) -> None:
    """Another process holds the queue and the database's write lock: after the timeout the
    writer goes on to BEGIN IMMEDIATE, and SQLite reports the database locked."""
    path = tmp_path / "q.sqlite3"
    handler = _handler(path, timeout=0.3)
    _table(handler)
    squatter = os.open(str(path) + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(squatter, fcntl.LOCK_EX)
    import sqlite3

    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        connection = handler["default"]
        with pytest.raises(OperationalError, match="locked"):
            _begin(connection)
        connection.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        os.close(squatter)


def test_a_turn_held_only_in_the_queue_falls_back_to_begin(tmp_path: Path) -> None:
    """The queue's lock file held by a stranger, the database free: the writer waits out its
    timeout, then writes anyway (the queue only orders writers; SQLite keeps them safe)."""
    path = tmp_path / "q.sqlite3"
    handler = _handler(path, timeout=0.2)
    _table(handler)
    squatter = os.open(str(path) + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(squatter, fcntl.LOCK_EX)
    try:
        connection = handler["default"]
        _begin(connection)
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (3)")
        _commit(connection)
        connection.close()
    finally:
        os.close(squatter)


def test_an_in_memory_database_has_no_queue(tmp_path: Path) -> None:
    handler = ConnectionHandler(
        {"default": {"ENGINE": "psytrial.web.sqlite", "NAME": ":memory:"}}
    )
    connection = handler["default"]
    _begin(connection)
    _commit(connection)
    assert connection._queue_path is None
    assert list(tmp_path.iterdir()) == []
