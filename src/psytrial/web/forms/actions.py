"""Action functions of the form store: saving a form version and locking a form.

`save_form` is the one way entered data reaches the database. In order, it: refuses a locked
study; checks that the user holds a role at the participant's site that enters this
instrument (`permissions`) and that the blind lets them see it; checks that the protocol gives
the instrument at that visit; validates the data (`validation`); then, in one transaction
holding the participant's row lock (so concurrent saves of one participant queue), refuses a
locked form, an unchanged submission, a stale `expected_version` and a change without a
reason; stores the new version and audits the old and new value of every changed field; a
signature of an earlier version lapses (the quality app's `lapse_signature`, same transaction).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from psytrial.core.errors import FormError
from psytrial.core.instruments import InstrumentDef
from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.audit.trail import pending
from psytrial.web.audit.trail import record as audit
from psytrial.web.fastsql import Child, first, insert, insert_new_with, update
from psytrial.web.forms.catalog import instrument
from psytrial.web.forms.errors import FormConflict, FormLocked, FormUnchanged
from psytrial.web.forms.models import FormRecord, FormVersion
from psytrial.web.forms.permissions import (
    LOCKERS,
    entry_roles,
    may_see,
    variant_values,
    variants_of,
)
from psytrial.web.forms.queries import check_placement, current_version, is_repeatable
from psytrial.web.forms.validation import clean
from psytrial.web.permissions import ActionDenied, memberships, require_role
from psytrial.web.trial.models import Participant, Study
from psytrial.web.txn import action_transaction, lock_participant

User = AbstractBaseUser


def save_form(
    user: User,
    participant: Participant,
    instrument_id: str,
    visit_id: str,
    raw_data: Mapping[str, Any],
    *,
    reason: str = "",
    expected_version: int | None = None,
    occurrence: int | None = None,
) -> FormRecord:
    """Store a new version of one form entry; returns the record (its current_version is new).

    `visit_id` is blank for unscheduled forms. `occurrence` numbers the entries of repeating
    and unscheduled forms (None: a new entry); other forms have one entry per visit.
    `expected_version` is the version the editor started from (0 for a new form): if someone
    saved since, FormConflict carries the submitted data back. Raises ActionDenied,
    FormError (and its subclasses FormLocked, FormUnchanged, FormConflict) or ProtocolError
    for an unknown instrument.
    """
    study = participant.study
    defn = instrument(study.protocol, instrument_id)
    refuse_if_study_locked(study)
    role = _entry_role(user, participant, defn, variant=None)
    check_placement(study.protocol, defn, visit_id)
    data = clean(defn, raw_data)
    variant = _variant(user, participant, defn, data)
    with action_transaction():
        lock_participant(participant.pk)
        number = _occurrence(participant, defn, visit_id, variant, occurrence)
        key = {"instrument_id": defn.id, "visit_id": visit_id, "occurrence": number,
               "variant": variant}
        record = FormRecord(participant=participant, current_version=1, **key)
        entry = {"actor": user.get_username(), "role": role.value, "action": "form.saved",
                 "study": study.code, "object_type": "form",
                 "object_id": f"{participant.code}/{record.key}", "reason": reason.strip()}
        if expected_version in (None, 0):
            # Most saves are a form's first: its record, version 1 and the audit entry are
            # written together, and only if the record is new (one statement on PostgreSQL).
            version = _version(user, record, data, reason)
            first_entry = pending(**entry, **_changes({}, data, 1))
            if insert_new_with(
                record,
                Child(version, parent="record"),
                Child(first_entry.row, then=first_entry.then),
            ):
                first_entry.written()
                record.latest = version
                return record
        found = first(FormRecord, participant_id=participant.pk, **key)
        old = _refuse_stale_or_pointless(found, data, raw_data, expected_version, reason)
        if found is None:  # cannot happen: a first save was refused above, or written
            raise RuntimeError(f"form record {key} of {participant.code} vanished")
        record = found
        record.current_version += 1
        update(record, "current_version")
        record.latest = insert(_version(user, record, data, reason))
        audit(**entry, **_changes(old, data, record.current_version))
        _lapse_signature(record, user, role)
    return record


def _version(user: User, record: FormRecord, data: Mapping[str, Any], reason: str) -> FormVersion:
    """The record's current version, as a new row. Its data are as the database gives them
    back (JSON's types: a tuple becomes a list), so the object can stand for the row read
    again (`FormRecord.latest`)."""
    return FormVersion(
        record=record,
        version=record.current_version,
        data=json.loads(json.dumps(dict(data))),
        saved_by=user,
        saved_at=clock.now(),
        reason=reason.strip(),
    )


def _changes(old: Mapping[str, Any], data: Mapping[str, Any], version: int) -> dict[str, Any]:
    """The audit entry's old and new values: every field whose value changed."""
    changed = sorted(k for k in data.keys() | old.keys() if data.get(k) != old.get(k))
    return {
        "old": {"values": {k: old.get(k) for k in changed if k in old}},
        "new": {"version": version, "values": {k: data.get(k) for k in changed}},
    }


def _lapse_signature(record: FormRecord, user: User, role: Role) -> None:
    """A signature binds the version it signed: a new version voids it, in this transaction.

    The signatures live in the quality app, which builds on this one, hence the late import.
    """
    if not django_apps.is_installed("psytrial.web.quality"):
        return
    from psytrial.web.quality.signatures import lapse_signature

    lapse_signature(
        record, actor=user.get_username(), role=role.value, new_version=record.current_version
    )


def lock_form(user: User, record: FormRecord, *, reason: str = "") -> FormRecord:
    """Lock a form against further changes (a data manager, e.g. after its queries closed)."""
    participant = record.participant
    membership = require_role(user, participant.study, LOCKERS, participant.site)
    refuse_if_study_locked(participant.study)
    with transaction.atomic():
        fresh = FormRecord.objects.select_for_update().get(pk=record.pk)
        if fresh.locked:
            return fresh
        fresh.locked = True
        fresh.save(update_fields=["locked"])
        audit(
            actor=user.get_username(),
            role=membership.role,
            action="form.locked",
            study=participant.study.code,
            object_type="form",
            object_id=f"{participant.code}/{fresh.key}",
            old={"locked": False},
            new={"locked": True},
            reason=reason.strip(),
        )
    return fresh


def refuse_if_study_locked(study: Study) -> None:
    if study.is_locked:
        raise FormLocked(
            f"study {study.code}: expected an open database, got one locked "
            f"on {study.locked_at:%Y-%m-%d}; no data can change"
        )


def entry_role(
    user: User, participant: Participant, defn: InstrumentDef, variant: str | None = None
) -> Role:
    """The user's role that may enter `defn` (one variant, or any) here, or ActionDenied."""
    return _entry_role(user, participant, defn, variant)


def _entry_role(
    user: User, participant: Participant, defn: InstrumentDef, variant: str | None
) -> Role:
    study = participant.study
    mine = memberships(user, study)
    held = {m.role_enum for m in mine}
    values = [variant] if variant is not None else list(variant_values(defn))
    if not any(may_see(held, defn, v) for v in values):
        raise ActionDenied(
            f"expected a role that may see {defn.id}; outcome raters never see "
            "instruments that reveal the arm"
        )
    allowed = entry_roles(defn, variant)
    for m in mine:
        if m.role_enum in allowed and m.site_id in (None, participant.site_id):
            return m.role_enum
    names = ", ".join(sorted(r.value for r in allowed)) or "no role"
    which = f" ({variant})" if variant else ""
    raise ActionDenied(
        f"expected a {names} at site {participant.site.code} to enter "
        f"{defn.id}{which}; {user.get_username()} is not"
    )


def _variant(
    user: User, participant: Participant, defn: InstrumentDef, data: Mapping[str, Any]
) -> str:
    variants = variants_of(defn)
    if variants is None:
        return ""
    value = str(data.get(variants.field) or "")
    offered = variant_values(defn)
    if value not in offered:
        raise FormError(
            {variants.field: [f"expected one of {', '.join(offered)}, got {value or 'nothing'}"]}
        )
    _entry_role(user, participant, defn, value)
    return value


def _occurrence(
    participant: Participant, defn: InstrumentDef, visit_id: str, variant: str, wanted: int | None
) -> int:
    protocol = participant.study.protocol
    if not is_repeatable(protocol, defn, visit_id):
        if wanted not in (None, 1):
            raise FormError(
                {"__all__": [f"expected one entry of {defn.id} per visit, got occurrence {wanted}"]}
            )
        return 1
    last = _last_occurrence(participant.pk, defn.id, visit_id, variant)
    if wanted is None:
        return last + 1
    if not 1 <= wanted <= last + 1:
        raise FormError(
            {"__all__": [f"expected occurrence 1 to {last + 1} of {defn.id}, got {wanted}"]}
        )
    return wanted


def _last_occurrence(participant_id: int, instrument_id: str, visit_id: str, variant: str) -> int:
    """The highest occurrence of these entries so far (0: none): `FormRecord.objects.filter(
    ...).aggregate(Max("occurrence"))`, with the statement built once (a drug session's vital
    signs ask it at every reading)."""
    with connection.cursor() as cursor:
        cursor.execute(_last_occurrence_sql(connection.vendor),
                       [participant_id, instrument_id, visit_id, variant])
        found = cursor.fetchone()
    return int(found[0] or 0)


@functools.cache
def _last_occurrence_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT MAX({quote('occurrence')}) FROM {quote(FormRecord._meta.db_table)} WHERE "
        + " AND ".join(f"{quote(c)} = %s" for c in
                       ("participant_id", "instrument_id", "visit_id", "variant"))
    )


