"""The blinding policy, role by role: who may see sealed data, who may see arm-revealing data.

The expected table is written out here by hand from the design brief's role table
(shared/design.md, "Roles" and "Blinding"), not derived from `DEFAULT_BLINDING`, so that a
change to either the defaults or the policy shows up as a failing row.
"""

from __future__ import annotations

import pytest

from psytrial.core.blinding import (
    check_blind_status_map,
    may_see_instrument,
    may_see_sealed,
)
from psytrial.core.errors import BlindingError
from psytrial.core.roles import DEFAULT_BLINDING, BlindStatus, Role

# role: (sealed before lock, sealed after lock, sealed with emergency grant, arm-revealing data)
EXPECTED: dict[Role, tuple[bool, bool, bool, bool]] = {
    Role.INVESTIGATOR: (False, False, True, True),
    Role.PSYCHOTHERAPIST: (False, False, False, True),
    Role.SESSION_CLINICIAN: (False, False, False, True),
    Role.OUTCOME_RATER: (False, False, False, False),
    Role.PHARMACIST: (True, True, True, True),
    Role.RANDOMIZATION_STATISTICIAN: (True, True, True, True),
    Role.TRIAL_STATISTICIAN: (False, True, False, True),
    Role.DATA_MANAGER: (False, False, False, True),
    Role.MONITOR: (False, False, False, True),
    Role.DSMB_MEMBER: (True, True, True, True),
    Role.ADMINISTRATOR: (False, False, False, True),
}


def test_it_covers_every_role() -> None:
    assert set(EXPECTED) == set(Role)


@pytest.mark.parametrize("role", list(Role))
def test_it_applies_the_default_policy_to_each_role(role: Role) -> None:
    before, after, grant, revealing = EXPECTED[role]
    assert may_see_sealed(role, DEFAULT_BLINDING, database_locked=False) is before
    assert may_see_sealed(role, DEFAULT_BLINDING, database_locked=True) is after
    assert (
        may_see_sealed(role, DEFAULT_BLINDING, database_locked=False, emergency_grant=True) is grant
    )
    assert may_see_instrument(role, reveals_arm=True) is revealing
    assert may_see_instrument(role, reveals_arm=False) is True


def test_it_never_unblinds_the_administrator_even_if_a_protocol_says_so() -> None:
    loosened = {**DEFAULT_BLINDING, Role.ADMINISTRATOR: BlindStatus.UNBLINDED}
    assert not may_see_sealed(Role.ADMINISTRATOR, loosened, database_locked=True)
    assert not may_see_sealed(
        Role.ADMINISTRATOR, loosened, database_locked=True, emergency_grant=True
    )


def test_it_follows_a_protocol_that_tightens_or_loosens_a_role() -> None:
    tightened = {**DEFAULT_BLINDING, Role.DSMB_MEMBER: BlindStatus.BLIND}
    assert not may_see_sealed(Role.DSMB_MEMBER, tightened, database_locked=False)
    loosened = {**DEFAULT_BLINDING, Role.MONITOR: BlindStatus.UNTIL_LOCK}
    assert not may_see_sealed(Role.MONITOR, loosened, database_locked=False)
    assert may_see_sealed(Role.MONITOR, loosened, database_locked=True)


def test_it_treats_a_role_missing_from_the_map_as_blind() -> None:
    assert not may_see_sealed(Role.PHARMACIST, {}, database_locked=True)
    assert may_see_sealed(Role.INVESTIGATOR, {}, database_locked=False, emergency_grant=True)


def test_it_reads_status_values_given_as_plain_strings() -> None:
    from_yaml = {Role.PHARMACIST: "unblinded", Role.TRIAL_STATISTICIAN: "until_lock"}
    assert may_see_sealed(Role.PHARMACIST, from_yaml, database_locked=False)  # type: ignore[arg-type]
    assert may_see_sealed(Role.TRIAL_STATISTICIAN, from_yaml, database_locked=True)  # type: ignore[arg-type]


def test_it_accepts_the_default_map() -> None:
    check_blind_status_map(DEFAULT_BLINDING)


@pytest.mark.parametrize("status", [BlindStatus.UNBLINDED, BlindStatus.UNTIL_LOCK])
def test_it_refuses_a_map_that_unblinds_the_administrator(status: BlindStatus) -> None:
    with pytest.raises(
        BlindingError,
        match=f"blinding.administrator: expected 'blind' .*got '{status.value}'",
    ):
        check_blind_status_map({**DEFAULT_BLINDING, Role.ADMINISTRATOR: status})
