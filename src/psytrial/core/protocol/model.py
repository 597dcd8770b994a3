"""The protocol model: frozen pydantic objects that a protocol YAML file is parsed into.

A protocol says everything about a trial that psytrial needs to run it: arms and doses,
who is blind, strata and sites, eligibility, the visit schedule, the instruments given at
each visit, the outcomes, dosing limits and session safety limits. The model checks each
part on its own (types, ranges) and the parts against each other (a visit names a known
instrument, a stratum is declared before randomization uses it, the common injection volume
holds every arm's largest dose). `psytrial.core.protocol.loader` turns the YAML text into
these objects and pydantic's errors into one located line each.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from psytrial.core.errors import ProtocolError
from psytrial.core.instruments import InstrumentDef
from psytrial.core.roles import DEFAULT_BLINDING, BlindStatus, Role

FORMAT_VERSION = 1

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class StudyInfo(_Frozen):
    id: Identifier
    title: str = Field(min_length=1)
    version: str = Field(min_length=1, description="the protocol version, recorded per study")
    reference: str = ""
    description: str = ""


class Dose(_Frozen):
    mg_per_kg: PositiveFloat


Route = Literal["IM", "IV", "SC", "oral", "intranasal"]


class DrugDose(_Frozen):
    """A weight-based dose of a drug, prepared from a stock solution."""

    drug: str = Field(min_length=1)
    route: Route
    dose: Dose
    stock_mg_per_ml: PositiveFloat


class Arm(_Frozen):
    """A randomized arm. An arm without `drug` receives no study drug (e.g. counselling only)."""

    id: Identifier
    label: str = Field(min_length=1)
    ratio: Annotated[int, Field(ge=1, le=10)] = 1
    drug: str | None = Field(default=None, min_length=1)
    route: Route | None = None
    dose: Dose | None = None
    stock_mg_per_ml: PositiveFloat | None = None

    @model_validator(mode="after")
    def _drug_complete(self) -> Arm:
        given = [self.drug, self.route, self.dose, self.stock_mg_per_ml]
        if any(v is not None for v in given) and any(v is None for v in given):
            raise ValueError(
                "expected drug, route, dose and stock_mg_per_ml together (or none of them "
                "for an arm without study drug)"
            )
        return self

    @property
    def receives_drug(self) -> bool:
        return self.dose is not None


class DosingLimits(_Frozen):
    min_weight_kg: PositiveFloat
    max_weight_kg: PositiveFloat
    max_mg: PositiveFloat
    max_volume_per_site_ml: PositiveFloat
    injection_sites: Annotated[int, Field(ge=1, le=4)] = 1
    graduation_ml: PositiveFloat
    total_volume_ml: PositiveFloat
    max_dose_error_pct: Annotated[float, Field(ge=0, le=20)] = 5.0

    @model_validator(mode="after")
    def _weights_ordered(self) -> DosingLimits:
        if self.min_weight_kg >= self.max_weight_kg:
            raise ValueError(
                f"min_weight_kg ({self.min_weight_kg}) must be below max_weight_kg "
                f"({self.max_weight_kg})"
            )
        return self


class Blinding(_Frozen):
    """The design's masking, and per role: blind, unblinded, or blind until database lock."""

    design: Literal["double_blind", "single_blind", "open"] = "double_blind"
    roles: dict[Role, BlindStatus] = Field(default_factory=dict)

    def status(self, role: Role) -> BlindStatus:
        return self.roles.get(role, DEFAULT_BLINDING[role])

    def status_map(self) -> dict[Role, BlindStatus]:
        return {role: self.status(role) for role in Role}


class Site(_Frozen):
    id: Identifier
    name: str = Field(min_length=1)
    country: str = ""


class Stratum(_Frozen):
    """A stratification factor. `levels` may be omitted for `site` (the sites are its levels)."""

    id: Identifier
    label: str = ""
    levels: tuple[Identifier, ...] = ()
    source: str = Field(
        default="", description="where the value comes from, e.g. 'baseline.sex' or 'site'"
    )


