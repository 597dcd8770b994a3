"""Queries on entered data, their history, and form signatures.

A `Query` asks about one field of one form record. Its `status` moves open -> answered ->
closed (or closed -> open again); each step is a `QueryEvent` row with its author and text,
so the conversation is kept whole. A `Signature` is an investigator's signature of one version
of a form record: it holds while the record's current version is the signed one, and is marked
lapsed (with the version that replaced it) when the form changes. Rows change only through
`psytrial.web.quality.actions` and `psytrial.web.quality.signatures`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psytrial.web.forms.models import FormRecord
from psytrial.web.trial.models import Participant, Study

OPEN = "open"
ANSWERED = "answered"
CLOSED = "closed"
STATUS_CHOICES = [(OPEN, "open"), (ANSWERED, "answered"), (CLOSED, "closed")]
# A query blocks the database lock until a data manager closes it.
UNRESOLVED = (OPEN, ANSWERED)

RAISED = "raised"
EVENT_CHOICES = [
    (RAISED, "raised"),
    ("answered", "answered"),
    ("closed", "closed"),
    ("reopened", "re-opened"),
]


class Query(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="queries")
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="queries")
    record = models.ForeignKey(FormRecord, on_delete=models.PROTECT, related_name="queries")
    field_id = models.CharField(max_length=64)
    text = models.TextField(help_text="the question as raised")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="raised_queries"
    )
    raised_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["study", "status"]),
            models.Index(fields=["participant", "status"]),
        ]
        verbose_name_plural = "queries"

    def __str__(self) -> str:
        return f"query {self.pk} on {self.record}:{self.field_id}"

    @property
    def is_resolved(self) -> bool:
        return self.status == CLOSED


class QueryEvent(models.Model):
    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=EVENT_CHOICES)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=40)
    at = models.DateTimeField()
    text = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["query", "at", "pk"]


class Signature(models.Model):
    record = models.ForeignKey(FormRecord, on_delete=models.PROTECT, related_name="signatures")
    version = models.PositiveIntegerField(help_text="the form version signed")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    statement = models.TextField()
    lapsed_at = models.DateTimeField(null=True, blank=True)
    lapsed_by_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["record", "signed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["record", "version"], name="one_signature_per_version"),
        ]

    def __str__(self) -> str:
        return f"signature of {self.record} v{self.version}"

    @property
    def holds(self) -> bool:
        """Signed the version the record holds now (a later save voids it)."""
        return self.lapsed_at is None and self.version == self.record.current_version
