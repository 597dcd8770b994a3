"""Emergency unblinding: one participant's arm shown to one investigator, with a reason."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psytrial.web.trial.models.participant import Participant


class EmergencyUnblinding(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT,
                                    related_name="emergency_unblindings")
    investigator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="emergency_unblindings")
    reason = models.TextField()
    granted_at = models.DateTimeField()
