"""What users decide about visits and safety reports; everything else is derived.

- `MissedVisit`: a visit marked missed, with the reason (e.g. the outcome rater could not reach
  the participant for a follow-up). A marked visit is no longer overdue.
- `ExpeditedReport`: a serious adverse event (a form record of the protocol's adverse event
  instrument) marked by an investigator as reported to the sponsor / ethics committee, which
  stops its expedited-report clock.

Rows change only through `psytrial.web.visits.actions`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psytrial.web.forms.models import FormRecord
from psytrial.web.trial.models import Participant


class MissedVisit(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="missed_visits"
    )
    visit_id = models.CharField(max_length=64)
    reason = models.TextField()
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["participant", "visit_id"], name="missed_visit_once"),
        ]

    def __str__(self) -> str:
        return f"{self.participant.code}/{self.visit_id} missed"


class ExpeditedReport(models.Model):
    record = models.OneToOneField(
        FormRecord, on_delete=models.PROTECT, related_name="expedited_report"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField()
    reference = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="the report's reference, e.g. a sponsor case number",
    )

    def __str__(self) -> str:
        return f"expedited report of {self.record}"
