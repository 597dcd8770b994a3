"""Backing up the study database to one file, and restoring it into an empty database.

A backup is one gzip file holding two JSON documents, one per line:

    header  format and version, when and by which psytrial it was made, the database vendor,
            the applied migrations, row counts per model, the audit chain head (seq, hash),
            how many sealed values it holds and a digest of them, and the SHA-256 of the body
    body    every row of every psytrial model and the logins (users, groups; permissions by
            natural key), in Django's serialization format, primary keys kept

What is NOT in it: the seal key (sealed values stay sealed in the file, exactly as in the
database, and open only with the key kept outside the database), the secret key, sessions
(everyone logs in again) and login-failure records (django-axes).

Restoring lives in `psytrial.web.restore`; `read_backup` here checks a file is whole (gzip
integrity, the body's SHA-256, format version, counts) before anything reads it further.

    BackupError(DataError)   the file is damaged, of another format, or does not fit here
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder

from psytrial import __version__
from psytrial.core.errors import DataError
from psytrial.web import clock
from psytrial.web.audit import trail

FORMAT = "psytrial-backup"
FORMAT_VERSION = 1
AUTH_MODELS = ("auth.user", "auth.group")
_FERNET = re.compile(r"gAAAAA[A-Za-z0-9_\-]{90,}={0,2}")
NOTE = (
    "The seal key is not in this file: sealed values (arms, doses) open only with the "
    "seal key of the installation that made it (PSYTRIAL_SEAL_KEY or "
    "PSYTRIAL_HOME/seal_key.fernet). Keep that key safe, apart from the backups."
)


class ExactEncoder(DjangoJSONEncoder):  # type: ignore[misc]
    """Django's encoder, but times keep their microseconds. Django's (like `dumpdata`) cuts
    them to milliseconds, which would change every audit entry's time and break its hash."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class BackupError(DataError):
    """A backup file is damaged, of another format, or cannot be restored here."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup holds, from its header."""

    format_version: int
    created_at: str
    psytrial_version: str
    vendor: str
    counts: dict[str, int]
    audit_seq: int
    audit_hash: str
    audit_verified: bool
    sealed_count: int
    sealed_sha256: str

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @classmethod
    def from_header(cls, header: dict[str, Any]) -> BackupInfo:
        audit, sealed = header["audit"], header["sealed"]
        return cls(
            format_version=int(header["format_version"]),
            created_at=str(header["created_at"]),
            psytrial_version=str(header["psytrial_version"]),
            vendor=str(header["vendor"]),
            counts={str(k): int(v) for k, v in header["counts"].items()},
            audit_seq=int(audit["seq"]),
            audit_hash=str(audit["hash"]),
            audit_verified=bool(audit["verified"]),
            sealed_count=int(sealed["count"]),
            sealed_sha256=str(sealed["sha256"]),
        )


# ---- what is backed up ---------------------------------------------------------------------


def backed_up_models() -> list[type[models.Model]]:
    """psytrial's models and the logins, parents before children."""
    chosen: list[tuple[Any, list[type[models.Model]]]] = [
        (config, list(config.get_models()))
        for config in apps.get_app_configs()
        if config.name.startswith("psytrial.")
    ]
    chosen.append((apps.get_app_config("auth"), [apps.get_model(m) for m in AUTH_MODELS]))
    return list(serializers.sort_dependencies(chosen, allow_cycles=True))


def label(model: type[models.Model]) -> str:
    return str(model._meta.label_lower)


def dump(model_list: Iterable[type[models.Model]]) -> list[dict[str, Any]]:
    """Every row, in a stable order, as JSON-normal Python (what the file holds)."""
    rows: list[Any] = []
    for model in model_list:
        rows.extend(
            serializers.serialize(
                "python", model._base_manager.order_by("pk"), use_natural_foreign_keys=True
            )
        )
    return json.loads(json.dumps(rows, cls=ExactEncoder))  # type: ignore[no-any-return]


