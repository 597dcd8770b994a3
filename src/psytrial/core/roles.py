"""The roles of a trial team, and which of them are blind by default.

The protocol may tighten or loosen the blind per role (see `psytrial.core.protocol`), but
the vocabulary of roles is fixed here, because permissions in the web layer key on it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    INVESTIGATOR = "investigator"
    PSYCHOTHERAPIST = "psychotherapist"
    SESSION_CLINICIAN = "session_clinician"
    OUTCOME_RATER = "outcome_rater"
    PHARMACIST = "pharmacist"
    RANDOMIZATION_STATISTICIAN = "randomization_statistician"
    TRIAL_STATISTICIAN = "trial_statistician"
    DATA_MANAGER = "data_manager"
    MONITOR = "monitor"
    DSMB_MEMBER = "dsmb_member"
    ADMINISTRATOR = "administrator"


class BlindStatus(StrEnum):
    """How a role stands to the sealed allocation."""

    BLIND = "blind"
    UNBLINDED = "unblinded"
    UNTIL_LOCK = "until_lock"  # blind until the database is locked, then unblinded


DEFAULT_BLINDING: dict[Role, BlindStatus] = {
    Role.INVESTIGATOR: BlindStatus.BLIND,
    Role.PSYCHOTHERAPIST: BlindStatus.BLIND,
    Role.SESSION_CLINICIAN: BlindStatus.BLIND,
    Role.OUTCOME_RATER: BlindStatus.BLIND,
    Role.PHARMACIST: BlindStatus.UNBLINDED,
    Role.RANDOMIZATION_STATISTICIAN: BlindStatus.UNBLINDED,
    Role.TRIAL_STATISTICIAN: BlindStatus.UNTIL_LOCK,
    Role.DATA_MANAGER: BlindStatus.BLIND,
    Role.MONITOR: BlindStatus.BLIND,
    Role.DSMB_MEMBER: BlindStatus.UNBLINDED,
    Role.ADMINISTRATOR: BlindStatus.BLIND,
}

# Roles that never see instruments the protocol marks as revealing the arm by their content.
ARM_REVEALING_HIDDEN_FROM: frozenset[Role] = frozenset({Role.OUTCOME_RATER})
