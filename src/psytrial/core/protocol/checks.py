"""Cross-reference checks of a protocol: the parts against each other.

Field-level checks (types, ranges) live on the model; what lives here needs two parts at once:
a visit names an instrument that exists, randomization stratifies by a declared factor, the
common injection volume holds every arm's largest dose, the vital-sign limits name fields of
the vital-signs form. Each problem carries the path of the place it concerns, so the loader
can point at the line of the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from psytrial.core.roles import BlindStatus, Role

if TYPE_CHECKING:
    from psytrial.core.protocol.model import Protocol

Path = tuple[str | int, ...]


class ProtocolCheckError(ValueError):
    """A cross-reference problem, with the path of the place it concerns."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(message)


def check_protocol(protocol: Protocol) -> None:
    """Raise ProtocolCheckError for the first cross-reference problem found."""
    for path, message in problems(protocol):
        raise ProtocolCheckError(path, message)


def problems(protocol: Protocol) -> Iterator[tuple[Path, str]]:
    yield from _unique("arms", [a.id for a in protocol.arms], "arm")
    yield from _unique("sites", [s.id for s in protocol.sites], "site")
    yield from _unique("strata", [s.id for s in protocol.strata], "stratum")
    yield from _unique("eligibility", [c.id for c in protocol.eligibility], "criterion")
    yield from _unique("instruments", [i.id for i in protocol.instruments], "instrument")
    yield from _visits(protocol)
    yield from _sessions(protocol)
    yield from _strata(protocol)
    yield from _outcomes(protocol)
    yield from _safety(protocol)
    yield from _dosing(protocol)
    yield from _dosing_engine(protocol)
    yield from _blinding(protocol)


def _unique(where: str, ids: Sequence[str], what: str) -> Iterator[tuple[Path, str]]:
    seen: set[str] = set()
    for index, item_id in enumerate(ids):
        if item_id in seen:
            yield (where, index, "id"), f"expected a unique {what} id, got {item_id!r} again"
        seen.add(item_id)


def _known(
    path: Path, names: Iterable[str], known: Sequence[str], what: str
) -> Iterator[tuple[Path, str]]:
    for index, name in enumerate(names):
        if name not in known:
            yield (*path, index), f"expected a declared {what} ({', '.join(known)}), got {name!r}"


def _visits(protocol: Protocol) -> Iterator[tuple[Path, str]]:
    instruments = [i.id for i in protocol.instruments]
    for index, visit in enumerate(protocol.visits):
        yield from _known(("visits", index, "instruments"), visit.instruments, instruments,
                          "instrument")
    monthly = protocol.monthly_follow_up
    if monthly is not None:
        yield from _known(("monthly_follow_up", "instruments"), monthly.instruments,
                          instruments, "instrument")
        for month, extra in monthly.extra_instruments.items():
            yield from _known(("monthly_follow_up", "extra_instruments", month), extra,
                              instruments, "instrument")
    yield from _known(("unscheduled_instruments",), protocol.unscheduled_instruments,
                      instruments, "instrument")
    explicit = {v.id for v in protocol.visits}
    for visit in protocol.schedule[len(protocol.visits):]:
        if visit.id in explicit:
            yield ("monthly_follow_up",), (
                f"expected visit ids not already used by visits, but the monthly follow-up "
                f"makes {visit.id!r} again"
            )
            return
    yield from _unique("visits", [v.id for v in protocol.visits], "visit")
    if not protocol.schedule:
        yield ("visits",), "expected at least one visit, got none"


def _sessions(protocol: Protocol) -> Iterator[tuple[Path, str]]:
    kinds = {v.dose for v in protocol.schedule}
    drug_arms = [a for a in protocol.arms if a.receives_drug]
    if drug_arms and "randomized" not in kinds:
        yield ("visits",), (
            "expected a drug_session visit with dose 'randomized' (an arm receives a drug), "
            "got none"
        )
    if "randomized" in kinds and not drug_arms:
        yield ("arms",), "expected at least one arm with a drug for the randomized session"
    if "open_label" in kinds and protocol.open_label_dose is None:
        yield ("open_label_dose",), (
            "expected an open_label_dose, because a visit gives an open-label dose; got none"
        )
    if (drug_arms or protocol.open_label_dose) and protocol.dosing is None:
        yield ("dosing",), "expected dosing limits, because the protocol gives a drug; got none"
    arm_ids = [a.id for a in protocol.arms]
    for index, visit in enumerate(protocol.visits):
        yield from _known(("visits", index, "arms"), visit.arms, arm_ids, "arm")
        if visit.arms and protocol.blinding.design == "double_blind":
            yield ("visits", index, "arms"), (
                "expected no arm-specific visits in a double_blind design (the schedule "
                "would reveal the arm), got " + ", ".join(visit.arms)
            )
    if protocol.blinding.design == "double_blind" and len(drug_arms) != len(protocol.arms):
        yield ("blinding", "design"), (
            "expected every arm to receive the drug in a double_blind design (use an active "
            "placebo), or design single_blind/open"
        )


def _strata(protocol: Protocol) -> Iterator[tuple[Path, str]]:
    declared = [s.id for s in protocol.strata]
    yield from _known(("randomization", "strata"), protocol.randomization.strata, declared,
                      "stratum")
    for index, stratum in enumerate(protocol.strata):
        if not stratum.levels and stratum.id != "site" and stratum.source != "site":
            yield ("strata", index, "levels"), (
                "expected at least one level (only the site stratum takes its levels from "
                "the sites), got none"
            )


