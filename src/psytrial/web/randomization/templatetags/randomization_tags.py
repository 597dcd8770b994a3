"""The study page's trial-conduct section: links by role, and the allocation commitment.

The commitment (SHA-256 of the sealed list) is shown to every member from the moment the
list exists, so anyone can later check that the list was not changed. Links only: every page
authorizes again.
"""

from __future__ import annotations

from typing import Any

from django import template

from psytrial.web.enrolment.actions import SCREENERS
from psytrial.web.forms.permissions import READERS
from psytrial.web.permissions import AnyUser, roles_of
from psytrial.web.randomization.actions import STATISTICIANS
from psytrial.web.randomization.queries import allocation_list
from psytrial.web.trial.models import Study

register = template.Library()


@register.inclusion_tag("randomization/_study_section.html")
def enrolment_section(study: Study, user: AnyUser) -> dict[str, Any]:
    roles = roles_of(user, study)
    return {
        "study": study,
        "allocation": allocation_list(study),
        "participants": bool(roles & READERS),
        "screening": bool(roles & SCREENERS),
        "statistician": bool(roles & STATISTICIANS),
    }
