"""Where the pharmacy and the emergency unblinding read what other apps own.

- the participant's arm: sealed in the randomization app's allocation slot
  (`randomization.queries.sealed_arm_token`), opened here only with a capability from
  `psytrial.web.blind`;
- the participant's weight: the baseline form's `weight_kg`, in the forms app.

Kept in one module so the two apps' internals are named in one place only.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from psytrial.core.errors import BlindingError
from psytrial.web.forms.queries import latest_values
from psytrial.web.randomization.queries import sealed_arm_token
from psytrial.web.sealing import Capability, unseal
from psytrial.web.trial.models import Participant

# ASSUMPTION: protocols record the dosing weight on an instrument named "baseline", in a
# field named "weight_kg" (both reference protocols do); a protocol without it has the
# pharmacist enter the weight.
BASELINE_ID = "baseline"
WEIGHT_FIELD = "weight_kg"

__all__ = ["arm_of", "baseline_weight", "sealed_arm_token"]


def arm_of(participant: Participant, capability: Capability) -> str:
    """The participant's arm id, for a holder of a capability; BlindingError otherwise."""
    token = sealed_arm_token(participant)
    if token is None:
        raise BlindingError(
            f"expected a sealed allocation for participant {participant.code}, got none"
        )
    opened = unseal(token, capability, study_id=participant.study_id, participant_id=participant.pk)
    return str(opened["arm"])


def baseline_weight(participant: Participant) -> Decimal | None:
    """The weight recorded on the participant's baseline form, if any."""
    values = latest_values(participant, BASELINE_ID) or {}
    value = values.get(WEIGHT_FIELD)
    if value is None or isinstance(value, bool):
        return None
    try:
        # Through str: a stored 70.1 is the decimal 70.1, not the binary float nearest it.
        return Decimal(str(value))
    except InvalidOperation:
        return None
