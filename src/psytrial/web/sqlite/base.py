"""Django's SQLite backend, with write transactions queued on a lock instead of sleeping.

Every write transaction starts with BEGIN IMMEDIATE (settings), which takes SQLite's single
write lock. When another connection holds it, SQLite's busy handler retries after sleeps that
grow to 100 ms, so under many concurrent writers a transaction of a few milliseconds waits
tens to hundreds of milliseconds for a lock that was free most of that time: with 20 clients
saving forms, that sleeping made most of the 95th percentile latency.

Here a connection about to BEGIN first takes two locks, released at its COMMIT or ROLLBACK
(or when the connection closes):

1. a lock shared by the threads of this process (the web server's threads): a waiting thread
   is woken the moment the holder releases it;
2. an exclusive `flock` on a file beside the database (`<database>-writers`), shared with the
   other processes (the web server's other workers, the command line): it is polled every
   millisecond or two, and only one thread per process polls.

Both give up after the connection's timeout (30 s), and BEGIN IMMEDIATE then proceeds as
before, with SQLite's own busy handler as the last resort, so a writer that never finishes
(or another program writing the file) turns into SQLite's "database is locked" error, as it
would without this backend, never into a hang. In-memory databases (tests) are not queued.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


def _process_lock(path: str) -> threading.Lock:
    with _PROCESS_LOCKS_GUARD:
        return _PROCESS_LOCKS.setdefault(path, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite with a write queue; everything else is Django's SQLite backend."""

    _queue_path: str | None = None
    _queue_file: int | None = None
    _held: threading.Lock | None = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        self._queue_path = None
        if not self.is_in_memory_db():
            self._queue_path = os.path.abspath(str(self.settings_dict["NAME"])) + "-writers"
        return connection

    def _timeout(self) -> float:
        return float(self.settings_dict.get("OPTIONS", {}).get("timeout", 30))

    def _start_transaction_under_autocommit(self) -> None:
        self._enter_queue()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._leave_queue()
            raise

    def _enter_queue(self) -> None:
        if self._queue_path is None or self._held is not None:
            return
        deadline = time.monotonic() + self._timeout()
        mine = _process_lock(self._queue_path)
        if not mine.acquire(timeout=self._timeout()):
            return  # leave it to SQLite's busy handler
        if self._queue_file is None:
            self._queue_file = os.open(self._queue_path, os.O_RDWR | os.O_CREAT, 0o600)
        pause = 0.0002
        while True:
            try:
                fcntl.flock(self._queue_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    mine.release()
                    return
                time.sleep(pause)
                pause = min(pause * 2, 0.002)
        self._held = mine

    def _leave_queue(self) -> None:
        held, self._held = self._held, None
        if held is None:
            return
        try:
            if self._queue_file is not None:
                fcntl.flock(self._queue_file, fcntl.LOCK_UN)
        finally:
            held.release()

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._leave_queue()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._leave_queue()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._leave_queue()
            if self._queue_file is not None:
                os.close(self._queue_file)
                self._queue_file = None
