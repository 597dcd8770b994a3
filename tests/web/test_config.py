"""Settings helpers: loud failures on bad values, and where the keys are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from psytrial.web.config import ConfigError, env_bool, env_int, state_dir


def test_it_refuses_a_bad_boolean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSYTRIAL_X", "maybe")
    with pytest.raises(ConfigError, match="PSYTRIAL_X: expected true or false .* got 'maybe'"):
        env_bool("PSYTRIAL_X", False)
    monkeypatch.setenv("PSYTRIAL_X", "off")
    assert env_bool("PSYTRIAL_X", True) is False


def test_it_refuses_a_bad_whole_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PSYTRIAL_N", "ten")
    with pytest.raises(ConfigError, match="PSYTRIAL_N: expected a whole number, got 'ten'"):
        env_int("PSYTRIAL_N", 1)
    monkeypatch.setenv("PSYTRIAL_N", "0")
    with pytest.raises(ConfigError, match="of at least 1, got 0"):
        env_int("PSYTRIAL_N", 1, minimum=1)


def test_it_finds_the_keys_beside_a_sqlite_demo_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "keys").mkdir()
    monkeypatch.delenv("PSYTRIAL_HOME", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert state_dir() == tmp_path / "keys"
    monkeypatch.setenv("PSYTRIAL_HOME", str(tmp_path / "elsewhere"))
    assert state_dir() == tmp_path / "elsewhere"


def test_real_installations_hash_passwords_with_argon2() -> None:
    from psytrial.web import settings

    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
