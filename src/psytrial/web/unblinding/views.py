"""Thin views of emergency unblinding: the log, the request, and the arm for its grantee."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from psytrial.core.roles import Role
from psytrial.web.permissions import ActionRefused, fetch_participant, roles_of
from psytrial.web.pharmacy.views import denied_as_403
from psytrial.web.trial.views import study_for
from psytrial.web.unblinding import actions
from psytrial.web.unblinding.forms import RequestForm


@login_required
@denied_as_403
def log(request: HttpRequest, code: str) -> HttpResponse:
    study = study_for(request, code)
    grants = actions.unblinding_log(request.user, study)
    investigator = Role.INVESTIGATOR in roles_of(request.user, study)
    return render(
        request,
        "unblinding/log.html",
        {
            "study": study,
            "grants": grants,
            "participants": actions.requestable(request.user, study) if investigator else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def request_view(request: HttpRequest, code: str, pid: int) -> HttpResponse:
    """The request form for one participant (investigators at its site)."""
    study = study_for(request, code)
    participant, _ = fetch_participant(request.user, study, pid, {Role.INVESTIGATOR})
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = actions.request_emergency_unblinding(
                request.user, study, pid, form.cleaned_data["reason"]
            )
        except ActionRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Emergency unblinding of {participant.code} recorded.")
            return redirect("unblinding:grant", code=code, event_id=grant.pk)
    own = participant.emergency_unblindings.filter(investigator=request.user).first()
    return render(
        request,
        "unblinding/request.html",
        {"study": study, "participant": participant, "form": form, "own": own},
    )


@login_required
@denied_as_403
def grant(request: HttpRequest, code: str, event_id: int) -> HttpResponse:
    """The arm of one participant, shown to the investigator who holds the grant only."""
    study = study_for(request, code)
    arm = actions.revealed_arm(request.user, study, event_id)
    return render(request, "unblinding/grant.html", {"study": study, "arm": arm})
