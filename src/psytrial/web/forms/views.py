"""The generic form page: any protocol instrument, drawn from its definition, for one entry.

GET shows the saved values (or an empty form), the version history and, to those who may
enter it, an editable form; POST saves through `visits.actions.enter_visit_form`: enrolment's
`enter_form` (`save_form` plus the enrolment steps of eligibility, consent and stratum
sources) plus the visit-aware checks (vital-sign alerts, serious-AE clock, follow-up dates). On a
FormError the page comes back with every message next to its field and the submitted values
kept; on a conflict, also the values someone else saved meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from psytrial.web.forms import rendering
from psytrial.web.forms.actions import lock_form
from psytrial.web.forms.catalog import EntryForm, entry_form, instrument
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
from psytrial.web.permissions import ActionRefused, fetch_participant, require_role, roles_of
from psytrial.web.trial.models import Participant, Study


@dataclass
class Place:
    """One form entry's address, once the user may read it."""

    study: Study
    participant: Participant
    definition: InstrumentDef
    visit: str  # as in the URL: "-" for unscheduled
    occurrence: int
    variant: str

    @property
    def visit_id(self) -> str:
        return "" if self.visit == "-" else self.visit

    def record(self) -> FormRecord | None:
        return FormRecord.objects.filter(
            participant=self.participant,
            instrument_id=self.definition.id,
            visit_id=self.visit_id,
            occurrence=self.occurrence,
            variant=self.variant,
        ).first()

    def url(self, action: str = "entry") -> str:
        kwargs: dict[str, Any] = {
            "code": self.study.code,
            "pk": self.participant.pk,
            "instrument_id": self.definition.id,
            "visit": self.visit,
            "occurrence": self.occurrence,
        }
        if self.variant:
            kwargs["variant"] = self.variant
        return reverse(
            f"forms:{action}_variant" if self.variant else f"forms:{action}", kwargs=kwargs
        )


def _place(
    request: HttpRequest,
    code: str,
    pk: int,
    instrument_id: str,
    visit: str,
    occurrence: int,
    variant: str,
) -> Place:
    """The entry's place, once the user may read it (else 403, or 404 if there is none)."""
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
    return Place(study, participant, defn, visit, occurrence, variant)


def _may_change(request: HttpRequest, place: Place) -> bool:
    here = roles_at(request.user, place.study, place.participant.site)
    return may_enter(here, place.definition, place.variant or None) and may_see(
        here | roles_of(request.user, place.study), place.definition, place.variant
    )


@dataclass
class Submission:
    """What the page shows after a POST that saved nothing (or before any POST)."""

    shown: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)
    expected: int = 0
    reason: str = ""
    conflict: bool = False


def _submit(request: HttpRequest, place: Place, entry: EntryForm) -> Submission | None:
    """Save the POSTed entry; None when saved, else what to show again."""
    raw = rendering.raw_from_post(entry, request.POST)
    reason = request.POST.get("reason", "")
    try:
        sent = int(request.POST.get("expected_version", "0"))
    except ValueError:
        sent = -1
    # Through the visit-aware action, so vital-sign alerts, the serious-AE clock and the
    # follow-up date rule apply whichever page an entry comes from.
    from psytrial.web.visits.actions import enter_visit_form

    try:
        enter_visit_form(
            request.user,
            place.participant,
            place.definition.id,
            place.visit_id,
            raw,
            reason=reason,
            expected_version=sent,
            occurrence=place.occurrence,
        )
    except FormConflict as exc:
        return Submission(exc.submitted, exc.field_errors, exc.current_version, reason, True)
    except FormError as exc:
        return Submission(raw, exc.field_errors, sent, reason)
    except ActionRefused as exc:
        return Submission(raw, {"__all__": [str(exc)]}, sent, reason)
    return None


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
    place = _place(request, code, pk, instrument_id, visit, occurrence, variant)
    record = place.record()
    version = current_version(record) if record is not None else None
    saved = dict(version.data) if version is not None else {}
    may_change = _may_change(request, place)
    entry = entry_form(place.definition)
    shown = {k: rendering.as_raw(v) for k, v in saved.items()}
    variants = variants_of(place.definition)
    if variants is not None and not shown:
        shown[variants.field] = variant
    result = Submission(shown, expected=version.version if version is not None else 0)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied("you may not change this form")
        outcome = _submit(request, place, entry)
        if outcome is None:
            messages.success(
                request, f"{place.definition.label} saved for {place.participant.code}."
            )
            return redirect("enrolment:participant", code=code, pk=pk)
        result = outcome
    locked = place.study.is_locked or (record is not None and record.locked)
    here = roles_at(request.user, place.study, place.participant.site)
    return render(
        request,
        "forms/entry.html",
        {
            "study": place.study,
            "participant": place.participant,
            "definition": place.definition,
            "visit_id": place.visit_id,
            "occurrence": occurrence,
            "variant": variant,
            "record": record,
            "version": version,
            "history": record.versions.select_related("saved_by") if record else [],
            "sections": rendering.sections(
                entry, result.shown, result.errors, saved if result.conflict else None
            ),
            "form_errors": result.errors.get("__all__", []),
            "reason_errors": result.errors.get("reason", []),
            "reason": result.reason,
            "expected_version": result.expected,
            "editable": may_change and not locked,
            "conflict": result.conflict,
            "may_lock": bool(record and not record.locked and here & LOCKERS),
            "lock_url": place.url("lock"),
        },
    )


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
    place = _place(request, code, pk, instrument_id, visit, occurrence, variant)
    require_role(request.user, place.study, LOCKERS, place.participant.site)
    record = place.record()
    if record is None:
        raise Http404("no such form entry")
    lock_form(request.user, record, reason=request.POST.get("reason", ""))
    messages.success(request, f"{place.definition.label} locked.")
    return redirect(place.url())
