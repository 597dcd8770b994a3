"""JSON API of the pharmacy and of administration, with the same rules as the pages.

GET  /pharmacy/{code}/participants/{pid}                  pharmacist: the kit and its
                                                          recorded preparation (unsealed)
GET  /pharmacy/{code}/participants/{pid}/preview?weight_kg pharmacist: computed, not stored
POST /pharmacy/{code}/participants/{pid}/preparation       pharmacist: record it
POST /pharmacy/{code}/preparations/{id}/check              a second pharmacist
GET  /pharmacy/{code}/sessions/{pid}                       session clinician: kit, volume
POST /pharmacy/{code}/sessions/{pid}/administration        session clinician: record it
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema, Status

from psytrial.web.pharmacy import actions
from psytrial.web.pharmacy.apierrors import ERRORS, PharmacyErrorOut, answer, member_study
from psytrial.web.pharmacy.models import DosePreparation
from psytrial.web.pharmacy.readouts import (
    PreparationDetails,
    SessionView,
    blind_view,
    compute_preparation,
    current_preparation,
    details_of,
    pharmacist_access,
    preparation_details,
    session_view,
)

router = Router(tags=["pharmacy"])


class DetailsOut(Schema):
    arm_id: str
    arm_label: str
    weight_kg: Decimal
    mg_target: Decimal
    mg_delivered: Decimal
    drug_ml: Decimal
    diluent_ml: Decimal
    total_ml: Decimal
    volume_per_site_ml: Decimal
    injection_sites: int
    dose_error_pct: float


class KitOut(Schema):
    participant: str
    kit_code: str
    preparation_id: int | None
    prepared_by: str | None
    checked_by: str | None
    details: DetailsOut | None


class PreparationIn(Schema):
    weight_kg: Decimal | None = None


class DosingSessionOut(Schema):
    participant: str
    site: str
    kit_code: str
    total_ml: Decimal
    volume_per_site_ml: Decimal
    injection_sites: int
    stage: str
    administered_at: datetime | None
    emergency_unblinded: bool


class AdministrationIn(Schema):
    kit_code: str
    administered_at: datetime
    volume_ml: Decimal


def _details(d: PreparationDetails) -> DetailsOut:
    return DetailsOut(**{name: getattr(d, name) for name in DetailsOut.model_fields})


def _session(v: SessionView) -> DosingSessionOut:
    return DosingSessionOut(
        participant=v.participant_code,
        site=v.site_code,
        kit_code=v.kit_code,
        total_ml=v.total_ml,
        volume_per_site_ml=v.volume_per_site_ml,
        injection_sites=v.injection_sites,
        stage=v.stage,
        administered_at=v.administered_at,
        emergency_unblinded=v.emergency_unblinded,
    )


def _kit(request: HttpRequest, code: str, pid: int) -> KitOut:
    study = member_study(request.user, code)
    participant, _ = pharmacist_access(request.user, study, pid)
    prep = current_preparation(participant)
    return _kit_of(request, prep, participant.code, participant.kit_code)


def _kit_of(request: HttpRequest, prep: DosePreparation | None, code: str, kit_code: str) -> KitOut:
    if prep is None:
        return KitOut(
            participant=code,
            kit_code=kit_code,
            preparation_id=None,
            prepared_by=None,
            checked_by=None,
            details=None,
        )
    study = prep.participant.study
    return KitOut(
        participant=code,
        kit_code=kit_code,
        preparation_id=prep.pk,
        prepared_by=prep.prepared_by.get_username(),
        checked_by=prep.checked_by.get_username() if prep.checked_by else None,
        details=_details(preparation_details(request.user, study, prep)),
    )


@router.get("/{code}/participants/{pid}", response={200: KitOut, **ERRORS})
def kit(request: HttpRequest, code: str, pid: int) -> Status[KitOut | PharmacyErrorOut]:
    """The participant's kit and its preparation (pharmacists at the participant's site)."""
    return answer(lambda: _kit(request, code, pid))


@router.get("/{code}/participants/{pid}/preview", response={200: DetailsOut, **ERRORS})
def preview(
    request: HttpRequest, code: str, pid: int, weight_kg: Decimal
) -> Status[DetailsOut | PharmacyErrorOut]:
    """The preparation the core computes for a weight; nothing is stored."""

    def run() -> DetailsOut:
        study = member_study(request.user, code)
        participant, cap = pharmacist_access(request.user, study, pid)
        return _details(details_of(compute_preparation(participant, cap, weight_kg), study))

    return answer(run)


@router.post("/{code}/participants/{pid}/preparation", response={201: KitOut, **ERRORS})
def prepare(
    request: HttpRequest, code: str, pid: int, payload: PreparationIn
) -> Status[KitOut | PharmacyErrorOut]:
    """Record the preparation (the weight defaults to the baseline form's)."""

    def run() -> KitOut:
        study = member_study(request.user, code)
        row = actions.prepare_dose(request.user, study, pid, payload.weight_kg)
        return _kit_of(request, row, row.participant.code, row.kit_code)

    return answer(run, ok=201)


@router.post("/{code}/preparations/{prep_id}/check", response={200: KitOut, **ERRORS})
def check(request: HttpRequest, code: str, prep_id: int) -> Status[KitOut | PharmacyErrorOut]:
    """The second-person check, by a pharmacist who did not prepare the dose."""

    def run() -> KitOut:
        study = member_study(request.user, code)
        row = actions.check_preparation(request.user, study, prep_id)
        return _kit_of(request, row, row.participant.code, row.kit_code)

    return answer(run)


@router.get("/{code}/sessions/{pid}", response={200: DosingSessionOut, **ERRORS})
def session(
    request: HttpRequest, code: str, pid: int
) -> Status[DosingSessionOut | PharmacyErrorOut]:
    """What the session clinician sees: kit code and volumes, the same for every arm."""
    return answer(
        lambda: _session(session_view(request.user, member_study(request.user, code), pid))
    )


@router.post("/{code}/sessions/{pid}/administration", response={201: DosingSessionOut, **ERRORS})
def administer(
    request: HttpRequest, code: str, pid: int, payload: AdministrationIn
) -> Status[DosingSessionOut | PharmacyErrorOut]:
    """Record the injection by kit code, time and volume."""

    def run() -> DosingSessionOut:
        study = member_study(request.user, code)
        given = actions.record_administration(
            request.user,
            study,
            pid,
            kit_code=payload.kit_code,
            administered_at=payload.administered_at,
            volume_ml=payload.volume_ml,
        )
        return _session(blind_view(given.participant))

    return answer(run, ok=201)
