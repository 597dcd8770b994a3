"""The study page's links to the worklist and the dashboard, by role (links only: every page
authorizes again)."""

from __future__ import annotations

from typing import Any

from django import template

from psytrial.web.permissions import AnyUser, roles_of
from psytrial.web.trial.models import Study
from psytrial.web.visits.access import TIMELINE_READERS

register = template.Library()


@register.inclusion_tag("visits/_links.html")
def visits_links(study: Study, user: AnyUser) -> dict[str, Any]:
    roles = roles_of(user, study)
    return {"study": study, "worklist": bool(roles & TIMELINE_READERS), "dashboard": bool(roles)}
