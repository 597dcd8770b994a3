"""Test-wide fixtures.

Passwords are hashed with MD5 in tests: Argon2 (the real hasher, see
tests/web/test_config.py) costs ~100 ms per user, and most tests create a dozen personas.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
