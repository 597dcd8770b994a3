"""Small helpers the views of the forms, enrolment and randomization apps share.

`denied_is_403` turns ActionDenied into Django's PermissionDenied (a 403 page), so views can
call the permission helpers and action functions directly; `study_or_404` finds a study the
user is a member of.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from psytrial.core.roles import Role
from psytrial.web.permissions import ActionDenied, AnyUser, memberships
from psytrial.web.trial.models import Site, Study

View = Callable[..., HttpResponse]


def denied_is_403(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ActionDenied as exc:
            raise PermissionDenied(str(exc)) from None

    return wrapped


def study_or_404(user: AnyUser, code: str) -> Study:
    """The study, if the user holds any role in it; ActionDenied otherwise."""
    study = get_object_or_404(Study, code=code)
    if not memberships(user, study):
        raise ActionDenied(f"expected a member of study {code}")
    return study


def roles_at(user: AnyUser, study: Study, site: Site) -> set[Role]:
    """The user's roles that apply at `site` (site roles there, and study-wide roles)."""
    return {
        m.role_enum for m in memberships(user, study) if m.site_id is None or m.site_id == site.pk
    }
