"""Dose preparations (sealed details, clear total volume) and their administration.

What is stored in clear is only what every arm shares: the kit code, the weight used, the
common total volume and its split per injection site. The arm, the mg and the drug/diluent
split are one sealed token (`psytrial.web.sealing`), opened only with a capability.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from psytrial.web.trial.models import Participant

WEIGHT_SOURCES = [("baseline_form", "baseline form"), ("entered", "entered by the pharmacist")]


class DosePreparation(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="dose_preparations"
    )
    kit_code = models.CharField(max_length=20)
    weight_kg = models.DecimalField(max_digits=8, decimal_places=3)
    weight_source = models.CharField(max_length=20, choices=WEIGHT_SOURCES)
    sealed = models.TextField(help_text="arm, mg and the drug/diluent split, sealed")
    total_ml = models.DecimalField(max_digits=8, decimal_places=3)
    volume_per_site_ml = models.DecimalField(max_digits=8, decimal_places=3)
    injection_sites = models.PositiveSmallIntegerField()
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField()
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "kit_code"], name="preparation_one_per_kit"
            ),
            # The action refuses it first; the database refuses it too, whatever writes.
            models.CheckConstraint(
                condition=~Q(checked_by=F("prepared_by")), name="preparation_checked_by_another"
            ),
        ]

    def __str__(self) -> str:
        return f"preparation of kit {self.kit_code}"

    @property
    def is_checked(self) -> bool:
        return self.checked_by_id is not None


class Administration(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="administrations"
    )
    preparation = models.OneToOneField(
        DosePreparation, on_delete=models.PROTECT, related_name="administration"
    )
    kit_code = models.CharField(max_length=20)
    volume_ml = models.DecimalField(max_digits=8, decimal_places=3)
    administered_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"administration of kit {self.kit_code}"
