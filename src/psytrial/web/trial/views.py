"""Thin views of the trial app: the study list, a study's home page, notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from psytrial.web import clock
from psytrial.web.blind import is_unblinded
from psytrial.web.permissions import ActionDenied, memberships
from psytrial.web.trial.models import Membership, Notification, Study


@login_required
def home(request: HttpRequest) -> HttpResponse:
    rows = (Membership.objects.filter(user=request.user, active=True)
            .select_related("study", "site").order_by("study__code", "role"))
    studies: dict[str, dict[str, object]] = {}
    for m in rows:
        entry = studies.setdefault(m.study.code, {"study": m.study, "roles": []})
        where = m.site.code if m.site else "all sites"
        entry["roles"].append(f"{m.get_role_display()} ({where})")  # type: ignore[attr-defined]
    return render(request, "psytrial/home.html", {"studies": list(studies.values())})


def study_for(request: HttpRequest, code: str) -> Study:
    """The study, if the user holds any role in it (else 403 through ActionDenied)."""
    study = get_object_or_404(Study, code=code)
    if not memberships(request.user, study):
        raise ActionDenied(f"expected a member of study {code}")
    return study


@login_required
def study_home(request: HttpRequest, code: str) -> HttpResponse:
    study = study_for(request, code)
    mine = memberships(request.user, study)
    notes = Notification.objects.filter(user=request.user, study=study).order_by("-created_at")
    return render(request, "psytrial/study_home.html", {
        "study": study, "protocol": study.protocol, "memberships": mine,
        "unblinded": is_unblinded(request.user, study),
        "notifications": notes[:20], "unread": notes.filter(read_at__isnull=True).count(),
    })


@login_required
@require_POST
def mark_notifications_read(request: HttpRequest, code: str) -> HttpResponse:
    study = study_for(request, code)
    Notification.objects.filter(user=request.user, study=study, read_at__isnull=True).update(
        read_at=clock.now())
    return redirect("trial:study", code=code)
