"""Test-wide set-up that must happen before Django reads its settings.

Keys and the default SQLite file go to a throw-away folder, so tests never touch a real
installation's secrets or database. (Subprocesses started by tests inherit these variables.)
"""

import os
import tempfile

_home = tempfile.mkdtemp(prefix="psytrial-test-")
os.environ.setdefault("PSYTRIAL_HOME", _home)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_home}/test.sqlite3")
