"""Token authentication for the JSON API (`Authorization: Bearer pt_...`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from psytrial.web import clock
from psytrial.web.accounts.models import ApiToken, hash_token
from psytrial.web.fastsql import first


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # One statement built once (`fastsql`): every API request runs it.
        row = first(ApiToken, related=("user",), token_hash=hash_token(token), revoked=False)
        if row is None or not row.user.is_active:
            return None
        now = clock.now()
        # At most one write a minute per token: a write on every request would queue behind
        # every other writer for SQLite's single write lock.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        return row.user
