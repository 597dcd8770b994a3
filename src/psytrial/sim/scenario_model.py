"""The scenario model: frozen pydantic objects that a scenario YAML file is parsed into.

Each part is checked on its own here (types, ranges, shares that must sum to 1); parts
against each other in `scenario_rules` (run by the model's validator); the whole scenario
against its protocol in `scenario_checks`; YAML text is read in `scenario_load`. The public
surface of all of them is `psytrial.sim.scenario`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from psytrial.core.instruments import CLUSTERS

FORMAT_VERSION = 1
ALL = "all"
"""The group key of a distribution that holds for every sex."""

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Probability = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Month = Annotated[int, Field(ge=0, le=120)]
Path = tuple[str | int, ...]

_SUM_TOLERANCE = 1e-6


class ScenarioCheckError(ValueError):
    """A problem that concerns several parts of a scenario, with the path of the place."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(message)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _sums_to_one(shares: dict[str, float]) -> dict[str, float]:
    """A field validator: shares of categories that must sum to 1."""
    total = math.fsum(shares.values())
    if not shares:
        raise ValueError("expected at least one category, got none")
    if abs(total - 1.0) > _SUM_TOLERANCE:
        raise ValueError(f"expected shares that sum to 1, got {total:g}")
    return shares


class TruncatedNormal(_Frozen):
    """A normal distribution cut to [min, max] (values are redrawn, not piled on the ends)."""

    mean: Finite
    sd: PositiveFloat
    min: Finite
    max: Finite

    @model_validator(mode="after")
    def _ordered(self) -> TruncatedNormal:
        if not self.min < self.max:
            raise ValueError(f"expected min below max, got min {self.min:g}, max {self.max:g}")
        if not self.min <= self.mean <= self.max:
            raise ValueError(
                f"expected a mean between min {self.min:g} and max {self.max:g}, got {self.mean:g}"
            )
        return self


ByGroup = dict[Identifier, TruncatedNormal]
"""A distribution per sex (keys: the sexes of population.sex), or one for all (key `all`)."""


class Recruitment(_Frozen):
    start_date: date
    screened_per_week: PositiveFloat


class SiteWeight(_Frozen):
    id: Identifier
    weight: PositiveFloat


class CravingPopulation(_Frozen):
    """Craving before randomization (VAS, in the scale's units, usually mm of 0-100)."""

    instrument: Identifier
    baseline_mean: Finite
    intercept_sd: NonNegativeFloat
    residual_sd: NonNegativeFloat


class AttitudesPopulation(_Frozen):
    """Colour test before randomization: each concept's mean positivity (0-1), and the sd."""

    instrument: Identifier
    baseline: dict[Identifier, Probability]
    sd: NonNegativeFloat


class Population(_Frozen):
    sex: dict[Identifier, Probability]
    age: ByGroup
    weight_kg: ByGroup
    years_heroin_use: ByGroup
    min_age_first_use: Annotated[int, Field(ge=5, le=40)] = 12
    craving: CravingPopulation | None = None
    attitudes: AttitudesPopulation | None = None

    _sex_shares = field_validator("sex")(_sums_to_one)


class IneligibleRate(_Frozen):
    """The share of screened people (of `sex`, if given) who fail one eligibility criterion."""

    criterion: Identifier
    rate: Probability
    sex: Identifier | None = None


class Screening(_Frozen):
    ineligible: tuple[IneligibleRate, ...] = ()
    consent_refusal: Probability


class Detection(_Frozen):
    """How often each source shows heroin use at a visit where use is to be confirmed."""

    self_report: Probability
    urine: Probability
    collateral: Probability


class FollowUp(_Frozen):
    dropout_monthly: Probability
    withdrawal_monthly: Probability = 0.0
    withdrawal_before_session: Probability = 0.0
    missed_visit: Probability = 0.0
    after_relapse: Literal["continue", "stop"] = "continue"
    detection: Detection
    urine_not_done: Probability = 0.0
    collateral_unknown: Probability = 0.0


class AdverseEventOnset(_Frozen):
    session_day: Probability = 1.0
    within_days: Annotated[int, Field(ge=0, le=28)] = 0


