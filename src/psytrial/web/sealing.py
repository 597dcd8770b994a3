"""Sealed data: the arm, the mg dose and anything derived, encrypted at rest.

Sealed values are Fernet tokens made with a key kept outside the database (settings.SEAL_KEY,
from the environment or a file under PSYTRIAL_HOME), so a database dump alone unblinds
nothing. Opening a token needs a `Capability`, which only `psytrial.web.blind` hands out, to
roles the protocol unblinds (or to one investigator for one participant in an emergency).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from psytrial.core.errors import BlindingError


@dataclass(frozen=True)
class Capability:
    """Permission to open sealed data of one study (and, if set, of one participant only)."""

    user_id: int
    study_id: int
    participant_id: int | None
    basis: str  # why: the role that unblinds, "database lock", or "emergency"


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def seal(payload: Mapping[str, Any]) -> str:
    text = json.dumps(dict(payload), sort_keys=True, separators=(",", ":"))
    return _fernet(settings.SEAL_KEY).encrypt(text.encode()).decode()


def unseal(token: str, capability: Capability, *, study_id: int,
           participant_id: int | None = None) -> dict[str, Any]:
    """Open a sealed value for a holder of a matching capability."""
    if capability.study_id != study_id:
        raise BlindingError("expected a capability for this study, got one for another study")
    if capability.participant_id is not None and capability.participant_id != participant_id:
        raise BlindingError("expected a capability for this participant, got one for another")
    try:
        text = _fernet(settings.SEAL_KEY).decrypt(token.encode())
    except InvalidToken:
        raise BlindingError("expected sealed data made with this installation's seal key; "
                            "the key does not open it") from None
    return json.loads(text)  # type: ignore[no-any-return]