def sealed_tokens(value: Any) -> Iterator[str]:
    """Every sealed value (a Fernet token) anywhere in rows, JSON fields included."""
    if isinstance(value, str):
        if _FERNET.fullmatch(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from sealed_tokens(item)
    elif isinstance(value, list):
        for item in value:
            yield from sealed_tokens(item)


def sealed_summary(body: list[dict[str, Any]]) -> dict[str, Any]:
    tokens = sorted(sealed_tokens(body))
    digest = hashlib.sha256("\n".join(tokens).encode()).hexdigest()
    return {"count": len(tokens), "sha256": digest}


def schema_state(labels: set[str]) -> dict[str, list[str]]:
    """The applied migrations of the given apps, by app, in name order."""
    applied = MigrationRecorder(connection).applied_migrations()
    found: dict[str, list[str]] = {}
    for app_label, name in sorted(applied):
        if app_label in labels:
            found.setdefault(app_label, []).append(name)
    return found


def app_labels(model_list: Iterable[type[models.Model]]) -> set[str]:
    return {m._meta.app_label for m in model_list}


# ---- writing -------------------------------------------------------------------------------


def write_backup(path: Path, *, overwrite: bool = False) -> BackupInfo:
    """Write a consistent snapshot of the database to `path` (atomically: all or nothing)."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise BackupError(f"{path}: expected a new file name, got an existing file")
    model_list = backed_up_models()
    # One snapshot for every table: REPEATABLE READ on PostgreSQL, set as the transaction's
    # first statement. Inside a caller's transaction (a test's) that is no longer possible,
    # and the caller's transaction decides what the reads see.
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and own_transaction:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        body = dump(model_list)
        seq, head_hash = trail.head()
        report = trail.verify()
        schema = schema_state(app_labels(model_list))
    body_bytes = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": clock.now().isoformat(),
        "psytrial_version": __version__,
        "vendor": connection.vendor,
        "migrations": schema,
        "counts": _counts(body, model_list),
        "audit": {"seq": seq, "hash": head_hash, "verified": report.ok},
        "sealed": sealed_summary(body),
        "seal_key_included": False,
        "note": NOTE,
        "body_sha256": hashlib.sha256(body_bytes).hexdigest(),
        "body_bytes": len(body_bytes),
    }
    _write_atomically(path, json.dumps(header).encode() + b"\n" + body_bytes)
    return BackupInfo.from_header(header)


def _counts(body: list[dict[str, Any]], model_list: Iterable[type[models.Model]]) -> dict[str, int]:
    counts = {label(m): 0 for m in model_list}
    for row in body:
        counts[row["model"]] += 1
    return counts


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(temporary, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            gz.write(content)
            gz.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# ---- reading -------------------------------------------------------------------------------


def read_backup(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and body of a backup file, after checking it is whole and of our format."""
    path = Path(path)
    where = f"{path}: expected a psytrial backup file"
    try:
        content = gzip.decompress(path.read_bytes())
    except FileNotFoundError:
        raise BackupError(f"{path}: expected an existing backup file, got no such file") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{where} (gzip), got a damaged or truncated file ({exc})") from None
    head, _, body_bytes = content.partition(b"\n")
    header = _header(head, where)
    if hashlib.sha256(body_bytes).hexdigest() != header["body_sha256"]:
        raise BackupError(
            f"{where}, got one whose content does not match its checksum "
            f"(damaged: {len(body_bytes)} of {header['body_bytes']} bytes)"
        )
    body = json.loads(body_bytes)
    counted = _counts_in(body)
    wanted = {k: v for k, v in header["counts"].items() if v}
    if counted != wanted:
        raise BackupError(f"{where}, got row counts {counted} that differ from its header")
    return header, body


def _header(head: bytes, where: str) -> dict[str, Any]:
    try:
        header = json.loads(head)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{where}, got a file of another format")
    if header.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{where} of format version {FORMAT_VERSION}, got version "
            f"{header.get('format_version')!r} (made by psytrial "
            f"{header.get('psytrial_version', '?')})"
        )
    return header


def _counts_in(body: list[dict[str, Any]]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for row in body:
        counted[row["model"]] = counted.get(row["model"], 0) + 1
    return counted


def describe(path: Path) -> BackupInfo:
    """Check a backup file and say what it holds, without touching the database."""
    return BackupInfo.from_header(read_backup(path)[0])
