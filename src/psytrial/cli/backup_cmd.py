"""Backing up and restoring the study database (DATABASE_URL; default SQLite).

    psytrial backup FILE [--force]   one gzip'd JSON file: every row, the audit head, counts
    psytrial restore FILE            into an EMPTY database (migrated first), verified

The seal key is never in a backup; both commands say so, because a backup restored without
it keeps every sealed value (arms, doses) closed for good.
"""

from __future__ import annotations

from pathlib import Path

import typer

KEY_WARNING = (
    "The seal key is NOT in the backup. Keep it (PSYTRIAL_SEAL_KEY, or the file "
    "seal_key.fernet in PSYTRIAL_HOME) safe and apart from the backups: without it the "
    "sealed data (arms, doses) can never be opened."
)


def backup(
    file: Path = typer.Argument(..., help="the backup file to write (e.g. study.psytrial.gz)"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing file"),
) -> None:
    """Write a verified snapshot of the whole study database to one file."""
    from psytrial.web.bootstrap import migrate

    migrate()
    from psytrial.web.backup import write_backup

    info = write_backup(file, overwrite=force)
    typer.echo(
        f"backup written: {file} ({info.rows} rows in {len(info.counts)} tables; audit head "
        f"{info.audit_seq} {info.audit_hash[:16]}...; {info.sealed_count} sealed values)"
    )
    if not info.audit_verified:
        typer.echo(
            "WARNING: the audit chain does not verify; run `psytrial audit verify`", err=True
        )
    typer.echo(KEY_WARNING)


def restore(
    file: Path = typer.Argument(..., help="a file written by `psytrial backup`"),
) -> None:
    """Restore a backup into an empty database and verify it (counts, audit chain, seals)."""
    from psytrial.web.bootstrap import setup

    setup()
    from psytrial.web.backup import describe
    from psytrial.web.restore import restore_backup

    describe(file)  # a damaged file is refused before the database is touched
    info = restore_backup(file)
    typer.echo(
        f"restored {file}: {info.rows} rows in {len(info.counts)} tables, counts equal; "
        f"audit chain verified, head {info.audit_seq} {info.audit_hash[:16]}... as backed up; "
        f"{info.sealed_count} sealed values unchanged and opening with this seal key"
    )
    typer.echo(KEY_WARNING)