class Randomization(_Frozen):
    method: Literal["permuted_blocks"] = "permuted_blocks"
    block_multipliers: tuple[Annotated[int, Field(ge=1, le=10)], ...] = (1, 2)
    strata: tuple[Identifier, ...] = ()

    @field_validator("block_multipliers")
    @classmethod
    def _nonempty(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value:
            raise ValueError("expected at least one block multiplier, got none")
        return value


class Criterion(_Frozen):
    id: Identifier
    kind: Literal["inclusion", "exclusion"]
    text: str = Field(min_length=1)


Phase = Literal[
    "screening", "baseline", "preparation", "drug_session", "integration", "follow_up", "other"
]
Anchor = Literal["screening", "randomization", "drug_session"]


class Window(_Frozen):
    before: NonNegativeInt = 0
    after: NonNegativeInt = 0


class Visit(_Frozen):
    id: Identifier
    label: str = Field(min_length=1)
    phase: Phase
    anchor: Anchor
    offset_days: int
    window: Window = Window()
    month: Annotated[int, Field(ge=0, le=120)] | None = None
    instruments: tuple[Identifier, ...] = ()
    dose: Literal["randomized", "open_label", "none"] = "none"
    arms: tuple[Identifier, ...] = Field(
        default=(), description="the arms that have this visit; empty means every arm"
    )

    @model_validator(mode="after")
    def _dose_only_in_sessions(self) -> Visit:
        if self.dose != "none" and self.phase != "drug_session":
            raise ValueError(
                f"expected dose 'none' outside drug_session visits, got {self.dose!r}"
            )
        return self


class MonthlyFollowUp(_Frozen):
    """Shorthand for a run of monthly follow-up visits, expanded into `Visit`s named m01, m02..."""

    from_month: Annotated[int, Field(ge=1, le=120)] = 1
    to_month: Annotated[int, Field(ge=1, le=120)]
    anchor: Anchor = "drug_session"
    days_per_month: PositiveFloat = 30.0
    window: Window = Window(before=7, after=7)
    instruments: tuple[Identifier, ...] = ()
    extra_instruments: dict[int, tuple[Identifier, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered(self) -> MonthlyFollowUp:
        if self.from_month > self.to_month:
            raise ValueError(
                f"from_month ({self.from_month}) must not be after to_month ({self.to_month})"
            )
        unknown = sorted(m for m in self.extra_instruments if not (
            self.from_month <= m <= self.to_month))
        if unknown:
            raise ValueError(
                f"extra_instruments names month {unknown[0]}, expected a month from "
                f"{self.from_month} to {self.to_month}"
            )
        return self

    def expand(self) -> Iterator[Visit]:
        for month in range(self.from_month, self.to_month + 1):
            extra = self.extra_instruments.get(month, ())
            yield Visit(
                id=f"m{month:02d}",
                label=f"Follow-up month {month}",
                phase="follow_up",
                anchor=self.anchor,
                offset_days=round(month * self.days_per_month),
                window=self.window,
                month=month,
                instruments=self.instruments + extra,
            )


LossRule = Literal["relapse", "censor"]


class PrimaryOutcome(_Frozen):
    id: Identifier
    kind: Literal["time_to_event"] = "time_to_event"
    label: str = Field(min_length=1)
    instrument: Identifier
    event: str = Field(min_length=1, description="what counts as the event, in words")
    horizon_months: Annotated[int, Field(ge=1, le=120)]
    lost_to_follow_up: LossRule = "relapse"
    sensitivity: LossRule | None = "censor"
    abstinence_months: tuple[Annotated[int, Field(ge=1, le=120)], ...] = ()


class SecondaryOutcome(_Frozen):
    id: Identifier
    kind: Literal["cluster_scores", "repeated_measure", "change_from_baseline",
                  "blinding_guesses", "adverse_events"]
    label: str = Field(min_length=1)
    instrument: Identifier


class Outcomes(_Frozen):
    primary: PrimaryOutcome
    secondary: tuple[SecondaryOutcome, ...] = ()


class Limit(_Frozen):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Limit:
        if self.min is None and self.max is None:
            raise ValueError("expected a min, a max or both, got neither")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class SessionSafety(_Frozen):
    instrument: Identifier
    limits: dict[Identifier, Limit]


class Protocol(_Frozen):
    """A whole trial protocol. Build it with `psytrial.core.protocol.load_protocol`."""

    format_version: int
    study: StudyInfo
    arms: tuple[Arm, ...] = Field(min_length=2)
    dosing: DosingLimits | None = None
    blinding: Blinding = Blinding()
    sites: tuple[Site, ...] = Field(min_length=1)
    strata: tuple[Stratum, ...] = ()
    randomization: Randomization = Randomization()
    eligibility: tuple[Criterion, ...] = Field(min_length=1)
    instruments: tuple[InstrumentDef, ...] = Field(min_length=1)
    visits: tuple[Visit, ...] = ()
    monthly_follow_up: MonthlyFollowUp | None = None
    unscheduled_instruments: tuple[Identifier, ...] = ()
    open_label_dose: DrugDose | None = None
    outcomes: Outcomes
    session_safety: SessionSafety | None = None
    effective_date: date | None = None

    @field_validator("format_version")
    @classmethod
    def _supported_version(cls, value: int) -> int:
        if value != FORMAT_VERSION:
            raise ValueError(f"expected format_version {FORMAT_VERSION}, got {value}")
        return value

    # The expanded schedule, computed once: the web layer asks for visits on every form save.
    # Derived from the fields only, so equal protocols still compare equal.
    _schedule: tuple[Visit, ...] = PrivateAttr(default=())
    _visits_by_id: dict[str, Visit] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Protocol:
        from psytrial.core.protocol.checks import check_protocol

        monthly = tuple(self.monthly_follow_up.expand()) if self.monthly_follow_up else ()
        self._schedule = self.visits + monthly
        self._visits_by_id = {}
        for visit in self._schedule:
            self._visits_by_id.setdefault(visit.id, visit)
        check_protocol(self)
        return self

    # -- derived views -------------------------------------------------------------------

    @property
    def schedule(self) -> tuple[Visit, ...]:
        """Every visit, the explicit ones followed by the expanded monthly follow-up."""
        return self._schedule

    def arm(self, arm_id: str) -> Arm:
        return _by_id(self.arms, arm_id, "arm")

    def instrument(self, instrument_id: str) -> InstrumentDef:
        return _by_id(self.instruments, instrument_id, "instrument")

    def visit(self, visit_id: str) -> Visit:
        found = self._visits_by_id.get(visit_id)
        return found if found is not None else _by_id(self.schedule, visit_id, "visit")

    def stratum(self, stratum_id: str) -> Stratum:
        return _by_id(self.strata, stratum_id, "stratum")

    def stratum_levels(self, stratum_id: str) -> tuple[str, ...]:
        stratum = self.stratum(stratum_id)
        if stratum.levels:
            return stratum.levels
        return tuple(site.id for site in self.sites)

    def stratum_labels(self) -> tuple[str, ...]:
        """The randomization strata as labels like 'sex=male|site=spb' ('all' if unstratified)."""
        labels: list[str] = [""]
        for stratum_id in self.randomization.strata:
            labels = [
                f"{prefix}|{stratum_id}={level}" if prefix else f"{stratum_id}={level}"
                for prefix in labels
                for level in self.stratum_levels(stratum_id)
            ]
        return tuple(labels) if labels != [""] else ("all",)

    def instruments_at(self, visit_id: str) -> tuple[InstrumentDef, ...]:
        return tuple(self.instrument(i) for i in self.visit(visit_id).instruments)


_T = TypeVar("_T")


def _by_id(items: tuple[_T, ...], wanted: str, what: str) -> _T:
    for item in items:
        if getattr(item, "id", None) == wanted:
            return item
    known = ", ".join(str(getattr(item, "id", "?")) for item in items)
    raise ProtocolError(f"{what}: expected one of {known}, got {wanted!r}")
