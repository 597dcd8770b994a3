"""Action functions of the pharmacy: prepare a dose, check it, record its administration.

    prepare_dose(user, study, participant_id, weight_kg=None)    -> DosePreparation
    check_preparation(user, study, preparation_id)               -> DosePreparation
    record_administration(user, study, participant_id, *, kit_code, administered_at,
                          volume_ml)                               -> Administration

Like every action function: authorize, open a transaction, call the core, audit in that
transaction. Audit entries hold the kit code, the weight and the common total volume in
clear, and the sealed token for the rest: never the arm or a mg dose in clear.

Dosing refusals (DosingError, SealedDosingError) are raised only after the pharmacist has been
authorized, so a blinded user never reaches one; views show them to the pharmacist only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from psytrial.core.allocation import is_valid_kit_code
from psytrial.core.protocol.adapters import dosing_limits
from psytrial.core.roles import Role
from psytrial.core.status import ParticipantEvent, transition
from psytrial.web import clock
from psytrial.web.audit.trail import record
from psytrial.web.permissions import ActionDenied, ActionRefused, fetch_participant
from psytrial.web.pharmacy.allocation import baseline_weight
from psytrial.web.pharmacy.models import Administration, DosePreparation
from psytrial.web.pharmacy.readouts import (
    compute_preparation,
    current_preparation,
    graduation,
    pharmacist_access,
    sealed_payload,
)
from psytrial.web.sealing import seal
from psytrial.web.trial.models import Participant, Study
from psytrial.web.txn import action_transaction


def prepare_dose(
    user: AbstractBaseUser, study: Study, participant_id: int, weight_kg: Decimal | None = None
) -> DosePreparation:
    """Record the pharmacist's preparation of the participant's kit, sealed."""
    participant, cap = pharmacist_access(user, study, participant_id)
    refuse_if_locked(study)
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        _refuse_unless_awaiting_dose(participant)
        weight, source = dosing_weight(participant, weight_kg)
        prep = compute_preparation(participant, cap, weight)
        row = DosePreparation.objects.create(
            participant=participant,
            kit_code=participant.kit_code,
            weight_kg=prep.weight_kg,
            weight_source=source,
            sealed=seal(sealed_payload(prep)),
            total_ml=prep.total_ml,
            volume_per_site_ml=prep.volume_per_site_ml,
            injection_sites=dosing_limits(study.protocol).injection_sites,
            prepared_by=user,
            prepared_at=clock.now(),
        )
        record(
            actor=user.get_username(),
            action="dose.prepared",
            role=Role.PHARMACIST.value,
            study=study.code,
            object_type="dose_preparation",
            object_id=row.pk,
            new={
                "participant": participant.code,
                "kit_code": row.kit_code,
                "weight_kg": str(prep.weight_kg),
                "weight_source": source,
                "total_ml": str(prep.total_ml),
                "sealed": row.sealed,
            },
        )
    return row


def refuse_if_locked(study: Study) -> None:
    if study.is_locked:
        raise ActionRefused(
            f"study {study.code}: expected an open database, got one locked on "
            f"{study.locked_at:%Y-%m-%d}; no dose can be recorded"
        )


def _refuse_unless_awaiting_dose(participant: Participant) -> None:
    if participant.status != "randomized" or not participant.kit_code:
        raise ActionRefused(
            f"expected a randomized participant awaiting the drug session, "
            f"got {participant.code} in status '{participant.status}'"
        )
    existing = current_preparation(participant)
    if existing is not None:
        raise ActionRefused(
            f"expected no preparation yet for kit {participant.kit_code}, got one recorded by "
            f"{existing.prepared_by.get_username()} at {existing.prepared_at:%Y-%m-%d %H:%M}"
        )


def dosing_weight(participant: Participant, entered: Decimal | None) -> tuple[Decimal, str]:
    """The weight to dose by: the baseline form's; an entry must agree with it."""
    recorded = baseline_weight(participant)
    if recorded is None:
        if entered is None:
            raise ActionRefused(
                f"weight_kg: expected the weight of {participant.code} in kg "
                "(the baseline form has none), got nothing"
            )
        return entered, "entered"
    if entered is not None and entered != recorded:
        raise ActionRefused(
            f"weight_kg: expected the baseline form's {recorded} kg for {participant.code}, "
            f"got {entered} kg; correct the form or the entry"
        )
    return recorded, "baseline_form"


