"""WSGI entry point for gunicorn: `psytrial.web.wsgi:application`.

The server runs several threads per worker process. A thread that holds a lock every writer
waits for (the allocation list's row, the audit chain head, SQLite's write turn) gives up the
interpreter at each round trip to the database and must get it back from threads busy with
other requests; with CPython's default switch interval (5 ms) that wait, repeated at every
statement, stretched the serialized part of a randomization on PostgreSQL several times over.
A 1 ms interval (PSYTRIAL_SWITCH_INTERVAL_MS) hands the interpreter back sooner.
"""

import os
import sys

from django.core.wsgi import get_wsgi_application

sys.setswitchinterval(float(os.environ.get("PSYTRIAL_SWITCH_INTERVAL_MS", "1")) / 1000)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psytrial.web.settings")
application = get_wsgi_application()
