"""The enrolment rules, as pure functions of the protocol and entered values.

- Eligibility: eligible iff every inclusion criterion's field is true and every exclusion
  criterion's field is false (the criteria ids are the eligibility form's field ids); the
  failed criteria are returned so pages can show them.
- Stratum: the label the allocation list uses ('sex=male|site=spb', or 'all' when the
  protocol stratifies by nothing), from each randomization stratum's source: `site`, or
  `<instrument>.<field>` of the participant's entered form.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from psytrial.core.protocol import Criterion, Protocol

ELIGIBILITY_ID = "eligibility"


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    failed: tuple[Criterion, ...]

    def summary(self) -> str:
        if self.eligible:
            return "eligible: every criterion met"
        return "ineligible: " + "; ".join(_failure(c) for c in self.failed)


def _failure(criterion: Criterion) -> str:
    wanted = "not met" if criterion.kind == "inclusion" else "present"
    return f"{criterion.id} ({criterion.kind} criterion {wanted}: {criterion.text})"


def eligibility(protocol: Protocol, values: Mapping[str, Any]) -> Eligibility:
    failed = tuple(
        c for c in protocol.eligibility if values.get(c.id) is not (c.kind == "inclusion")
    )
    return Eligibility(not failed, failed)


@dataclass(frozen=True)
class StratumResult:
    """The stratum label, or None with what is missing."""

    label: str | None
    missing: tuple[str, ...]


def stratum_sources(protocol: Protocol) -> dict[str, str]:
    """Randomization stratum id -> its source ('site' or 'instrument.field')."""
    sources = {}
    for stratum_id in protocol.randomization.strata:
        stratum = protocol.stratum(stratum_id)
        sources[stratum_id] = stratum.source or ("site" if stratum_id == "site" else "")
    return sources


def source_instruments(protocol: Protocol) -> set[str]:
    return {s.split(".", 1)[0] for s in stratum_sources(protocol).values() if "." in s}


def stratum(
    protocol: Protocol, site_code: str, values_of: Callable[[str], Mapping[str, Any] | None]
) -> StratumResult:
    """The participant's stratum from their site and the current values of source forms."""
    parts: list[str] = []
    missing: list[str] = []
    for stratum_id, source in stratum_sources(protocol).items():
        level, problem = _level(protocol, stratum_id, source, site_code, values_of)
        if problem:
            missing.append(problem)
        else:
            parts.append(f"{stratum_id}={level}")
    if missing:
        return StratumResult(None, tuple(missing))
    return StratumResult("|".join(parts) if parts else "all", ())


def _level(
    protocol: Protocol,
    stratum_id: str,
    source: str,
    site_code: str,
    values_of: Callable[[str], Mapping[str, Any] | None],
) -> tuple[str, str]:
    if source == "site":
        level: Any = site_code
    elif "." in source:
        instrument_id, field_id = source.split(".", 1)
        values = values_of(instrument_id)
        level = None if values is None else values.get(field_id)
        if level is None:
            return "", f"stratum {stratum_id}: {source} not entered yet"
    else:
        return "", f"stratum {stratum_id}: the protocol names no source for it"
    levels = protocol.stratum_levels(stratum_id)
    if str(level) not in levels:
        return "", (
            f"stratum {stratum_id}: expected one of {', '.join(levels)} from {source}, got {level}"
        )
    return str(level), ""
