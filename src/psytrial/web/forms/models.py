"""Form records and their versions.

A `FormRecord` is one entry of one instrument for one participant: at a visit (`visit_id`), or
unscheduled (`visit_id` blank, e.g. an adverse event), numbered by `occurrence` for repeating
and unscheduled instruments, and by `variant` for instruments entered once per person (the
blinding guess of the participant, the therapist, the rater). Every save adds a `FormVersion`;
versions are never changed, so the record's history is complete. Rows change only through
`psytrial.web.forms.actions`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psytrial.web.trial.models import Participant


class FormRecord(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="form_records"
    )
    instrument_id = models.CharField(max_length=64)
    visit_id = models.CharField(
        max_length=64, blank=True, default="", help_text="blank for unscheduled forms"
    )
    occurrence = models.PositiveIntegerField(default=1)
    variant = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="whose entry, for instruments entered once per person",
    )
    current_version = models.PositiveIntegerField(default=0)
    locked = models.BooleanField(default=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signed_forms",
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    # Not a column: the version `save_form` has just written, when this object came from it
    # (so an answer can show it without reading it back).
    latest: FormVersion | None = None

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "instrument_id", "visit_id", "occurrence", "variant"],
                name="form_record_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant.code}/{self.key}"

    @property
    def key(self) -> str:
        """Instrument/visit/occurrence[/variant], as shown in messages and the audit trail."""
        parts = [self.instrument_id, self.visit_id or "unscheduled", str(self.occurrence)]
        return "/".join([*parts, self.variant] if self.variant else parts)


class FormVersion(models.Model):
    record = models.ForeignKey(FormRecord, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    data = models.JSONField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="form_versions"
    )
    saved_at = models.DateTimeField()
    reason = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "version"], name="form_version_unique"),
        ]
        ordering = ["record", "version"]
