"""Enrolment pages: the participant list, screening (with the screening log), a participant.

Thin views: they authorize with the permission helpers, call the enrolment actions and show
what the blind allows (blinded staff see the kit code, never the arm).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from psytrial.core.errors import FormError
from psytrial.web.blind import is_unblinded
from psytrial.web.enrolment.actions import SCREENERS, screen
from psytrial.web.enrolment.pages import visit_forms
from psytrial.web.enrolment.readiness import eligibility_of, readiness
from psytrial.web.forms.permissions import READERS
from psytrial.web.forms.viewkit import denied_is_403, roles_at, study_or_404
from psytrial.web.permissions import (
    ActionRefused,
    fetch_participant,
    memberships,
    require_role,
    roles_of,
    visible_participants,
)
from psytrial.web.randomization.actions import RANDOMIZERS
from psytrial.web.randomization.queries import allocation_list, arm_for_viewer
from psytrial.web.trial.models import Site, Study
from psytrial.web.trial.models.participant import STATUS_CHOICES

VIEWERS = READERS
PAGE_SIZE = 50


@login_required
@denied_is_403
def participant_list(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    require_role(request.user, study, VIEWERS)
    rows = visible_participants(request.user, study).order_by("site__code", "code")
    status = request.GET.get("status", "")
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "enrolment/participant_list.html",
        {
            "study": study,
            "page": page,
            "status": status,
            "statuses": STATUS_CHOICES,
            "may_screen": bool(roles_of(request.user, study) & SCREENERS),
        },
    )


def screening_sites(request: HttpRequest, study: Study) -> list[Site]:
    """The sites where the user may screen (all sites for a study-wide investigator)."""
    mine = [m for m in memberships(request.user, study) if m.role_enum in SCREENERS]
    if any(m.site_id is None for m in mine):
        return list(study.sites.order_by("code"))
    return sorted({m.site for m in mine if m.site is not None}, key=lambda s: s.code)


@login_required
@denied_is_403
def screening(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    require_role(request.user, study, SCREENERS)
    sites = screening_sites(request, study)
    if request.method == "POST":
        chosen = next((s for s in sites if s.code == request.POST.get("site")), None)
        if chosen is None and len(sites) == 1:
            chosen = sites[0]
        if chosen is None:
            messages.error(request, "Choose the site where the participant is screened.")
        else:
            try:
                participant = screen(request.user, study, chosen)
            except (ActionRefused, FormError) as exc:  # FormLocked after the database lock
                messages.error(request, str(exc))
            else:
                messages.success(request, f"{participant.code} screened at {chosen.name}.")
                return redirect("enrolment:participant", code=study.code, pk=participant.pk)
    log = (
        visible_participants(request.user, study)
        .filter(site__in=sites)
        .order_by("-screened_at", "-pk")[:200]
    )
    return render(
        request,
        "enrolment/screening.html",
        {
            "study": study,
            "sites": sites,
            "log": [(p, eligibility_of(p)) for p in log],
        },
    )


@login_required
@denied_is_403
def participant(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    study = study_or_404(request.user, code)
    person, _ = fetch_participant(request.user, study, pk, VIEWERS)
    here = roles_at(request.user, study, person.site)
    everywhere = roles_of(request.user, study)
    unblinded = is_unblinded(request.user, study)
    state = readiness(person)
    return render(
        request,
        "enrolment/participant.html",
        {
            "study": study,
            "participant": person,
            "eligibility": state.eligibility,
            "visits": visit_forms(person, here, everywhere, unblinded),
            "may_randomize": bool(here & RANDOMIZERS),
            "blockers": list(state.blockers),
            "has_list": allocation_list(study) is not None,
            "arm": arm_for_viewer(request.user, person),
        },
    )
