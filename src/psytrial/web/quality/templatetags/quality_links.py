"""The study page's links to queries, database lock and exports, by role.

Links only: every page authorizes again. A user sees a link only if their roles open the page.
"""

from __future__ import annotations

from typing import Any

from django import template

from psytrial.web.permissions import AnyUser, memberships, roles_of
from psytrial.web.quality import rules
from psytrial.web.quality.views import LIST_ROLES
from psytrial.web.trial.models import Study

register = template.Library()


@register.inclusion_tag("quality/_links.html")
def quality_links(study: Study, user: AnyUser) -> dict[str, Any]:
    from psytrial.web.exports.access import EXPORTERS

    roles = roles_of(user, study)
    study_wide = {m.role_enum for m in memberships(user, study) if m.site_id is None}
    return {
        "study": study,
        "queries": bool(roles & LIST_ROLES),
        "lock": bool(study_wide & rules.DATABASE_LOCKERS) and not study.is_locked,
        "exports": bool(roles & EXPORTERS),
    }
