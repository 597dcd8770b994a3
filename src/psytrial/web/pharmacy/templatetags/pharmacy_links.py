"""The study page's links to the pharmacy, drug sessions and emergency unblinding, by role.

Links only: every page authorizes again. A user sees a link only if their roles open the page.
"""

from __future__ import annotations

from typing import Any

from django import template

from psytrial.core.roles import Role
from psytrial.web.permissions import AnyUser, roles_of
from psytrial.web.trial.models import Study

register = template.Library()

UNBLINDING_LOG_READERS = {Role.INVESTIGATOR, Role.DSMB_MEMBER, Role.MONITOR}


@register.inclusion_tag("pharmacy/_links.html")
def trial_conduct_links(study: Study, user: AnyUser) -> dict[str, Any]:
    roles = roles_of(user, study)
    return {
        "study": study,
        "pharmacy": Role.PHARMACIST in roles,
        "sessions": Role.SESSION_CLINICIAN in roles,
        "unblinding": bool(roles & UNBLINDING_LOG_READERS),
    }