def _refuse_stale_or_pointless(
    record: FormRecord | None,
    data: Mapping[str, Any],
    raw: Mapping[str, Any],
    expected: int | None,
    reason: str,
) -> dict[str, Any]:
    """The current data (empty for a new form), once every refusal has been ruled out."""
    if record is None:
        if expected not in (None, 0):
            raise FormConflict(
                f"expected version {expected} of this form, but it holds none; "
                "your entries are kept below",
                submitted=raw,
                current_version=0,
            )
        return {}
    if record.locked:
        raise FormLocked(
            f"{record.key}: expected an unlocked form, got one locked by data "
            "management; ask a data manager to reopen it"
        )
    version = current_version(record)
    old = dict(version.data) if version is not None else {}
    if version is not None and old == dict(data):
        raise FormUnchanged(
            f"nothing to save: version {version.version} (saved by "
            f"{version.saved_by.get_username()} at {version.saved_at:%Y-%m-%d %H:%M}) already "
            "holds exactly these values"
        )
    if expected is not None and expected != record.current_version and version is not None:
        raise FormConflict(
            f"expected version {expected}, but {version.saved_by.get_username()} saved version "
            f"{version.version} at {version.saved_at:%Y-%m-%d %H:%M} after you opened the form; "
            "your entries are kept below: compare and save again",
            submitted=raw,
            current_version=version.version,
        )
    if version is not None and not reason.strip():
        raise FormError(
            {
                "reason": [
                    f"required: expected a reason for changing version {version.version}, got nothing"
                ]
            }
        )
    return old