class Timing(_Frozen):
    visit_day_sd: NonNegativeFloat = 0.0
    session_start: str = "10:00"
    vitals_minutes: tuple[Annotated[int, Field(ge=-60, le=600)], ...] = (
        -10,
        5,
        15,
        30,
        45,
        60,
        90,
        120,
    )
    vitals_peak_minute: PositiveFloat = 15.0
    adverse_event_onset: AdverseEventOnset = AdverseEventOnset()

    @field_validator("session_start", mode="before")
    @classmethod
    def _clock(cls, raw: object) -> object:
        if isinstance(raw, int) and not isinstance(raw, bool):
            raise ValueError(
                f'expected a quoted time like "10:00" (YAML reads 10:00 unquoted as the number '
                f"{raw}), got {raw}"
            )
        if not isinstance(raw, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", raw):
            raise ValueError(f"expected a time HH:MM (00:00 to 23:59), got {raw!r}")
        return raw

    @model_validator(mode="after")
    def _minutes(self) -> Timing:
        minutes = list(self.vitals_minutes)
        if not minutes or minutes != sorted(set(minutes)):
            raise ValueError(
                f"vitals_minutes: expected at least one minute, increasing, got {minutes}"
            )
        first, last = (
            self.session_start_minutes + minutes[0],
            self.session_start_minutes + minutes[-1],
        )
        if first < 0 or last >= 24 * 60:
            raise ValueError(
                f"vitals_minutes: expected readings within the session's day, got minutes "
                f"{minutes[0]} to {minutes[-1]} around {self.session_start}"
            )
        return self

    @property
    def session_start_minutes(self) -> int:
        hours, minutes = self.session_start.split(":")
        return int(hours) * 60 + int(minutes)


class ClusterDistribution(_Frozen):
    """A participant's HRS cluster score (0-4): its mean and sd across participants."""

    mean: Annotated[float, Field(gt=0, lt=4, allow_inf_nan=False)]
    sd: PositiveFloat

    @field_validator("sd")
    @classmethod
    def _possible(cls, sd: float, info: ValidationInfo) -> float:
        mean = info.data.get("mean")
        if mean is None:
            return sd
        # A score confined to 0-4 with this mean cannot spread more than this.
        limit = math.sqrt(mean * (4 - mean))
        if sd >= limit:
            raise ValueError(
                f"expected an sd below {limit:.3g} (the most a 0-4 score with mean "
                f"{mean:g} can have), got {sd:g}"
            )
        return sd


class VitalSign(_Frozen):
    """One vital sign in a drug session: the person's level, the drug's peak change, noise."""

    baseline_mean: Finite
    baseline_sd: NonNegativeFloat
    peak_change_mean: Finite
    peak_change_sd: NonNegativeFloat
    reading_sd: NonNegativeFloat


class SessionModel(_Frozen):
    hrs: dict[Identifier, ClusterDistribution] | None = None
    vitals: dict[Identifier, VitalSign] = Field(default_factory=dict)
    out_of_limit_rate: Probability = 0.0
    minutes_to_discharge: TruncatedNormal | None = None

    @field_validator("hrs")
    @classmethod
    def _six_clusters(
        cls, hrs: dict[str, ClusterDistribution] | None
    ) -> dict[str, ClusterDistribution] | None:
        if hrs is not None and set(hrs) != set(CLUSTERS):
            got = ", ".join(hrs) or "none"
            raise ValueError(f"expected the six clusters {', '.join(CLUSTERS)}, got {got}")
        return hrs


class HazardPiece(_Frozen):
    """From `from_month` on (until the next piece), relapses per person-month."""

    from_month: Annotated[int, Field(ge=1, le=120)]
    hazard: NonNegativeFloat


class ArmCraving(_Frozen):
    change_by_month: dict[Month, Finite]
    residual_sd: NonNegativeFloat

    @model_validator(mode="after")
    def _nonempty(self) -> ArmCraving:
        if not self.change_by_month:
            raise ValueError("change_by_month: expected at least one month, got none")
        return self


class AdverseEvents(_Frozen):
    per_participant: Annotated[float, Field(ge=0, le=5, allow_inf_nan=False)]
    serious_fraction: Probability
    severity: dict[Identifier, Probability]
    related: dict[Identifier, Probability]
    outcome: dict[Identifier, Probability] = Field(default_factory=lambda: {"recovered": 1.0})
    terms: dict[str, PositiveFloat]

    _shares = field_validator("severity", "related", "outcome")(_sums_to_one)

    @field_validator("terms")
    @classmethod
    def _some_terms(cls, terms: dict[str, float]) -> dict[str, float]:
        if not terms:
            raise ValueError("expected at least one event term, got none")
        return terms


class Guessing(_Frozen):
    """How often a guesser names the right arm, and how often says "don't know"."""

    correct: Probability
    dont_know: Probability

    @model_validator(mode="after")
    def _room(self) -> Guessing:
        if self.correct + self.dont_know > 1 + _SUM_TOLERANCE:
            raise ValueError(
                f"expected correct + dont_know at most 1, got {self.correct + self.dont_know:g}"
            )
        return self


class ArmScenario(_Frozen):
    relapse_hazard: tuple[HazardPiece, ...] = Field(min_length=1)
    session: SessionModel = SessionModel()
    craving: ArmCraving | None = None
    attitudes: dict[Identifier, dict[Month, Finite]] = Field(default_factory=dict)
    adverse_events: AdverseEvents | None = None
    blinding: dict[Identifier, Guessing] = Field(default_factory=dict)


FormValue = bool | int | float | str | date


class Scenario(_Frozen):
    """A whole scenario. Build it with `psytrial.sim.scenario.load_scenario`."""

    format_version: int
    study: Identifier
    title: str = Field(min_length=1)
    description: str = ""
    recruitment: Recruitment
    sites: tuple[SiteWeight, ...] = Field(min_length=1)
    population: Population
    screening: Screening
    follow_up: FollowUp
    timing: Timing = Timing()
    arms: dict[Identifier, ArmScenario]
    open_label: SessionModel | None = None
    published_composition: dict[Identifier, dict[Identifier, Annotated[int, Field(ge=0)]]] = Field(
        default_factory=dict
    )
    form_defaults: dict[Identifier, dict[Identifier, FormValue]] = Field(default_factory=dict)

    _source: str = PrivateAttr(default="<scenario>")
    _lines: dict[Path, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        from psytrial.sim.scenario_rules import problems

        for path, message in problems(self):
            raise ScenarioCheckError(path, message)
        return self

    def locate(self, path: Path) -> str:
        """'file:line' of the deepest part of `path` found in the file, or the file name."""
        for end in range(len(path), -1, -1):
            line = self._lines.get(path[:end])
            if line is not None:
                return f"{self._source}:{line}"
        return self._source

    def remember_origin(self, source: str, lines: Mapping[Path, int]) -> None:
        """Keep where the scenario came from, so later checks can point at the line."""
        self._source = source
        self._lines = dict(lines)

    @property
    def arm_ids(self) -> tuple[str, ...]:
        return tuple(self.arms)

    @property
    def sexes(self) -> tuple[str, ...]:
        return tuple(self.population.sex)
