"""Restoring a backup (`psytrial.web.backup`) into this installation's empty database.

Everything that can be checked without the database is checked first: the file is whole and
of our format (`read_backup`), and every sealed value in it opens with this installation's
seal key (the key is never in a backup). Then the database is migrated, its schema compared
with the backup's, and a database holding any data refused. The rows are loaded in one
transaction, and before it commits the database must dump to exactly the backup's rows, hold
the same counts and sealed values, and carry an audit chain that verifies and ends at the
backup's head. Any failure rolls the load back: a bad file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, models, transaction

from psytrial.web.audit import trail
from psytrial.web.audit.models import ChainHead
from psytrial.web.backup import (
    BackupError,
    BackupInfo,
    app_labels,
    backed_up_models,
    dump,
    label,
    read_backup,
    schema_state,
    sealed_summary,
    sealed_tokens,
)


def restore_backup(path: Path) -> BackupInfo:
    """Restore a backup into this installation's empty database; verify before committing."""
    header, body = read_backup(path)
    _check_seal_key(body)
    from psytrial.web.bootstrap import migrate

    migrate()
    model_list = backed_up_models()
    _check_migrations(header["migrations"], schema_state(app_labels(model_list)))
    _check_empty(model_list)
    with transaction.atomic():
        ChainHead.objects.all().delete()  # migrate made a genesis head; the backup has its own
        _load(body, model_list)
        _reset_sequences(model_list)
        _verify(header, body, model_list)
    return BackupInfo.from_header(header)


def _check_seal_key(body: list[dict[str, Any]]) -> None:
    """Every sealed value must open with this installation's key, or the blind is lost for
    good: the pharmacy could no longer read a kit's dose. The opened values are not kept."""
    fernet = Fernet(settings.SEAL_KEY.encode())
    tokens = list(sealed_tokens(body))
    refused = 0
    for token in tokens:
        try:
            fernet.decrypt(token.encode())
        except InvalidToken:
            refused += 1
    if refused:
        raise BackupError(
            f"expected sealed values that open with this installation's seal key, got "
            f"{refused} of {len(tokens)} that do not; put the seal key of the installation "
            "that made the backup in PSYTRIAL_SEAL_KEY or PSYTRIAL_HOME/seal_key.fernet and "
            "restore again"
        )


def _check_migrations(backup: dict[str, list[str]], here: dict[str, list[str]]) -> None:
    if backup == here:
        return
    differ = sorted(a for a in set(backup) | set(here) if backup.get(a) != here.get(a))
    detail = "; ".join(
        f"{a}: backup up to {(backup.get(a) or ['none'])[-1]}, here {(here.get(a) or ['none'])[-1]}"
        for a in differ
    )
    raise BackupError(
        f"expected a backup with this psytrial's database schema, got other migrations "
        f"({detail}); restore with the psytrial version that made it, then upgrade"
    )


def _check_empty(model_list: Iterable[type[models.Model]]) -> None:
    held = {label(m): m._base_manager.count() for m in model_list if m is not ChainHead}
    held = {k: v for k, v in held.items() if v}
    if trail.head()[0] != 0:
        held["audit.chainhead (seq)"] = trail.head()[0]
    if held:
        what = ", ".join(f"{n} {k}" for k, n in sorted(held.items()))
        raise BackupError(
            f"expected an empty database to restore into, got one holding {what}; "
            "restore into a new database (DATABASE_URL)"
        )


def _load(body: list[dict[str, Any]], model_list: list[type[models.Model]]) -> None:
    """Insert rows model by model (so natural keys of earlier models resolve)."""
    by_model: dict[str, list[dict[str, Any]]] = {}
    for row in body:
        by_model.setdefault(row["model"], []).append(row)
    for model in model_list:
        rows = by_model.get(label(model), [])
        loaded = list(serializers.deserialize("python", rows, handle_forward_references=False))
        if _has_auto_dates(model):
            for item in loaded:
                models.Model.save_base(item.object, raw=True, force_insert=True)
        else:
            model._base_manager.bulk_create([item.object for item in loaded], batch_size=500)
        for item in loaded:
            for name, values in (item.m2m_data or {}).items():
                getattr(item.object, name).set(values)


def _has_auto_dates(model: type[models.Model]) -> bool:
    return any(
        getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        for f in model._meta.concrete_fields
    )


def _reset_sequences(model_list: list[type[models.Model]]) -> None:
    """Primary keys were inserted explicitly: move PostgreSQL's id sequences past them."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _verify(
    header: dict[str, Any], body: list[dict[str, Any]], model_list: list[type[models.Model]]
) -> None:
    """The loaded database must dump to exactly the backup, and its audit chain verify (unless
    it was already broken when the backup was made: then it is restored as it was)."""
    counts = {label(m): m._base_manager.count() for m in model_list}
    if counts != header["counts"]:
        differ = {
            k: (header["counts"].get(k), v)
            for k, v in counts.items()
            if header["counts"].get(k) != v
        }
        raise BackupError(f"expected the backup's row counts after loading, got {differ}")
    if dump(model_list) != body:
        raise BackupError("expected the loaded rows to equal the backup's, got differences")
    if sealed_summary(body) != header["sealed"]:
        raise BackupError("expected the backup's sealed values unchanged, got others")
    report = trail.verify()
    head = trail.head()
    if not report.ok and header["audit"]["verified"]:
        raise BackupError(
            f"expected an intact audit chain after loading, got it broken at "
            f"entry {report.first_broken_seq}: {report.problem}"
        )
    if head != (header["audit"]["seq"], header["audit"]["hash"]):
        raise BackupError(
            f"expected the audit head {header['audit']['seq']} "
            f"{header['audit']['hash'][:12]}... of the backup, got {head[0]} "
            f"{head[1][:12]}..."
        )
