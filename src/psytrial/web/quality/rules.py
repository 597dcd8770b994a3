"""Who raises, answers, closes and sees queries, and who signs and locks: a small table.

    step                 roles (at the participant's site, or study-wide)
    raise, close, reopen data manager
    answer               investigator, or a role that enters the form's instrument
    see                  the form's readers (forms.permissions.READERS), minus the blind
    sign a form          investigator
    lock a form          the forms app's LOCKERS (data manager)
    lock the database    data manager holding a study-wide role (a site role cannot lock
                         other sites' data)

On top of the table, the blind: an outcome rater never sees (or answers) a query on an
instrument that reveals the arm, exactly as it never sees the form itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from psytrial.core.errors import ProtocolError
from psytrial.core.instruments import InstrumentDef
from psytrial.core.roles import Role
from psytrial.web.forms.catalog import entry_form, instrument
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.permissions import entry_roles, may_read, may_see
from psytrial.web.forms.viewkit import roles_at
from psytrial.web.permissions import ActionDenied, AnyUser, memberships, roles_of
from psytrial.web.trial.models import Membership, Study

RAISERS: frozenset[Role] = frozenset({Role.DATA_MANAGER})
CLOSERS: frozenset[Role] = frozenset({Role.DATA_MANAGER})
SIGNERS: frozenset[Role] = frozenset({Role.INVESTIGATOR})
DATABASE_LOCKERS: frozenset[Role] = frozenset({Role.DATA_MANAGER})


@dataclass(frozen=True)
class Place:
    """A form record with its study and instrument definition, as the rules need them."""

    record: FormRecord
    study: Study
    definition: InstrumentDef


def place_of(record: FormRecord) -> Place:
    study = record.participant.study
    try:
        defn = instrument(study.protocol, record.instrument_id)
    except ProtocolError:
        raise ActionDenied(
            f"expected a form of this study's protocol, got {record.instrument_id!r}"
        ) from None
    return Place(record, study, defn)


def answerers(place: Place) -> frozenset[Role]:
    variant = place.record.variant or None
    return frozenset({Role.INVESTIGATOR}) | entry_roles(place.definition, variant)


def may_view(user: AnyUser, place: Place) -> bool:
    """Whether the user may read the form, and so its queries (the blind included)."""
    site_roles = roles_at(user, place.study, place.record.participant.site)
    return may_read(site_roles, place.definition, place.record.variant) and may_see(
        roles_of(user, place.study), place.definition, place.record.variant
    )


def require_view(user: AnyUser, place: Place) -> None:
    if not may_view(user, place):
        raise ActionDenied(
            f"expected a role that may read {place.definition.id} at site "
            f"{place.record.participant.site.code}; "
            f"{getattr(user, 'username', 'anonymous')} may not"
        )


def require_at_site(user: AnyUser, place: Place, roles: frozenset[Role], what: str) -> Membership:
    """The user's membership among `roles` at the record's site, once the blind allows it."""
    site = place.record.participant.site
    if may_see(roles_of(user, place.study), place.definition, place.record.variant):
        for m in memberships(user, place.study):
            if m.role_enum in roles and m.site_id in (None, site.pk):
                return m
    names = ", ".join(sorted(r.value for r in roles))
    raise ActionDenied(
        f"expected a {names} at site {site.code} to {what}; "
        f"{getattr(user, 'username', 'anonymous')} is not"
    )


def require_study_wide(
    user: AbstractBaseUser, study: Study, roles: frozenset[Role], what: str
) -> Membership:
    for m in memberships(user, study):
        if m.role_enum in roles and m.site_id is None:
            return m
    names = ", ".join(sorted(r.value for r in roles))
    raise ActionDenied(
        f"expected a {names} of every site of study {study.code} to {what}; "
        f"{user.get_username()} is not"
    )


def field_ids(defn: InstrumentDef) -> tuple[str, ...]:
    """The fields a query may name: those of the instrument's entry form."""
    return tuple(f.id for f in entry_form(defn).form.fields)


def field_label(defn: InstrumentDef, field_id: str) -> str:
    for f in entry_form(defn).form.fields:
        if f.id == field_id:
            return f.label
    return field_id
