"""Form signatures: an investigator signs one version of a form, re-entering the password.

    sign_form(user, record, password, statement=STATEMENT)  -> Signature
    lapse_signature(record, actor=..., role=..., new_version=...)  -> Signature | None
    signature_of(record)                                     -> the signature that holds, or None

Re-entering the password is what makes the signature the signer's own act (as 21 CFR 11.200
asks of a non-biometric electronic signature used outside a continuous session). A wrong
password is refused and audited as a failed attempt; the password itself is never stored,
logged or echoed. A signature binds the version it signed: once the form is saved again it no
longer holds, and `lapse_signature` (called by the form store's save, in its transaction)
records that in the audit trail.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from psytrial.web import clock
from psytrial.web.audit.trail import record as audit
from psytrial.web.forms.models import FormRecord
from psytrial.web.permissions import ActionRefused
from psytrial.web.quality import rules
from psytrial.web.quality.errors import InputRefused
from psytrial.web.quality.lock import refuse_if_locked_now
from psytrial.web.quality.models import Signature

User = AbstractBaseUser
STATEMENT = (
    "I have reviewed this form; to the best of my knowledge its data are accurate and complete."
)


def sign_form(
    user: User, record: FormRecord, password: str, *, statement: str = STATEMENT
) -> Signature:
    """Sign the record's current version; the password must be the signer's own."""
    place = rules.place_of(record)
    membership = rules.require_at_site(user, place, rules.SIGNERS, "sign a form")
    refuse_if_locked_now(place.study)
    if not user.check_password(password or ""):
        _audit_failed_attempt(user, membership.role, record)
        raise InputRefused(
            "password",
            "expected your own password to sign, got a wrong one; the attempt was recorded",
        )
    with transaction.atomic():
        refuse_if_locked_now(place.study)
        fresh = FormRecord.objects.select_for_update().get(pk=record.pk)
        if fresh.current_version == 0:
            raise ActionRefused(f"expected a saved form to sign, got {fresh.key} with no data")
        existing = Signature.objects.filter(record=fresh, version=fresh.current_version).first()
        if existing is not None:
            raise ActionRefused(
                f"expected an unsigned version, but version {existing.version} of {fresh.key} "
                f"was signed by {existing.signed_by.get_username()} at "
                f"{existing.signed_at:%Y-%m-%d %H:%M}"
            )
        now = clock.now()
        signature = Signature.objects.create(
            record=fresh,
            version=fresh.current_version,
            signed_by=user,
            signed_at=now,
            statement=statement,
        )
        fresh.signed_by = user
        fresh.signed_at = now
        fresh.save(update_fields=["signed_by", "signed_at"])
        audit(
            actor=user.get_username(),
            role=membership.role,
            action="form.signed",
            study=place.study.code,
            object_type="form",
            object_id=f"{fresh.participant.code}/{fresh.key}",
            new={"version": fresh.current_version, "statement": statement},
        )
    return signature


def lapse_signature(
    record: FormRecord, *, actor: str, role: str = "", new_version: int | None = None
) -> Signature | None:
    """Void the signature of an earlier version, inside the saving action's transaction."""
    current = record.current_version if new_version is None else new_version
    signature = (
        Signature.objects.select_for_update()
        .filter(record=record, lapsed_at__isnull=True)
        .exclude(version=current)
        .select_related("signed_by")
        .first()
    )
    if signature is None:
        return None
    signature.lapsed_at = clock.now()
    signature.lapsed_by_version = current
    signature.save(update_fields=["lapsed_at", "lapsed_by_version"])
    FormRecord.objects.filter(pk=record.pk).update(signed_by=None, signed_at=None)
    audit(
        actor=actor,
        role=role,
        action="form.signature_lapsed",
        study=record.participant.study.code,
        object_type="form",
        object_id=f"{record.participant.code}/{record.key}",
        old={"signed_version": signature.version, "signed_by": signature.signed_by.get_username()},
        new={"version": current},
        reason=f"version {current} changed the form after version {signature.version} "
        "was signed; it must be signed again",
    )
    return signature


def signature_of(record: FormRecord) -> Signature | None:
    """The signature of the record's current version, if it has one."""
    if record.current_version == 0:
        return None
    return (
        Signature.objects.filter(
            record=record, version=record.current_version, lapsed_at__isnull=True
        )
        .select_related("signed_by")
        .first()
    )


def _audit_failed_attempt(user: User, role: str, record: FormRecord) -> None:
    with transaction.atomic():
        audit(
            actor=user.get_username(),
            role=role,
            action="form.signature_refused",
            study=record.participant.study.code,
            object_type="form",
            object_id=f"{record.participant.code}/{record.key}",
            new={"version": record.current_version},
            reason="wrong password re-entered",
        )
