"""Thin views of the pharmacy (pharmacists) and of administration (session clinicians).

Every view authorizes through the action and readout functions; a refused role gets 403.
Dosing refusals are shown only on the pharmacist's pages, which only pharmacists reach.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from psytrial.core.errors import BlindingError, DosingError, TransitionError
from psytrial.web import clock
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.pharmacy import actions
from psytrial.web.pharmacy.allocation import baseline_weight
from psytrial.web.pharmacy.forms import AdministrationForm, WeightForm
from psytrial.web.pharmacy.readouts import (
    compute_preparation,
    current_preparation,
    details_of,
    pharmacist_access,
    pharmacy_rows,
    preparation_details,
    session_rows,
    session_view,
)
from psytrial.web.sealing import Capability
from psytrial.web.trial.models import Participant
from psytrial.web.trial.views import study_for

View = Callable[..., HttpResponse]


def denied_as_403(view: View) -> View:
    """ActionDenied (no role here) and BlindingError (blind to this) become 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (ActionDenied, BlindingError) as exc:
            raise PermissionDenied(str(exc)) from None

    return wrapper


@login_required
@denied_as_403
def worklist(request: HttpRequest, code: str) -> HttpResponse:
    study = study_for(request, code)
    return render(
        request,
        "pharmacy/worklist.html",
        {"study": study, "rows": pharmacy_rows(request.user, study)},
    )


@login_required
@denied_as_403
def participant(request: HttpRequest, code: str, pid: int) -> HttpResponse:
    """A participant's kit: its recorded preparation, or a preview for a weight."""
    study = study_for(request, code)
    person, cap = pharmacist_access(request.user, study, pid)
    prep = current_preparation(person)
    context: dict[str, Any] = {"study": study, "participant": person, "preparation": prep}
    if prep is not None:
        context["details"] = preparation_details(request.user, study, prep)
        context["may_check"] = not prep.is_checked and prep.prepared_by_id != request.user.pk
    else:
        context.update(_preview(request, person, cap))
    return render(request, "pharmacy/participant.html", context)


def _preview(request: HttpRequest, person: Participant, cap: Capability) -> dict[str, Any]:
    """The preparation for the baseline weight, or for a weight typed in (which must agree)."""
    form = WeightForm(request.GET or None)
    shown: dict[str, Any] = {"form": form}
    if form.is_bound and not form.is_valid():
        return shown
    entered = form.cleaned_data["weight_kg"] if form.is_bound else None
    if not form.is_bound and baseline_weight(person) is None:
        return shown  # nothing to compute yet: the pharmacist types the weight
    try:
        weight, _ = actions.dosing_weight(person, entered)
        shown["preview"] = details_of(compute_preparation(person, cap, weight), person.study)
    except (ActionRefused, DosingError) as exc:  # sealed or not: this page is the pharmacist's
        shown["refusal"] = str(exc)
    shown["weight_kg"] = entered
    return shown


@login_required
@require_POST
@denied_as_403
def prepare(request: HttpRequest, code: str, pid: int) -> HttpResponse:
    study = study_for(request, code)
    form = WeightForm(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            f"weight_kg: expected a weight in kg, got {request.POST.get('weight_kg', '')!r}",
        )
        return redirect("pharmacy:participant", code=code, pid=pid)
    try:
        row = actions.prepare_dose(request.user, study, pid, form.cleaned_data["weight_kg"])
    except (ActionRefused, DosingError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Preparation of kit {row.kit_code} recorded; a second pharmacist must check it.",
        )
    return redirect("pharmacy:participant", code=code, pid=pid)


@login_required
@require_POST
@denied_as_403
def check(request: HttpRequest, code: str, prep_id: int) -> HttpResponse:
    study = study_for(request, code)
    try:
        row = actions.check_preparation(request.user, study, prep_id)
    except ActionRefused as exc:
        messages.error(request, str(exc))
        row = None
    if row is not None:
        messages.success(request, f"Kit {row.kit_code} checked.")
        return redirect("pharmacy:participant", code=code, pid=row.participant_id)
    return redirect("pharmacy:worklist", code=code)


@login_required
@denied_as_403
def sessions(request: HttpRequest, code: str) -> HttpResponse:
    study = study_for(request, code)
    return render(
        request,
        "pharmacy/sessions.html",
        {"study": study, "rows": session_rows(request.user, study)},
    )


@login_required
@require_http_methods(["GET", "POST"])
@denied_as_403
def administer(request: HttpRequest, code: str, pid: int) -> HttpResponse:
    """Record an injection by kit code, time and volume (the session clinician)."""
    study = study_for(request, code)
    view = session_view(request.user, study, pid)
    form = AdministrationForm(
        request.POST or None,
        initial={"administered_at": clock.now().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.record_administration(request.user, study, pid, **form.cleaned_data)
        except (ActionRefused, TransitionError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Administration of kit {view.kit_code} recorded.")
            return redirect("pharmacy:sessions", code=code)
    return render(request, "pharmacy/administer.html", {"study": study, "view": view, "form": form})
