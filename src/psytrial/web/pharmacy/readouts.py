"""What the pharmacy shows, role by role: full details to pharmacists, volume to the blind.

    pharmacist_access(user, study, participant_id)   -> (participant, capability) or deny
    compute_preparation(participant, capability, kg) -> core Preparation (may refuse)
    preparation_details(user, study, preparation)    -> PreparationDetails (unsealed)
    session_view(user, study, participant_id)         -> SessionView (blind: kit and volume)
    pharmacy_rows(user, study) / session_rows(user, study)   the two worklists

The blind view is built from the protocol's common total volume, never from anything that
depends on the arm, so it is identical for every participant except codes and progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from psytrial.core.dosing import Amount, Preparation, SealedDosingError, prepare
from psytrial.core.errors import BlindingError
from psytrial.core.protocol.adapters import dose_rules, dosing_limits
from psytrial.core.roles import Role
from psytrial.web import fastsql
from psytrial.web.blind import capability
from psytrial.web.permissions import (
    ActionDenied,
    AnyUser,
    fetch_participant,
    memberships,
    require_role,
)
from psytrial.web.pharmacy.allocation import arm_of
from psytrial.web.pharmacy.models import Administration, DosePreparation
from psytrial.web.sealing import Capability, unseal
from psytrial.web.trial.models import Participant, Study


@dataclass(frozen=True)
class PreparationDetails:
    """One injection as the pharmacist sees it. Sealed data: never for a blinded user."""

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


@dataclass(frozen=True)
class SessionView:
    """What the blind session clinician sees: the same for every arm."""

    participant_id: int
    participant_code: str
    site_code: str
    kit_code: str
    total_ml: Decimal
    volume_per_site_ml: Decimal
    injection_sites: int
    stage: str  # awaiting preparation | awaiting check | ready | administered
    administered_at: datetime | None
    emergency_unblinded: bool


def pharmacist_access(
    user: AnyUser, study: Study, participant_id: int
) -> tuple[Participant, Capability]:
    """The participant, if the user is a pharmacist at its site who holds the study's key."""
    participant, _ = fetch_participant(user, study, participant_id, {Role.PHARMACIST})
    try:
        cap = capability(user, study, participant)
    except BlindingError:
        raise ActionDenied(
            f"expected an unblinded pharmacist of study {study.code}; "
            "this protocol keeps the pharmacist blind"
        ) from None
    if cap.participant_id is not None:  # an emergency grant is not a pharmacy key
        raise ActionDenied(f"expected an unblinded pharmacist of study {study.code}")
    return participant, cap


def compute_preparation(
    participant: Participant, cap: Capability, weight_kg: Amount
) -> Preparation:
    """The core's preparation for the participant's arm; DosingError if it refuses."""
    protocol = participant.study.protocol
    arm = arm_of(participant, cap)
    rule = dose_rules(protocol).get(arm)
    if rule is None:
        raise SealedDosingError(f"arm: expected an arm that receives the study drug, got {arm!r}")
    return prepare(weight_kg, rule, dosing_limits(protocol))


def sealed_payload(prep: Preparation) -> dict[str, Any]:
    return {
        "arm": prep.arm_id,
        "mg_target": str(prep.mg_target),
        "mg_delivered": str(prep.mg_delivered),
        "drug_ml": str(prep.drug_ml),
        "diluent_ml": str(prep.diluent_ml),
        "dose_error_pct": prep.dose_error_pct,
    }


def details_of(prep: Preparation, study: Study) -> PreparationDetails:
    return PreparationDetails(
        arm_id=prep.arm_id,
        arm_label=study.protocol.arm(prep.arm_id).label,
        weight_kg=prep.weight_kg,
        mg_target=prep.mg_target,
        mg_delivered=prep.mg_delivered,
        drug_ml=prep.drug_ml,
        diluent_ml=prep.diluent_ml,
        total_ml=prep.total_ml,
        volume_per_site_ml=prep.volume_per_site_ml,
        injection_sites=dosing_limits(study.protocol).injection_sites,
        dose_error_pct=prep.dose_error_pct,
    )


