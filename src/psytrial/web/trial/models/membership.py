"""Who holds which role in which study, at one site or (site empty) at every site."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from psytrial.core.roles import Role
from psytrial.web.trial.models.study import Site, Study

ROLE_CHOICES = [(role.value, role.value.replace("_", " ")) for role in Role]


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="memberships")
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="memberships")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="memberships")
    role = models.CharField(max_length=40, choices=ROLE_CHOICES)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "study", "site", "role"],
                                    name="membership_unique"),
        ]

    def __str__(self) -> str:
        where = self.site.code if self.site else "all sites"
        return f"{self.user} as {self.role} in {self.study.code} ({where})"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)
