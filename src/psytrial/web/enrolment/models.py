"""The per-site screening counter that numbers participants SPB-0001, SPB-0002, ...

Participants themselves live in the trial app; the screening log is their list with the
screening date and status. The counter row is locked while a number is taken, so two
screenings at one site never get the same number, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from django.db import models

from psytrial.web.trial.models import Site


class SiteSequence(models.Model):
    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="screening_sequence")
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.site}: {self.last_number}"
