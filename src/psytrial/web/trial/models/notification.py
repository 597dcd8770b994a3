"""In-app notifications; created by action functions on commit, never with sealed data."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psytrial.web.trial.models.study import Study


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="notifications")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField()
    text = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True, default="")
    read_at = models.DateTimeField(null=True, blank=True)
