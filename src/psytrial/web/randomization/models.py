"""The allocation list of a study and its slots, with the arms sealed.

`AllocationList` keeps the canonical CSV sealed (`sealing.seal({"csv": ...})`) and its public
SHA-256 commitment; `AllocationSlot` is one line of it: the stratum, the sequence within the
stratum, the kit code (random, carries nothing) and the arm, sealed one slot at a time, so a
database dump shows kit codes but no arms. A slot is taken by at most one participant
(`participant` is unique), and only by `randomization.actions.randomize`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psytrial.web.trial.models import Participant, Study


class AllocationList(models.Model):
    study = models.OneToOneField(Study, on_delete=models.PROTECT, related_name="allocation_list")
    commitment = models.CharField(max_length=64, help_text="SHA-256 of the canonical CSV")
    seeded = models.BooleanField(default=False)
    parameters = models.JSONField(help_text="strata, slots per stratum, arm ratios, blocks")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="allocation_lists"
    )
    created_at = models.DateTimeField()
    how = models.CharField(max_length=20, help_text="generated or uploaded")
    sealed_csv = models.TextField(help_text="the canonical CSV, sealed")

    def __str__(self) -> str:
        return f"allocation list of {self.study.code} ({self.commitment[:12]}...)"


class AllocationSlot(models.Model):
    allocation = models.ForeignKey(AllocationList, on_delete=models.PROTECT, related_name="slots")
    stratum = models.CharField(max_length=200)
    sequence = models.PositiveIntegerField()
    kit_code = models.CharField(max_length=20)
    arm_sealed = models.TextField()
    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, null=True, blank=True, related_name="allocation_slot"
    )
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "stratum", "sequence"], name="slot_sequence_unique"
            ),
            models.UniqueConstraint(fields=["allocation", "kit_code"], name="slot_kit_unique"),
        ]
        indexes = [models.Index(fields=["allocation", "stratum", "participant", "sequence"])]

    def __str__(self) -> str:
        return f"{self.stratum} #{self.sequence} ({self.kit_code})"
