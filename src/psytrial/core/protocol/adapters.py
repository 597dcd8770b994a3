"""The protocol's parts as the plain values the core's engines take.

Allocation and dosing take plain values, not protocol objects, so they can be used (and
benchmarked) on their own; this module is the one place that maps a `Protocol` onto them.
"""

from __future__ import annotations

from decimal import Decimal

from psytrial.core.allocation import AllocationParameters, ArmRatio
from psytrial.core.dosing import DoseRule, DosingLimits
from psytrial.core.errors import ProtocolError
from psytrial.core.protocol.model import Protocol


def allocation_arms(protocol: Protocol) -> tuple[ArmRatio, ...]:
    return tuple(ArmRatio(arm.id, arm.ratio) for arm in protocol.arms)


def allocation_parameters(protocol: Protocol, n_per_stratum: int) -> AllocationParameters:
    """Everything the allocation list of this protocol needs, for `n_per_stratum` slots each."""
    return AllocationParameters(
        study_id=protocol.study.id,
        arms=allocation_arms(protocol),
        strata=protocol.stratum_labels(),
        n_per_stratum=n_per_stratum,
        block_multipliers=protocol.randomization.block_multipliers,
    )


def dose_rules(protocol: Protocol) -> dict[str, DoseRule]:
    """The dose rule of every arm that receives the drug, by arm id."""
    return {
        arm.id: DoseRule(arm.id, _dec(arm.dose.mg_per_kg), _dec(arm.stock_mg_per_ml))
        for arm in protocol.arms
        if arm.dose is not None and arm.stock_mg_per_ml is not None
    }


def open_label_rule(protocol: Protocol) -> DoseRule | None:
    dose = protocol.open_label_dose
    if dose is None:
        return None
    return DoseRule("open_label", _dec(dose.dose.mg_per_kg), _dec(dose.stock_mg_per_ml))


def dosing_limits(protocol: Protocol) -> DosingLimits:
    limits = protocol.dosing
    if limits is None:
        raise ProtocolError(f"{protocol.study.id}: expected dosing limits, got none")
    return DosingLimits(
        min_weight_kg=_dec(limits.min_weight_kg),
        max_weight_kg=_dec(limits.max_weight_kg),
        max_mg=_dec(limits.max_mg),
        max_volume_per_site_ml=_dec(limits.max_volume_per_site_ml),
        injection_sites=limits.injection_sites,
        graduation_ml=_dec(limits.graduation_ml),
        total_volume_ml=_dec(limits.total_volume_ml),
        max_dose_error_pct=_dec(limits.max_dose_error_pct),
    )


def _dec(value: float) -> Decimal:
    # Through str: the protocol's 0.1 is the decimal 0.1, not the binary float nearest it.
    return Decimal(str(value))
