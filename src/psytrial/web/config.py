"""Settings from environment variables, through tiny typed helpers that fail loudly.

A bad value stops the process at start-up with one line that names the variable, what was
expected and what was got; a missing value takes the documented default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from psytrial.core.errors import PsytrialError


class ConfigError(PsytrialError):
    """An environment variable holds a value psytrial cannot use."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: expected true or false (1/0, yes/no, on/off), got {raw!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}: expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name}: expected a whole number of at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def state_dir() -> Path:
    """Where psytrial keeps files that must not live in the database (keys).

    PSYTRIAL_HOME if set; else, for a SQLite database with a `keys` folder beside it (as the
    demo leaves it), that folder, so `DATABASE_URL=sqlite:///DIR/db.sqlite3 psytrial serve`
    reopens a demo with the key that opens its sealed data; else ./.psytrial.
    """
    path = Path(env_str("PSYTRIAL_HOME", "") or _keys_beside_sqlite() or
                str(Path.cwd() / ".psytrial")).expanduser()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _keys_beside_sqlite() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("sqlite:///"):
        return ""
    keys = Path(url.removeprefix("sqlite:///")).expanduser().parent / "keys"
    return str(keys) if keys.is_dir() else ""


def kept_secret(env_name: str, file_name: str) -> str:
    """A secret from the environment, or from a file in the state dir, created on first run."""
    value = os.environ.get(env_name)
    if value:
        return value
    path = state_dir() / file_name
    if path.exists():
        return path.read_text().strip()
    value = _new_secret(file_name)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _new_secret(file_name: str) -> str:
    if file_name.endswith(".fernet"):
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode()
    return secrets.token_urlsafe(50)
