"""The generic form page: any protocol instrument, drawn from its definition, for one entry.

GET shows the saved values (or an empty form), the version history and, to those who may
enter it, an editable form; POST saves through `enrolment.actions.enter_form` (which is
`save_form`, plus the enrolment steps of eligibility, consent and stratum sources). On a
FormError the page comes back with every message next to its field and the submitted values
kept; on a conflict, also the values someone else saved meanwhile.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from psytrial.core.errors import FormError, ProtocolError
from psytrial.core.instruments import InstrumentDef
from psytrial.core.roles import Role
from psytrial.web.enrolment.actions import enter_form
from psytrial.web.forms import rendering
from psytrial.web.forms.actions import lock_form
from psytrial.web.forms.catalog import entry_form, instrument
from psytrial.web.forms.errors import FormConflict
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.permissions import (
    LOCKERS,
    may_enter,
    may_read,
    may_see,
    variant_values,
    variants_of,
)
from psytrial.web.forms.queries import current_version
from psytrial.web.forms.viewkit import denied_is_403, roles_at, study_or_404
from psytrial.web.permissions import ActionRefused, fetch_participant, roles_of
from psytrial.web.trial.models import Participant, Study


def _place(
    request: HttpRequest, code: str, pk: int, instrument_id: str, variant: str
) -> tuple[Study, Participant, InstrumentDef]:
    """Study, participant and instrument, once the user may read this entry (else 403/404)."""
    study = study_or_404(request.user, code)
    participant, _ = fetch_participant(request.user, study, pk, set(Role))
    try:
        defn = instrument(study.protocol, instrument_id)
    except ProtocolError:
        raise Http404(f"no instrument {instrument_id}") from None
    variants = variants_of(defn)
    if (variants is None) != (variant == ""):
        raise Http404("expected a variant for this instrument" if variants else "no variant")
    if variants is not None and variant not in variant_values(defn):
        raise Http404(f"no variant {variant}")
    if not (
        may_read(roles_at(request.user, study, participant.site), defn, variant)
        and may_see(roles_of(request.user, study), defn, variant)
    ):
        raise PermissionDenied(f"your role does not show {defn.id}")
    return study, participant, defn


@login_required
@denied_is_403
def entry(
    request: HttpRequest,
    code: str,
    pk: int,
    instrument_id: str,
    visit: str,
    occurrence: int,
    variant: str = "",
) -> HttpResponse:
    study, participant, defn = _place(request, code, pk, instrument_id, variant)
    visit_id = "" if visit == "-" else visit
    record = FormRecord.objects.filter(
        participant=participant,
        instrument_id=defn.id,
        visit_id=visit_id,
        occurrence=occurrence,
        variant=variant,
    ).first()
    version = current_version(record) if record is not None else None
    saved = dict(version.data) if version is not None else {}
    held = roles_at(request.user, study, participant.site) | roles_of(request.user, study)
    editable = (
        may_enter(roles_at(request.user, study, participant.site), defn, variant or None)
        and may_see(held, defn, variant)
        and not study.is_locked
        and not (record is not None and record.locked)
    )
    entry = entry_form(defn)
    shown: dict[str, Any] = {k: rendering.as_raw(v) for k, v in saved.items()}
    variants = variants_of(defn)
    if variants is not None and not shown:
        shown[variants.field] = variant
    errors: dict[str, list[str]] = {}
    expected = version.version if version is not None else 0
    conflict = False
    reason = ""
    if request.method == "POST":
        if not editable:
            raise PermissionDenied("you may not change this form")
        raw = rendering.raw_from_post(entry, request.POST)
        reason = request.POST.get("reason", "")
        try:
            sent = int(request.POST.get("expected_version", "0"))
        except ValueError:
            sent = -1
        try:
            enter_form(
                request.user,
                participant,
                defn.id,
                visit_id,
                raw,
                reason=reason,
                expected_version=sent,
                occurrence=occurrence,
            )
        except FormConflict as exc:
            errors, shown, conflict = exc.field_errors, exc.submitted, True
        except FormError as exc:
            errors, shown, expected = exc.field_errors, raw, sent
        except ActionRefused as exc:
            errors, shown, expected = {"__all__": [str(exc)]}, raw, sent
        else:
            messages.success(request, f"{defn.label} saved for {participant.code}.")
            return redirect("enrolment:participant", code=study.code, pk=participant.pk)
    return render(
        request,
        "forms/entry.html",
        {
            "study": study,
            "participant": participant,
            "definition": defn,
            "visit_id": visit_id,
            "occurrence": occurrence,
            "variant": variant,
            "record": record,
            "version": version,
            "history": record.versions.select_related("saved_by") if record else [],
            "sections": rendering.sections(entry, shown, errors, saved if conflict else None),
            "form_errors": errors.get("__all__", []),
            "reason_errors": errors.get("reason", []),
            "reason": reason,
            "expected_version": expected,
            "editable": editable,
            "conflict": conflict,
            "may_lock": bool(
                record
                and not record.locked
                and roles_at(request.user, study, participant.site) & LOCKERS
            ),
            "lock_url": reverse(
                "forms:lock_variant" if variant else "forms:lock",
                kwargs=_url_kwargs(study, participant, defn, visit, occurrence, variant),
            ),
        },
        status=200,
    )


def _url_kwargs(
    study: Study,
    participant: Participant,
    defn: InstrumentDef,
    visit: str,
    occurrence: int,
    variant: str,
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "code": study.code,
        "pk": participant.pk,
        "instrument_id": defn.id,
        "visit": visit,
        "occurrence": occurrence,
    }
    if variant:
        kwargs["variant"] = variant
    return kwargs


@login_required
@require_POST
@denied_is_403
def lock(
    request: HttpRequest,
    code: str,
    pk: int,
    instrument_id: str,
    visit: str,
    occurrence: int,
    variant: str = "",
) -> HttpResponse:
    study, participant, defn = _place(request, code, pk, instrument_id, variant)
    record = FormRecord.objects.filter(
        participant=participant,
        instrument_id=defn.id,
        visit_id="" if visit == "-" else visit,
        occurrence=occurrence,
        variant=variant,
    ).first()
    if record is None:
        raise Http404("no such form entry")
    lock_form(request.user, record, reason=request.POST.get("reason", ""))
    messages.success(request, f"{defn.label} locked.")
    name = "forms:entry_variant" if variant else "forms:entry"
    return redirect(
        reverse(name, kwargs=_url_kwargs(study, participant, defn, visit, occurrence, variant))
    )
