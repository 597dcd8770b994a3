"""Audit entries and the chain head.

Entries are append-only: the migration installs database triggers that refuse UPDATE and
DELETE on the entry table (SQLite and PostgreSQL), and the model refuses to save an existing
row. Appends are serialized through the single `ChainHead` row, locked for update.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from psytrial.core.audit import ChainEntry


class AuditEntry(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    role = models.CharField(max_length=40, blank=True, default="")
    action = models.CharField(max_length=80)
    study = models.CharField(max_length=40, blank=True, default="")
    object_type = models.CharField(max_length=80, blank=True, default="")
    object_id = models.CharField(max_length=80, blank=True, default="")
    old = models.JSONField(default=dict)
    new = models.JSONField(default=dict)
    reason = models.TextField(blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["study", "object_type", "object_id"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def chain_entry(self) -> ChainEntry:
        return ChainEntry(
            seq=self.seq, at=self.at, actor=self.actor, role=self.role, action=self.action,
            study=self.study, object_type=self.object_type, object_id=self.object_id,
            old=self.old, new=self.new, reason=self.reason, prev_hash=self.prev_hash,
        )


class ChainHead(models.Model):
    """One row: the last sequence number and hash. Locking it serializes appends."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)
