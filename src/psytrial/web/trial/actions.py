"""Action functions for studies, sites and memberships.

Like every action function: check the acting user's permission, open a transaction, call the
core, write the audit entry in that same transaction, notify on commit.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from psytrial.core.protocol import parse_protocol, protocol_digest
from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.audit.trail import record
from psytrial.web.permissions import ActionDenied, ActionRefused, require_role
from psytrial.web.trial.models import Membership, Notification, Site, Study

SYSTEM = "system"


def create_study(protocol_text: str, *, source: str = "protocol", actor: str = SYSTEM) -> Study:
    """Create a study and its sites from protocol text (run by an operator from the CLI)."""
    protocol = parse_protocol(protocol_text, source=source)
    if Study.objects.filter(code=protocol.study.id).exists():
        raise ActionRefused(f"expected a new study id, but study {protocol.study.id!r} exists; "
                            "a protocol cannot change under existing data")
    with transaction.atomic():
        study = Study.objects.create(
            code=protocol.study.id, title=protocol.study.title, protocol_text=protocol_text,
            protocol_digest=protocol_digest(protocol_text),
            protocol_version=protocol.study.version, created_at=clock.now(),
        )
        for site in protocol.sites:
            Site.objects.create(study=study, code=site.id, name=site.name)
        record(actor=actor, action="study.created", study=study.code, object_type="study",
               object_id=study.pk, new={"protocol_version": study.protocol_version,
                                        "protocol_digest": study.protocol_digest})
    return study


def create_user(username: str, password: str, *, actor: str = SYSTEM,
                full_name: str = "") -> AbstractBaseUser:
    """Create a login; the password must pass the password policy."""
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ActionRefused(f"expected a new username, but {username!r} exists")
    candidate = user_model(username=username, first_name=full_name)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise ActionRefused("password: " + " ".join(exc.messages)) from None
    with transaction.atomic():
        candidate.set_password(password)
        candidate.save()
        record(actor=actor, action="user.created", object_type="user", object_id=candidate.pk,
               new={"username": username})
    return candidate


def grant_role(user: AbstractBaseUser, study: Study, role: Role, site: Site | None = None, *,
               actor: AbstractBaseUser | None = None) -> Membership:
    """Give `user` a role in `study` (at `site`, or every site). By an administrator or the CLI."""
    actor_name = SYSTEM
    if actor is not None:
        require_role(actor, study, {Role.ADMINISTRATOR})
        actor_name = actor.get_username()
    if site is not None and site.study_id != study.pk:
        raise ActionRefused(f"expected a site of study {study.code}, got {site}")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, study=study, site=site, role=role.value, defaults={"active": True})
        if not created and membership.active:
            return membership
        membership.active = True
        membership.save(update_fields=["active"])
        record(actor=actor_name, action="membership.granted", study=study.code,
               object_type="membership", object_id=membership.pk,
               new={"user": user.get_username(), "role": role.value,
                    "site": site.code if site else "all"})
    return membership


def notify(users: list[AbstractBaseUser], study: Study, text: str, url: str = "") -> None:
    """Queue in-app notifications, created only when the surrounding transaction commits."""
    def send() -> None:
        now = clock.now()
        Notification.objects.bulk_create(
            [Notification(user=u, study=study, created_at=now, text=text, url=url)
             for u in users]
        )

    transaction.on_commit(send)


def notify_roles(study: Study, roles: set[Role], text: str, url: str = "") -> None:
    """Notify every user who holds one of `roles` in `study` (active memberships), now, in one
    statement (INSERT ... SELECT): what `notify(users_with_role(...))` writes, without reading
    the users first. Call it from `transaction.on_commit` or inside the action's transaction."""
    quote = connection.ops.quote_name
    note, member = Notification._meta, Membership._meta
    columns = ", ".join(quote(note.get_field(f).column)
                        for f in ("user", "study", "created_at", "text", "url"))
    user, of_study, active, role = (quote(member.get_field(f).column)
                                    for f in ("user", "study", "active", "role"))
    wanted = sorted(r.value for r in roles)
    sql = (
        f"INSERT INTO {quote(note.db_table)} ({columns}) "
        f"SELECT DISTINCT m.{user}, %s, %s, %s, %s FROM {quote(member.db_table)} m "
        f"WHERE m.{of_study} = %s AND m.{active} "
        f"AND m.{role} IN ({', '.join(['%s'] * len(wanted))})"
    )
    at = note.get_field("created_at").get_db_prep_value(clock.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [study.pk, at, text, url, study.pk, *wanted])


def users_with_role(study: Study, roles: set[Role]) -> list[AbstractBaseUser]:
    rows = (Membership.objects.filter(study=study, role__in=[r.value for r in roles], active=True)
            .select_related("user"))
    return list({m.user_id: m.user for m in rows}.values())


__all__ = ["ActionDenied", "ActionRefused", "create_study", "create_user", "grant_role",
           "notify", "notify_roles", "users_with_role"]
