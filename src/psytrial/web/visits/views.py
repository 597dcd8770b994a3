"""Thin views of trial conduct: timeline, worklist, dashboard, session safety, the visit-aware
form entry, marking a visit missed or a serious event reported, withdrawal.

Each view authorizes through the readout or action function it calls; a role that may not
(ActionDenied) or a blind that forbids (BlindingError) becomes 403; a rule that refuses now
(ActionRefused, IllegalTransition) becomes a message or a form error.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from psytrial.core.errors import BlindingError, FormError, ProtocolError, TransitionError
from psytrial.core.roles import Role
from psytrial.web import clock
from psytrial.web.forms.catalog import entry_form, instrument
from psytrial.web.forms.errors import FormConflict
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.permissions import may_enter, may_read, may_see
from psytrial.web.forms.queries import current_data, current_version
from psytrial.web.forms.rendering import as_raw, raw_from_post, sections
from psytrial.web.forms.viewkit import roles_at, study_or_404
from psytrial.web.permissions import ActionDenied, ActionRefused, fetch_participant, roles_of
from psytrial.web.trial.models import Participant
from psytrial.web.visits import actions
from psytrial.web.visits.access import WITHDRAWERS
from psytrial.web.visits.dashboard import dashboard
from psytrial.web.visits.safety import alerts_in, safety_instrument, safety_view
from psytrial.web.visits.timeline import timeline
from psytrial.web.visits.worklist import overdue_by_site, worklist

View = Callable[..., HttpResponse]
END_KIND_LABELS = {
    "withdrew": "Withdrew consent",
    "investigator": "Withdrawn by the investigator",
    "lost": "Lost to follow-up",
}


def refusals_as_403(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except (ActionDenied, BlindingError) as exc:
            raise PermissionDenied(str(exc)) from None

    return wrapped


@login_required
@require_GET
@refusals_as_403
def timeline_page(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    study = study_or_404(request.user, code)
    found = timeline(request.user, study, pk)
    now = clock.now()
    return render(
        request,
        "visits/timeline.html",
        {
            "study": study,
            "t": found,
            "participant": found.participant,
            "serious": [(e, e.clock(now), e.overdue(now)) for e in found.serious],
            "end_kinds": [(k, END_KIND_LABELS[k]) for k in found.end_kinds],
        },
    )


@login_required
@require_POST
@refusals_as_403
def mark_missed(request: HttpRequest, code: str, pk: int, visit_id: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    participant, _ = fetch_participant(request.user, study, pk, set(Role))
    try:
        actions.mark_missed(request.user, participant, visit_id, request.POST.get("reason", ""))
    except (ActionRefused, FormError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Visit {visit_id} of {participant.code} marked missed.")
    return redirect("visits:timeline", code=code, pk=pk)


@login_required
@require_GET
@refusals_as_403
def safety_page(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    study = study_or_404(request.user, code)
    view = safety_view(request.user, study, pk)
    return render(
        request, "visits/safety.html", {"study": study, "v": view, "participant": view.participant}
    )


@login_required
@require_POST
@refusals_as_403
def sae_reported(request: HttpRequest, code: str, record_id: int) -> HttpResponse:
    study = study_or_404(request.user, code)
    record = FormRecord.objects.filter(pk=record_id, participant__study=study).first()
    if record is None:
        raise Http404("no such adverse event")
    try:
        actions.mark_sae_reported(request.user, study, record_id, request.POST.get("reference", ""))
    except (ActionRefused, FormError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Serious adverse event marked reported.")
    return redirect("visits:timeline", code=code, pk=record.participant_id)


@login_required
@refusals_as_403
def withdrawal(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Record a withdrawal or a loss to follow-up (an investigator at the site)."""
    study = study_or_404(request.user, code)
    participant, _ = fetch_participant(request.user, study, pk, WITHDRAWERS)
    error, values = "", {"kind": "", "date": clock.today().isoformat(), "reason": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            actions.end_participation(request.user, participant, values)
        except (ActionRefused, TransitionError) as exc:
            error = str(exc)
        except FormError as exc:
            error = "; ".join(
                f"{k}: {m}" if k != "__all__" else m
                for k, ms in exc.field_errors.items()
                for m in ms
            )
        else:
            messages.success(
                request, f"{participant.code}: {END_KIND_LABELS[values['kind']]} recorded."
            )
            return redirect("visits:timeline", code=code, pk=pk)
    return render(
        request,
        "visits/withdrawal.html",
        {
            "study": study,
            "participant": participant,
            "error": error,
            "values": values,
            "kinds": list(END_KIND_LABELS.items()),
        },
        status=400 if error else 200,
    )


@login_required
@require_GET
@refusals_as_403
def worklist_page(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    return render(
        request,
        "visits/worklist.html",
        {
            "study": study,
            "w": worklist(request.user, study),
            "by_site": overdue_by_site(request.user, study),
        },
    )


@login_required
@require_GET
@refusals_as_403
def dashboard_page(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    return render(
        request, "visits/dashboard.html", {"study": study, "d": dashboard(request.user, study)}
    )


@login_required
@refusals_as_403
def entry(
    request: HttpRequest, code: str, pk: int, instrument_id: str, visit: str, occurrence: int
) -> HttpResponse:
    """The generic form page's twin for entries with visit-aware checks (see `actions`)."""
    study = study_or_404(request.user, code)
    participant, _ = fetch_participant(request.user, study, pk, set(Role))
    if instrument_id not in actions.context_instruments(study):
        raise Http404(f"{instrument_id} is entered on the generic form page")
    try:
        defn = instrument(study.protocol, instrument_id)
    except ProtocolError:
        raise Http404(f"no instrument {instrument_id}") from None
    here = roles_at(request.user, study, participant.site)
    everywhere = roles_of(request.user, study)
    if not (may_read(here, defn) and may_see(everywhere, defn)):
        raise PermissionDenied(f"your role does not show {defn.id}")
    visit_id = "" if visit == "-" else visit
    record = FormRecord.objects.filter(
        participant=participant,
        instrument_id=defn.id,
        visit_id=visit_id,
        occurrence=occurrence,
        variant="",
    ).first()
    version = current_version(record) if record is not None else None
    editable = (
        may_enter(here, defn)
        and may_see(here | everywhere, defn)
        and not study.is_locked
        and not (record is not None and record.locked)
    )
    form = entry_form(defn)
    state: dict[str, Any] = {
        "shown": {k: as_raw(v) for k, v in (version.data if version else {}).items()},
        "errors": {},
        "expected": version.version if version else 0,
        "conflict": False,
        "reason": "",
    }
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("you may not change this form")
        saved = _save(request, participant, defn.id, visit_id, occurrence, form, state)
        if saved is not None:
            return saved
    return render(
        request,
        "forms/entry.html",
        {
            "study": study,
            "participant": participant,
            "definition": defn,
            "visit_id": visit_id,
            "occurrence": occurrence,
            "variant": "",
            "record": record,
            "version": version,
            "history": record.versions.select_related("saved_by") if record else [],
            "sections": sections(
                form,
                state["shown"],
                state["errors"],
                dict(version.data) if state["conflict"] and version else None,
            ),
            "form_errors": state["errors"].get("__all__", []),
            "reason_errors": state["errors"].get("reason", []),
            "reason": state["reason"],
            "expected_version": state["expected"],
            "editable": editable,
            "conflict": state["conflict"],
            "may_lock": False,
            "lock_url": reverse(
                "forms:lock",
                kwargs={
                    "code": study.code,
                    "pk": participant.pk,
                    "instrument_id": defn.id,
                    "visit": visit,
                    "occurrence": occurrence,
                },
            ),
        },
    )


def _save(
    request: HttpRequest,
    participant: Participant,
    instrument_id: str,
    visit_id: str,
    occurrence: int,
    form: Any,
    state: dict[str, Any],
) -> HttpResponse | None:
    raw = raw_from_post(form, request.POST)
    state["reason"] = request.POST.get("reason", "")
    try:
        sent = int(request.POST.get("expected_version", "0"))
    except ValueError:
        sent = -1
    try:
        record = actions.enter_visit_form(
            request.user,
            participant,
            instrument_id,
            visit_id,
            raw,
            reason=state["reason"],
            expected_version=sent,
            occurrence=occurrence,
        )
    except FormConflict as exc:
        state.update(errors=exc.field_errors, shown=exc.submitted, conflict=True)
    except FormError as exc:
        state.update(errors=exc.field_errors, shown=raw, expected=sent)
    except (ActionRefused, TransitionError) as exc:
        state.update(errors={"__all__": [str(exc)]}, shown=raw, expected=sent)
    else:
        return _after_save(request, participant, instrument_id, record)
    return None


def _after_save(
    request: HttpRequest, participant: Participant, instrument_id: str, record: FormRecord
) -> HttpResponse:
    study = participant.study
    vitals = safety_instrument(study.protocol)
    messages.success(
        request, f"{instrument(study.protocol, instrument_id).label} saved for {participant.code}."
    )
    if vitals is not None and instrument_id == vitals.id:
        for alert in alerts_in(study.protocol, current_data(record)):
            messages.error(request, f"Session safety alert: {alert.text}.")
        return redirect("visits:safety", code=study.code, pk=participant.pk)
    return redirect("visits:timeline", code=study.code, pk=participant.pk)