def check_preparation(user: AbstractBaseUser, study: Study, preparation_id: int) -> DosePreparation:
    """A second pharmacist's check of a preparation; its preparer cannot check it."""
    found = DosePreparation.objects.filter(pk=preparation_id, participant__study=study).first()
    if found is None:
        raise ActionDenied(
            f"expected a dose preparation of study {study.code}, got id {preparation_id}"
        )
    pharmacist_access(user, study, found.participant_id)
    refuse_if_locked(study)
    with action_transaction():
        prep = (
            # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join
            DosePreparation.objects.select_for_update(of=("self",))
            .select_related("checked_by")
            .get(pk=found.pk)
        )
        if prep.checked_by is not None:
            raise ActionRefused(
                f"expected an unchecked preparation, but kit {prep.kit_code} was checked by "
                f"{prep.checked_by.get_username()} at {prep.checked_at:%Y-%m-%d %H:%M}"
            )
        if prep.prepared_by_id == user.pk:
            raise ActionRefused(
                f"checked_by: expected a second pharmacist, got {user.get_username()}, who "
                f"prepared kit {prep.kit_code}"
            )
        prep.checked_by = user
        prep.checked_at = clock.now()
        prep.save(update_fields=["checked_by", "checked_at"])
        record(
            actor=user.get_username(),
            action="dose.checked",
            role=Role.PHARMACIST.value,
            study=study.code,
            object_type="dose_preparation",
            object_id=prep.pk,
            old={"checked_by": None},
            new={"checked_by": user.get_username(), "kit_code": prep.kit_code},
        )
    return prep


def record_administration(
    user: AbstractBaseUser,
    study: Study,
    participant_id: int,
    *,
    kit_code: str,
    administered_at: datetime,
    volume_ml: Decimal,
) -> Administration:
    """The session clinician's record of the injection: by kit code, time and volume only."""
    participant, _ = fetch_participant(user, study, participant_id, {Role.SESSION_CLINICIAN})
    refuse_if_locked(study)
    with action_transaction():
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        prep = _ready_preparation(participant, kit_code)
        _check_volume_and_time(prep, volume_ml, administered_at)
        old_status = participant.status
        participant.status = transition(old_status, ParticipantEvent.DOSE_ADMINISTERED).value
        participant.drug_session_at = administered_at
        participant.save(update_fields=["status", "drug_session_at"])
        given = Administration.objects.create(
            participant=participant,
            preparation=prep,
            kit_code=prep.kit_code,
            volume_ml=volume_ml,
            administered_at=administered_at,
            recorded_by=user,
            recorded_at=clock.now(),
        )
        record(
            actor=user.get_username(),
            action="dose.administered",
            role=Role.SESSION_CLINICIAN.value,
            study=study.code,
            object_type="participant",
            object_id=participant.pk,
            old={"status": old_status, "drug_session_at": None},
            new={
                "status": participant.status,
                "kit_code": prep.kit_code,
                "volume_ml": str(volume_ml),
                "drug_session_at": administered_at,
            },
        )
    return given


def normal_kit_code(text: str) -> str:
    """A kit code as typed or scanned: case, spaces and hyphens do not matter."""
    return "".join(ch for ch in text.upper() if ch not in " -")


def _ready_preparation(participant: Participant, kit_code: str) -> DosePreparation:
    if not participant.kit_code:
        raise ActionRefused(
            f"expected a randomized participant with a kit, got "
            f"{participant.code} in status '{participant.status}'"
        )
    typed = normal_kit_code(kit_code)
    if not is_valid_kit_code(typed):
        raise ActionRefused(
            f"kit_code: expected a 9-character kit code with a valid check "
            f"character, got {kit_code!r}; re-read the label"
        )
    if typed != participant.kit_code:
        raise ActionRefused(
            f"kit_code: expected the kit of participant {participant.code}, "
            f"got kit {typed}, which is not theirs; do not inject it"
        )
    prep = current_preparation(participant)
    if prep is None:
        raise ActionRefused(
            f"expected a prepared dose for kit {typed}, got none yet; ask the pharmacy"
        )
    if not prep.is_checked:
        raise ActionRefused(
            f"expected kit {typed} checked by a second pharmacist, "
            "got an unchecked preparation; ask the pharmacy"
        )
    if Administration.objects.filter(preparation=prep).exists():
        raise ActionRefused(
            f"expected kit {typed} not yet administered, got an administration already recorded"
        )
    return prep


def _check_volume_and_time(
    prep: DosePreparation, volume_ml: Decimal, administered_at: datetime
) -> None:
    if volume_ml != prep.total_ml:
        total = prep.total_ml.quantize(graduation(prep.participant.study))
        raise ActionRefused(
            f"volume_ml: expected the prepared total of {total} ml, got {volume_ml} ml"
        )
    if administered_at > clock.now():
        raise ActionRefused(
            f"administered_at: expected a time not in the future, got "
            f"{administered_at:%Y-%m-%d %H:%M}"
        )
    checked_at = prep.checked_at or prep.prepared_at
    # The clinician records the time to the minute, so the check's own minute counts as after.
    if administered_at < checked_at.replace(second=0, microsecond=0):
        raise ActionRefused(
            f"administered_at: expected a time after the pharmacy's check at "
            f"{checked_at:%Y-%m-%d %H:%M}, got {administered_at:%Y-%m-%d %H:%M}"
        )
