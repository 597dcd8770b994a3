"""A study (one protocol, run at one or more sites) and its sites.

The protocol text is stored with its SHA-256 digest and version. The loaded `Protocol` object
is cached per process by digest; if the stored text no longer matches its digest the study
refuses to load, so the protocol cannot change silently under existing data.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import models

from psytrial.core.errors import ProtocolError
from psytrial.core.protocol import Protocol, parse_protocol, protocol_digest


class Study(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    title = models.CharField(max_length=300)
    protocol_text = models.TextField()
    protocol_digest = models.CharField(max_length=64)
    protocol_version = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.code

    @property
    def protocol(self) -> Protocol:
        # The digest is checked once per loaded text (by identity: a reload or an assignment
        # gives a new string object and is checked again); every save asks for the protocol.
        checked = self.__dict__.get("_protocol_checked")
        if checked is None or checked[0] is not self.protocol_text or (
            checked[1] != self.protocol_digest
        ):
            if protocol_digest(self.protocol_text) != self.protocol_digest:
                raise ProtocolError(
                    f"study {self.code}: expected the stored protocol to match its digest "
                    f"{self.protocol_digest[:12]}..., but it was changed outside psytrial"
                )
            self.__dict__["_protocol_checked"] = (self.protocol_text, self.protocol_digest)
        return _parsed(self.protocol_digest, self.protocol_text)

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


@lru_cache(maxsize=32)
def _parsed(digest: str, text: str) -> Protocol:
    return parse_protocol(text, source=f"protocol {digest[:12]}")


class Site(models.Model):
    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="sites")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=300)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["study", "code"], name="site_code_unique")]

    def __str__(self) -> str:
        return f"{self.study.code}/{self.code}"
