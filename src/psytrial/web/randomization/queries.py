"""Reading allocations: the public commitment, and the arm for holders of a capability.

`sealed_arm_token` is what other apps (the pharmacy, emergency unblinding) use to reach a
participant's sealed arm; they open it with `sealing.unseal` and their own capability.
"""

from __future__ import annotations

from psytrial.core.errors import BlindingError
from psytrial.web.blind import capability
from psytrial.web.permissions import AnyUser
from psytrial.web.randomization.models import AllocationList, AllocationSlot
from psytrial.web.sealing import Capability, unseal
from psytrial.web.trial.models import Participant, Study


def allocation_list(study: Study) -> AllocationList | None:
    """The study's list as pages and the API show it (its commitment, parameters, author);
    the sealed CSV, which grows with the list, is left unread."""
    return (
        AllocationList.objects.filter(study=study)
        .select_related("created_by")
        .defer("sealed_csv")
        .first()
    )


def sealed_arm_token(participant: Participant) -> str | None:
    """The sealed arm of a randomized participant, or None."""
    slot = AllocationSlot.objects.filter(participant=participant).only("arm_sealed").first()
    return slot.arm_sealed if slot is not None else None


def open_arm(slot: AllocationSlot, cap: Capability, study_id: int) -> str:
    participant_id = slot.participant_id
    return str(
        unseal(slot.arm_sealed, cap, study_id=study_id, participant_id=participant_id)["arm"]
    )


def arm_for_viewer(user: AnyUser, participant: Participant) -> str | None:
    """The participant's arm if the viewer is unblinded for it; None for blinded viewers."""
    token = sealed_arm_token(participant)
    if token is None:
        return None
    try:
        cap = capability(user, participant.study, participant)
    except BlindingError:
        return None
    return str(
        unseal(token, cap, study_id=participant.study_id, participant_id=participant.pk)["arm"]
    )
