"""Account actions: issuing and revoking API tokens (audited like every other change)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from psytrial.web import clock
from psytrial.web.accounts.models import PREFIX_LENGTH, ApiToken, hash_token, new_token_text
from psytrial.web.audit.trail import record


def issue_token(user: AbstractBaseUser, name: str) -> str:
    """Create a token for `user`; the plain text is returned once and never stored."""
    text = new_token_text()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=text[3:3 + PREFIX_LENGTH],
            token_hash=hash_token(text), created_at=clock.now(),
        )
        record(actor=user.get_username(), action="api_token.issued", object_type="api_token",
               object_id=token.pk, new={"name": name, "prefix": token.prefix})
    return text


def revoke_token(user: AbstractBaseUser, token_id: int) -> None:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
        token.revoked = True
        token.save(update_fields=["revoked"])
        record(actor=user.get_username(), action="api_token.revoked", object_type="api_token",
               object_id=token.pk, old={"revoked": False}, new={"revoked": True})
