"""Randomization pages: the randomize button's target, and the statistician's list page.

The list page (randomization statistician only) generates or uploads the study's list once,
then shows its commitment and every slot with its arm, opened with the statistician's
capability. Everyone else sees the commitment on the study page (`templatetags`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from psytrial.core.errors import AllocationError
from psytrial.web.blind import capability
from psytrial.web.forms.viewkit import denied_is_403, study_or_404
from psytrial.web.permissions import ActionRefused, fetch_participant, require_role
from psytrial.web.randomization.actions import (
    RANDOMIZERS,
    STATISTICIANS,
    generate_list,
    randomize,
    upload_list,
)
from psytrial.web.randomization.models import AllocationSlot
from psytrial.web.randomization.queries import allocation_list, open_arm

# ASSUMPTION: a suggestion only; the statistician sets the number per stratum.
DEFAULT_N_PER_STRATUM = 100


@login_required
@require_POST
@denied_is_403
def randomize_view(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    study = study_or_404(request.user, code)
    participant, _ = fetch_participant(request.user, study, pk, RANDOMIZERS)
    try:
        result = randomize(request.user, participant)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        if result.created:
            messages.success(request, f"{participant.code} randomized: kit {result.kit_code}.")
        else:
            messages.info(
                request, f"{participant.code} was already randomized: kit {result.kit_code}."
            )
    return redirect("enrolment:participant", code=study.code, pk=participant.pk)


@login_required
@denied_is_403
def list_page(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    require_role(request.user, study, STATISTICIANS)
    current = allocation_list(study)
    rows = []
    if current is not None:
        cap = capability(request.user, study)
        for slot in (
            AllocationSlot.objects.filter(allocation=current)
            .select_related("participant")
            .order_by("pk")
        ):
            rows.append((slot, open_arm(slot, cap, study.pk)))
    labels = study.protocol.stratum_labels()
    return render(
        request,
        "randomization/list.html",
        {
            "study": study,
            "allocation": current,
            "rows": rows,
            "strata": labels,
            "default_n": DEFAULT_N_PER_STRATUM,
        },
    )


def _fail(request: HttpRequest, code: str, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("randomization:list", code=code)


@login_required
@require_POST
@denied_is_403
def generate(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    require_role(request.user, study, STATISTICIANS)
    try:
        n = int(request.POST.get("n_per_stratum", ""))
    except ValueError:
        return _fail(
            request,
            code,
            "n_per_stratum: expected a whole number of slots per "
            f"stratum, got {request.POST.get('n_per_stratum', '')!r}",
        )
    seed_text = request.POST.get("seed", "").strip()
    try:
        seed = int(seed_text) if seed_text else None
    except ValueError:
        return _fail(request, code, f"seed: expected a whole number or nothing, got {seed_text!r}")
    try:
        created = generate_list(request.user, study, n_per_stratum=n, seed=seed)
    except (ActionRefused, AllocationError) as exc:
        return _fail(request, code, str(exc))
    messages.success(request, f"Allocation list generated; commitment {created.commitment}.")
    return redirect("randomization:list", code=code)


@login_required
@require_POST
@denied_is_403
def upload(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    require_role(request.user, study, STATISTICIANS)
    sent = request.FILES.get("csv")
    if sent is None:
        return _fail(request, code, "file: expected an allocation list CSV, got none")
    try:
        text = sent.read().decode("utf-8")
    except UnicodeDecodeError:
        return _fail(request, code, "file: expected UTF-8 text, got bytes that are not")
    try:
        created = upload_list(request.user, study, text)
    except (ActionRefused, AllocationError) as exc:
        return _fail(request, code, f"The list was not loaded: {exc}")
    messages.success(request, f"Allocation list loaded; commitment {created.commitment}.")
    return redirect("randomization:list", code=code)
