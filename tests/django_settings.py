"""The settings the tests run with: psytrial's own, with keys and the default SQLite file in a
throw-away folder (set here, before psytrial.web.settings reads the environment, so tests
never touch a real installation's secrets or database)."""

import os
import tempfile

_home = tempfile.mkdtemp(prefix="psytrial-test-")
os.environ.setdefault("PSYTRIAL_HOME", _home)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_home}/test.sqlite3")

from psytrial.web.settings import *  # noqa: E402, F403