def _outcomes(protocol: Protocol) -> Iterator[tuple[Path, str]]:
    instruments = [i.id for i in protocol.instruments]
    primary = protocol.outcomes.primary
    yield from _known(("outcomes", "primary"), [primary.instrument], instruments, "instrument")
    months = {v.month for v in protocol.schedule if v.phase == "follow_up"}
    for index, month in enumerate(primary.abstinence_months):
        if month not in months or month > primary.horizon_months:
            yield ("outcomes", "primary", "abstinence_months", index), (
                f"expected a follow-up month with a visit, up to horizon_months "
                f"{primary.horizon_months}, got {month}"
            )
    for index, outcome in enumerate(protocol.outcomes.secondary):
        yield from _known(("outcomes", "secondary", index, "instrument"),
                          [outcome.instrument], instruments, "instrument")


def _safety(protocol: Protocol) -> Iterator[tuple[Path, str]]:
    safety = protocol.session_safety
    if safety is None:
        return
    by_id = {i.id: i for i in protocol.instruments}
    form = by_id.get(safety.instrument)
    if form is None:
        yield from _known(("session_safety", "instrument"), [safety.instrument],
                          list(by_id), "instrument")
        return
    fields = [f.id for f in getattr(form, "fields", ())]
    if not fields:
        yield ("session_safety", "instrument"), (
            f"expected a form instrument with fields, got {safety.instrument!r} of kind "
            f"{form.kind!r}"
        )
        return
    for name in safety.limits:
        if name not in fields:
            yield ("session_safety", "limits", name), (
                f"expected a field of form {safety.instrument!r} ({', '.join(fields)}), "
                f"got {name!r}"
            )


def _dosing(protocol: Protocol) -> Iterator[tuple[Path, str]]:
    limits = protocol.dosing
    if limits is None:
        return
    graduation = Decimal(str(limits.graduation_ml))
    total = Decimal(str(limits.total_volume_ml))
    if total % graduation != 0:
        yield ("dosing", "total_volume_ml"), (
            f"expected a multiple of graduation_ml {limits.graduation_ml}, "
            f"got {limits.total_volume_ml}"
        )
    per_site = Decimal(str(limits.max_volume_per_site_ml)) * limits.injection_sites
    if total > per_site:
        yield ("dosing", "total_volume_ml"), (
            f"expected at most {per_site} ml ({limits.injection_sites} site(s) of "
            f"{limits.max_volume_per_site_ml} ml), got {limits.total_volume_ml}"
        )
    doses: list[tuple[Path, float, float]] = [
        (("arms", index), arm.dose.mg_per_kg, arm.stock_mg_per_ml)
        for index, arm in enumerate(protocol.arms)
        if arm.dose is not None and arm.stock_mg_per_ml is not None
    ]
    if protocol.open_label_dose is not None:
        open_dose = protocol.open_label_dose
        doses.append((("open_label_dose",), open_dose.dose.mg_per_kg, open_dose.stock_mg_per_ml))
    for where, mg_per_kg, stock in doses:
        top_mg = Decimal(str(mg_per_kg)) * Decimal(str(limits.max_weight_kg))
        if top_mg > Decimal(str(limits.max_mg)):
            yield (*where, "dose", "mg_per_kg"), (
                f"expected a dose within dosing.max_mg {limits.max_mg} mg at max_weight_kg "
                f"{limits.max_weight_kg}, got {top_mg} mg"
            )
        drug_ml = top_mg / Decimal(str(stock))
        if drug_ml > total:
            yield (*where, "stock_mg_per_ml"), (
                f"expected a stock strong enough to fit {top_mg} mg into the common "
                f"total_volume_ml {limits.total_volume_ml}, got {stock} mg/ml "
                f"({drug_ml:.2f} ml)"
            )


def _dosing_engine(protocol: Protocol) -> Iterator[tuple[Path, str]]:
    """What the dosing engine itself refuses (rounding ties at the maximum weight, per-site
    splits in whole graduations), so a protocol that loads can always be dosed."""
    if protocol.dosing is None:
        return
    from psytrial.core.dosing import check_limits
    from psytrial.core.errors import DosingError
    from psytrial.core.protocol.adapters import dose_rules, dosing_limits, open_label_rule

    try:
        rules = list(dose_rules(protocol).values())
        extra = open_label_rule(protocol)
        check_limits([*rules, *([extra] if extra else [])], dosing_limits(protocol))
    except DosingError as exc:
        yield ("dosing",), str(exc)


def _blinding(protocol: Protocol) -> Iterator[tuple[Path, str]]:
    if protocol.blinding.status(Role.ADMINISTRATOR) is not BlindStatus.BLIND:
        yield ("blinding", "roles", Role.ADMINISTRATOR.value), (
            "expected administrator to stay blind (being an administrator unblinds nobody), "
            f"got {protocol.blinding.status(Role.ADMINISTRATOR).value}"
        )
    if protocol.blinding.design != "double_blind":
        return
    for role in (Role.PHARMACIST, Role.RANDOMIZATION_STATISTICIAN):
        if protocol.blinding.status(role) is not BlindStatus.UNBLINDED:
            yield ("blinding", "roles", role.value), (
                f"expected {role.value} to be unblinded (somebody must seal the list and "
                f"prepare doses), got {protocol.blinding.status(role).value}"
            )
    for role in (Role.OUTCOME_RATER, Role.PSYCHOTHERAPIST, Role.SESSION_CLINICIAN):
        if protocol.blinding.status(role) is BlindStatus.UNBLINDED:
            yield ("blinding", "roles", role.value), (
                f"expected {role.value} to stay blind in a double-blind protocol, got unblinded"
            )