def preparation_details(
    user: AnyUser, study: Study, preparation: DosePreparation
) -> PreparationDetails:
    """A recorded preparation, unsealed for a pharmacist at the participant's site."""
    participant, cap = pharmacist_access(user, study, preparation.participant_id)
    opened = unseal(preparation.sealed, cap, study_id=study.pk, participant_id=participant.pk)
    grad = graduation(study)
    return PreparationDetails(
        arm_id=opened["arm"],
        arm_label=study.protocol.arm(opened["arm"]).label,
        weight_kg=preparation.weight_kg.normalize(),
        mg_target=Decimal(opened["mg_target"]),
        mg_delivered=Decimal(opened["mg_delivered"]),
        drug_ml=Decimal(opened["drug_ml"]),
        diluent_ml=Decimal(opened["diluent_ml"]),
        total_ml=preparation.total_ml.quantize(grad),
        volume_per_site_ml=preparation.volume_per_site_ml.quantize(grad),
        injection_sites=preparation.injection_sites,
        dose_error_pct=float(opened["dose_error_pct"]),
    )


def graduation(study: Study) -> Decimal:
    """The syringe graduation: volumes are shown to its decimals (5.0, or 2.85)."""
    return Decimal(dosing_limits(study.protocol).graduation_ml)


def current_preparation(participant: Participant) -> DosePreparation | None:
    """The preparation of the participant's current kit, if one was recorded."""
    # As `DosePreparation.objects.filter(participant=, kit_code=).select_related(...).first()`,
    # with the statement built once (every dosing step asks).
    return fastsql.first(
        DosePreparation, related=("prepared_by", "checked_by"),
        participant_id=participant.pk, kit_code=participant.kit_code,
    )


def session_view(user: AnyUser, study: Study, participant_id: int) -> SessionView:
    """The session clinician's view of one participant: kit code and volumes only."""
    participant, _ = fetch_participant(user, study, participant_id, {Role.SESSION_CLINICIAN})
    return blind_view(participant)


def blind_view(participant: Participant) -> SessionView:
    study = participant.study
    limits = dosing_limits(study.protocol)
    grad = graduation(study)
    total = Decimal(limits.total_volume_ml or 0)
    prep = current_preparation(participant)
    given = Administration.objects.filter(preparation=prep).first() if prep else None
    return SessionView(
        participant_id=participant.pk,
        participant_code=participant.code,
        site_code=participant.site.code,
        kit_code=participant.kit_code,
        total_ml=total.quantize(grad),
        volume_per_site_ml=(total / limits.injection_sites).quantize(grad),
        injection_sites=limits.injection_sites,
        stage=_stage(prep, given),
        administered_at=given.administered_at if given else None,
        emergency_unblinded=participant.emergency_unblinded,
    )


def _stage(prep: DosePreparation | None, given: Administration | None) -> str:
    if given is not None:
        return "administered"
    if prep is None:
        return "awaiting preparation"
    return "ready" if prep.is_checked else "awaiting check"


def participants_as(user: AnyUser, study: Study, role: Role) -> QuerySet[Participant]:
    """Randomized participants at the sites where the user holds `role` (in code order)."""
    sites = [m.site_id for m in memberships(user, study) if m.role_enum == role]
    rows = (
        Participant.objects.filter(study=study)
        .exclude(kit_code="")
        .select_related("site")
        .order_by("site__code", "code")
    )
    if None in sites:
        return rows
    return rows.filter(site_id__in=sites)


def pharmacy_rows(user: AnyUser, study: Study) -> list[tuple[Participant, str]]:
    """The pharmacist's worklist: each participant and the stage of its kit (no arm)."""
    require_role(user, study, {Role.PHARMACIST})
    rows = []
    for participant in participants_as(user, study, Role.PHARMACIST):
        prep = current_preparation(participant)
        given = Administration.objects.filter(preparation=prep).first() if prep else None
        rows.append((participant, _stage(prep, given)))
    return rows


def session_rows(user: AnyUser, study: Study) -> list[SessionView]:
    """The session clinician's worklist: kit codes and volumes, the same for every arm."""
    require_role(user, study, {Role.SESSION_CLINICIAN})
    return [blind_view(p) for p in participants_as(user, study, Role.SESSION_CLINICIAN)]
