"""On PostgreSQL a statement the application repeats is prepared once per connection.

psytrial's settings ask psycopg for server-side binding with a prepare threshold of 2
(`psytrial.web.settings`): from its third run on, a statement is sent by name with its
parameters, and the server neither parses nor plans it again.
"""

from __future__ import annotations

import pytest
from django.db import connection

from psytrial.web.audit.models import ChainHead

pytestmark = pytest.mark.django_db


def prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_repeated_statement_is_prepared_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to prepare statements on")
    assert not any('"audit_chainhead"' in text for text in prepared())
    for _ in range(3):
        list(ChainHead.objects.filter(pk=1))  # a new query set each time: each one runs
    assert any('FROM "audit_chainhead"' in text for text in prepared())
    # The parameters travel apart from the text: the prepared statement has a placeholder.
    assert any('"audit_chainhead"."id" = $1' in text for text in prepared())
