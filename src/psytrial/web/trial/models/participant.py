"""A participant: screened at a site, identified per site, moved through the status table.

Nothing sealed lives here in clear: the kit code is what blinded staff see; the arm is in the
randomization app's sealed slot. `status` changes only through action functions, which ask
`psytrial.core.status` whether the transition is legal.
"""

from __future__ import annotations

from django.db import models

from psytrial.web.trial.models.study import Site, Study

STATUS_CHOICES = [
    (s, s.replace("_", " "))
    for s in ("screened", "eligible", "ineligible", "consented", "randomized", "dosed",
              "in_follow_up", "completed", "withdrawn", "lost_to_follow_up")
]


class Participant(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="participants")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="participants")
    code = models.CharField(max_length=40, help_text="the participant identifier at the site")
    screened_at = models.DateTimeField()
    status = models.CharField(max_length=30, choices=STATUS_CHOICES, default="screened")
    stratum = models.CharField(max_length=200, blank=True, default="")
    kit_code = models.CharField(max_length=20, blank=True, default="")
    randomized_at = models.DateTimeField(null=True, blank=True)
    drug_session_at = models.DateTimeField(null=True, blank=True)
    emergency_unblinded = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "site", "code"],
                                    name="participant_code_unique"),
        ]
        indexes = [models.Index(fields=["study", "site", "status"])]

    def __str__(self) -> str:
        return self.code
