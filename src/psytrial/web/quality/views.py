"""Thin views of data quality: query lists and threads, a form's quality page, database lock.

Every view authorizes through the readouts and action functions: no role here is 403 (the
same answer whether the query exists or not), a rule that refuses now is a message. Included
under `s/<code>/quality/` by the project's URL map.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from psytrial.core.errors import FormError
from psytrial.core.roles import Role
from psytrial.web.forms.catalog import entry_form
from psytrial.web.forms.queries import current_data, visible_records
from psytrial.web.forms.viewkit import denied_is_403, roles_at, study_or_404
from psytrial.web.permissions import ActionRefused, fetch_participant, roles_of
from psytrial.web.quality import actions, lock, readouts, rules
from psytrial.web.quality.models import OPEN, STATUS_CHOICES, UNRESOLVED
from psytrial.web.quality.signatures import sign_form, signature_of

LIST_ROLES = frozenset(
    {
        Role.INVESTIGATOR,
        Role.PSYCHOTHERAPIST,
        Role.SESSION_CLINICIAN,
        Role.OUTCOME_RATER,
        Role.PHARMACIST,
        Role.DATA_MANAGER,
        Role.MONITOR,
        Role.DSMB_MEMBER,
    }
)


def _refusal(exc: Exception) -> str:
    if isinstance(exc, FormError):
        return " ".join(m for msgs in exc.field_errors.values() for m in msgs)
    return str(exc)


@login_required
@denied_is_403
def query_list(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    if not roles_of(request.user, study) & LIST_ROLES:
        raise PermissionDenied("your role does not read queries")
    wanted = request.GET.get("status", "unresolved")
    statuses = (
        UNRESOLVED
        if wanted == "unresolved"
        else ((wanted,) if wanted in dict(STATUS_CHOICES) else None)
    )
    site = request.GET.get("site") or None
    queries = readouts.visible_queries(request.user, study, statuses=statuses, site=site)
    unresolved = readouts.visible_queries(request.user, study, statuses=UNRESOLVED)
    return render(
        request,
        "quality/query_list.html",
        {
            "study": study,
            "queries": queries,
            "status": wanted,
            "site": site or "",
            "statuses": ["unresolved", *dict(STATUS_CHOICES), "all"],
            "by_site": readouts.counts_by_site(unresolved),
            "may_lock": bool(roles_of(request.user, study) & rules.DATABASE_LOCKERS),
        },
    )


@login_required
@denied_is_403
def participant_forms(request: HttpRequest, code: str, pid: int) -> HttpResponse:
    """A participant's forms with their queries and signatures, and the participant's queries."""
    study = study_or_404(request.user, code)
    participant, _ = fetch_participant(request.user, study, pid, LIST_ROLES)
    entries = visible_records(
        participant, roles_at(request.user, study, participant.site), roles_of(request.user, study)
    )
    queries = readouts.visible_queries(request.user, study, participant_id=participant.pk)
    open_by_record: dict[int, int] = {}
    for q in queries:
        if q.status in UNRESOLVED:
            open_by_record[q.record_id] = open_by_record.get(q.record_id, 0) + 1
    rows = [
        (e, open_by_record.get(e.record.pk, 0), signature_of(e.record))
        for e in entries
        if e.record.current_version > 0
    ]
    return render(
        request,
        "quality/participant.html",
        {
            "study": study,
            "participant": participant,
            "rows": rows,
            "queries": queries,
        },
    )


@login_required
@denied_is_403
def form_quality(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    study = study_or_404(request.user, code)
    record = readouts.record_for(request.user, study, pk)
    place = rules.place_of(record)
    site_roles = roles_at(request.user, study, record.participant.site)
    data = current_data(record)
    fields = [(f.id, f.label, data.get(f.id)) for f in entry_form(place.definition).form.fields]
    return render(
        request,
        "quality/form.html",
        {
            "study": study,
            "record": record,
            "definition": place.definition,
            "fields": fields,
            "queries": readouts.visible_queries(
                request.user, study, participant_id=record.participant_id
            ),
            "signature": signature_of(record),
            "may_raise": bool(site_roles & rules.RAISERS) and not study.is_locked,
            "may_sign": bool(site_roles & rules.SIGNERS) and not study.is_locked,
            "may_lock": (
                bool(site_roles & rules.CLOSERS) and not record.locked and not study.is_locked
            ),
        },
    )


@login_required
@require_POST
@denied_is_403
def raise_query(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    study = study_or_404(request.user, code)
    record = readouts.record_for(request.user, study, pk)
    try:
        query = actions.raise_query(
            request.user, record, request.POST.get("field_id", ""), request.POST.get("text", "")
        )
    except (FormError, ActionRefused) as exc:
        messages.error(request, _refusal(exc))
        return redirect("quality:form", code=study.code, pk=record.pk)
    messages.success(request, f"Query {query.pk} raised.")
    return redirect("quality:query", code=study.code, pk=query.pk)


@login_required
@require_POST
@denied_is_403
def sign(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    study = study_or_404(request.user, code)
    record = readouts.record_for(request.user, study, pk)
    try:
        sign_form(request.user, record, request.POST.get("password", ""))
    except (FormError, ActionRefused) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, "Form signed.")
    return redirect("quality:form", code=study.code, pk=record.pk)


@login_required
@require_POST
@denied_is_403
def lock_form(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    study = study_or_404(request.user, code)
    record = readouts.record_for(request.user, study, pk)
    try:
        lock.lock_checked_form(request.user, record, reason=request.POST.get("reason", ""))
    except (FormError, ActionRefused) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, "Form locked.")
    return redirect("quality:form", code=study.code, pk=record.pk)


@login_required
@denied_is_403
def query_detail(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    study = study_or_404(request.user, code)
    query = readouts.query_for(request.user, study, pk)
    place = rules.place_of(query.record)
    site_roles = roles_at(request.user, study, query.participant.site)
    open_now = not study.is_locked
    return render(
        request,
        "quality/query.html",
        {
            "study": study,
            "query": query,
            "events": query.events.select_related("author"),
            "field_label": rules.field_label(place.definition, query.field_id),
            "definition": place.definition,
            "may_answer": open_now
            and query.status == OPEN
            and rules.may_view(request.user, place)
            and bool(site_roles & rules.answerers(place)),
            "may_close": open_now
            and query.status in UNRESOLVED
            and bool(site_roles & rules.CLOSERS),
            "may_reopen": open_now
            and query.status == "closed"
            and bool(site_roles & rules.CLOSERS),
        },
    )


def _step(request: HttpRequest, code: str, pk: int, step: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    query = readouts.query_for(request.user, study, pk)
    action = {
        "answer": actions.answer_query,
        "close": actions.close_query,
        "reopen": actions.reopen_query,
    }[step]
    try:
        action(request.user, query, request.POST.get("text", ""))
    except (FormError, ActionRefused) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, f"Query {query.pk}: {step} recorded.")
    return redirect("quality:query", code=study.code, pk=query.pk)


@login_required
@require_POST
@denied_is_403
def answer(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    return _step(request, code, pk, "answer")


@login_required
@require_POST
@denied_is_403
def close(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    return _step(request, code, pk, "close")


@login_required
@require_POST
@denied_is_403
def reopen(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    return _step(request, code, pk, "reopen")


@login_required
@require_http_methods(["GET", "POST"])
@denied_is_403
def database_lock(request: HttpRequest, code: str) -> HttpResponse:
    """GET: what stands in the way of the lock; POST: lock (a study-wide data manager)."""
    study = study_or_404(request.user, code)
    rules.require_study_wide(request.user, study, rules.DATABASE_LOCKERS, "lock the database")
    if request.method == "POST":
        try:
            lock.lock_study(request.user, study, request.POST.get("reason", ""))
        except (FormError, ActionRefused) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(request, f"The database of {study.code} is locked.")
            return redirect("trial:study", code=study.code)
    return render(
        request,
        "quality/lock.html",
        {
            "study": study,
            "unresolved": lock.unresolved_queries(study),
        },
    )
