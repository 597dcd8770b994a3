"""Who may export what, and what the arm column of the analysis export holds for them.

    export                         roles
    tidy CSV, data dictionary      data manager, trial statistician, monitor, DSMB member
                                   (the participants of their sites; an instrument only if
                                   the blind lets all their roles see it)
    analysis export, blinded       trial statistician, data manager, DSMB member, study-wide
    analysis export, unblinded     DSMB member at any time; trial statistician only after the
                                   database lock (the protocol's `until_lock`), study-wide

The arm column of a blinded analysis export holds scrambled labels (`Group A`, `Group B`,
...): the participants of one arm share a label, so the blinded statistician can run the whole
pipeline, but which label is which arm is a keyed secret of this installation (derived from
the seal key and the study: `blind_key`, the same permutation as the analysis pipeline's
blinded mode, `stats.blinded.keyed_permutation`), so no table, file or user can tell. Guessed arms in the blinding
guesses get the same labels. To scramble, the exporter opens the allocation with a system
capability that never leaves this module; the user's own capability is asked for only for an
unblinded export.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from psytrial.core.blinding import may_see_sealed
from psytrial.core.errors import BlindingError
from psytrial.core.roles import Role
from psytrial.stats.blinded import keyed_permutation
from psytrial.web.blind import capability
from psytrial.web.permissions import ActionDenied, memberships
from psytrial.web.randomization.models import AllocationSlot
from psytrial.web.sealing import Capability, unseal
from psytrial.web.trial.models import Membership, Study

EXPORTERS: frozenset[Role] = frozenset(
    {Role.DATA_MANAGER, Role.TRIAL_STATISTICIAN, Role.MONITOR, Role.DSMB_MEMBER}
)
ANALYSIS_EXPORTERS: frozenset[Role] = frozenset(
    {Role.TRIAL_STATISTICIAN, Role.DATA_MANAGER, Role.DSMB_MEMBER}
)
UNBLINDED_EXPORTERS: frozenset[Role] = frozenset({Role.DSMB_MEMBER, Role.TRIAL_STATISTICIAN})
DONT_KNOW = "dont_know"
BLINDED = "blinded"
UNBLINDED = "unblinded"


@dataclass(frozen=True)
class ArmColumn:
    """What the arm column holds: the allowed values, and each participant's value."""

    mode: str
    arms: tuple[str, ...]
    by_participant: Mapping[int, str]
    guess: Callable[[str], str]


def require_exporter(user: AbstractBaseUser, study: Study) -> Membership:
    for m in memberships(user, study):
        if m.role_enum in EXPORTERS:
            return m
    raise ActionDenied(
        f"expected a {', '.join(sorted(r.value for r in EXPORTERS))} of study "
        f"{study.code} to export data; {user.get_username()} is not"
    )


def require_analysis_exporter(
    user: AbstractBaseUser, study: Study, unblinded: bool
) -> tuple[Membership, Capability | None]:
    """The study-wide membership that allows this export, and the capability if unblinded."""
    wanted = UNBLINDED_EXPORTERS if unblinded else ANALYSIS_EXPORTERS
    held = [m for m in memberships(user, study) if m.site_id is None and m.role_enum in wanted]
    if not held:
        kind = "an unblinded" if unblinded else "the"
        raise ActionDenied(
            f"expected a study-wide {' or '.join(sorted(r.value for r in wanted))}"
            f" for {kind} analysis export; {user.get_username()} is not"
        )
    if not unblinded:
        return held[0], None
    status_map = study.protocol.blinding.status_map()
    open_now = [m for m in held if may_see_sealed(m.role_enum, status_map, study.is_locked)]
    if not open_now:
        raise BlindingError(
            f"expected the DSMB, or the trial statistician after the database lock, for an "
            f"unblinded export of study {study.code}; "
            + (
                "the database is not locked"
                if not study.is_locked
                else f"{user.get_username()} is blind"
            )
        )
    return open_now[0], capability(user, study)


def may_export_unblinded(user: AbstractBaseUser, study: Study) -> bool:
    try:
        require_analysis_exporter(user, study, unblinded=True)
    except (ActionDenied, BlindingError):
        return False
    return True


def unblinded_arms(study: Study, cap: Capability) -> ArmColumn:
    """The true arm ids, opened with an unblinded user's (or the operator's) capability."""
    by_participant = _open_all(study, cap)
    return ArmColumn(
        UNBLINDED, tuple(a.id for a in study.protocol.arms), by_participant, lambda guess: guess
    )


def blinded_arms(study: Study) -> ArmColumn:
    """Scrambled labels: one per arm, the arm-to-label map a keyed secret (`blind_key`)."""
    arm_ids = [a.id for a in study.protocol.arms]
    labels = keyed_permutation(blind_key(study), study.code, arm_ids)
    system = Capability(0, study.pk, None, "blinded export (labels scrambled)")
    by_participant = {pid: labels[arm] for pid, arm in _open_all(study, system).items()}
    return ArmColumn(
        BLINDED,
        tuple(sorted(labels.values())),
        by_participant,
        lambda guess: labels.get(guess, guess),
    )


def blind_key(study: Study) -> bytes:
    """This installation's key for the study's scrambled labels, derived from the seal key.

    The same key scrambles the blinded export and `psytrial analyse` in blinded mode
    (`stats.blinded.keyed_permutation`), so both show the same Group A and Group B.
    """
    return hmac.new(
        settings.SEAL_KEY.encode(), f"psytrial blind key|{study.code}".encode(), hashlib.sha256
    ).digest()


def operator_capability(study: Study) -> Capability:
    """The command line's capability: an operator holding the seal key, after the lock only."""
    if not study.is_locked:
        raise BlindingError(
            f"expected a locked database for an unblinded export of study "
            f"{study.code}; lock it first (data manager) or export blinded"
        )
    return Capability(0, study.pk, None, "operator after database lock")


def _open_all(study: Study, cap: Capability) -> dict[int, str]:
    slots = AllocationSlot.objects.filter(
        allocation__study=study, participant__isnull=False
    ).values_list("participant_id", "arm_sealed")
    return {
        pid: str(unseal(token, cap, study_id=study.pk, participant_id=pid)["arm"])
        for pid, token in slots.iterator(chunk_size=2000)
    }
