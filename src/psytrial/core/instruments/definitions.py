"""Instrument definitions as a protocol declares them: one discriminated union on `kind`.

    InstrumentDef = HrsInstrument | VasInstrument | ColourTestInstrument
                  | QuestionnaireInstrument | FormInstrument        (discriminator: kind)

The protocol loader parses a protocol's `instruments:` list with `InstrumentDef`; every model
is frozen and refuses unknown keys, and every inconsistency (duplicate ids, min above max,
unknown references) is a ValueError raised inside a validator, so it arrives located in the
pydantic error and the loader can turn it into a one-line ProtocolError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal

from pydantic import Field, NonNegativeInt, TypeAdapter, field_validator, model_validator

from psytrial.core.instruments.base import (
    IDENTIFIER_PATTERN,
    FrozenModel,
    Identifier,
    InstrumentBase,
    Label,
    find_duplicates,
)
from psytrial.core.instruments.form_defs import FormInstrument
from psytrial.core.instruments.hrs_bank import CLUSTERS, HrsCluster, builtin_clusters

DEFAULT_MAX_MISSING_PER_CLUSTER = 1


class HrsInstrument(InstrumentBase):
    """The Hallucinogen Rating Scale (Strassman et al. 1994): six cluster means of 0-4 items.

    `max_missing_per_cluster` is how many unanswered items a cluster tolerates before it
    scores as missing: one number for all clusters, or a mapping per cluster (clusters left
    out of the mapping tolerate 1). `item_bank` is "builtin" (see `hrs_bank`) or a mapping of
    each of the six clusters to the item ids of the site's licensed copy.
    """

    kind: Literal["hrs"] = "hrs"
    reveals_arm: bool = True
    max_missing_per_cluster: int | dict[HrsCluster, int] = DEFAULT_MAX_MISSING_PER_CLUSTER
    item_bank: Literal["builtin"] | dict[HrsCluster, tuple[str, ...]] = "builtin"

    # Why before-validators: a union of int and mapping would report every branch's error;
    # one clear message per mistake is what a protocol author needs.
    @field_validator("max_missing_per_cluster", mode="before")
    @classmethod
    def _tolerances(cls, raw: object) -> object:
        if isinstance(raw, Mapping):
            _clusters_known(raw, "max_missing_per_cluster")
            for cluster, value in raw.items():
                _non_negative(value, f"max_missing_per_cluster.{cluster}")
            return raw
        return _non_negative(raw, "max_missing_per_cluster")

    @field_validator("item_bank", mode="before")
    @classmethod
    def _bank(cls, raw: object) -> object:
        if not isinstance(raw, Mapping):
            if raw != "builtin":
                raise ValueError(
                    f"item_bank: expected 'builtin' or cluster -> item ids, got {raw!r}"
                )
            return raw
        _clusters_known(raw, "item_bank")
        missing = [c for c in CLUSTERS if not raw.get(c)]
        if missing:
            raise ValueError(
                f"item_bank: every cluster needs at least one item; none for: {', '.join(missing)}"
            )
        ids = []
        for cluster, items in raw.items():
            if isinstance(items, str) or not isinstance(items, Sequence):
                raise ValueError(f"item_bank.{cluster}: expected a list of item ids, got {items!r}")
            for item in items:
                if not isinstance(item, str) or not re.fullmatch(IDENTIFIER_PATTERN, item):
                    raise ValueError(
                        f"item_bank.{cluster}: expected snake_case item ids, got {item!r}"
                    )
                ids.append(item)
        dups = find_duplicates(ids)
        if dups:
            raise ValueError(f"item_bank: duplicate item id '{dups[0]}'")
        return raw

    def clusters(self) -> dict[HrsCluster, tuple[str, ...]]:
        """Cluster -> item ids, in the order of the six clinical clusters."""
        bank = builtin_clusters() if self.item_bank == "builtin" else self.item_bank
        return {c: tuple(bank[c]) for c in CLUSTERS}

    def item_ids(self) -> tuple[str, ...]:
        return tuple(i for ids in self.clusters().values() for i in ids)

    def tolerance(self, cluster: HrsCluster) -> int:
        """How many missing items `cluster` tolerates."""
        if isinstance(self.max_missing_per_cluster, int):
            return self.max_missing_per_cluster
        return self.max_missing_per_cluster.get(cluster, DEFAULT_MAX_MISSING_PER_CLUSTER)


def _clusters_known(raw: Mapping[object, object], where: str) -> None:
    unknown = [key for key in raw if key not in CLUSTERS]
    if unknown:
        raise ValueError(
            f"{where}: unknown cluster {unknown[0]!r}; expected one of: {', '.join(CLUSTERS)}"
        )


def _non_negative(raw: object, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise ValueError(f"{where}: expected a whole number of at least 0, got {raw!r}")
    return raw


class VasInstrument(InstrumentBase):
    """A visual analogue scale, 0-100 by default (e.g. craving for heroin)."""

    kind: Literal["vas"] = "vas"
    min_label: Label
    max_label: Label
    min: float = 0
    max: float = 100

    @model_validator(mode="after")
    def _range(self) -> VasInstrument:
        if self.min >= self.max:
            raise ValueError(f"min {self.min:g} must be below max {self.max:g}")
        return self


LUSCHER_COLOURS: tuple[str, ...] = (
    "grey",
    "blue",
    "green",
    "red",
    "yellow",
    "violet",
    "brown",
    "black",
)


class ColourTestInstrument(InstrumentBase):
    """The colour test of attitudes (Etkind's CTA, as used by Krupitsky's group).

    The participant ranks all `colours` by preference and assigns one colour to each of the
    `concepts`; the attitude to a concept is the preference rank of its colour.
    """

    kind: Literal["colour_test"] = "colour_test"
    colours: tuple[Identifier, ...] = LUSCHER_COLOURS
    concepts: tuple[Identifier, ...]

    @model_validator(mode="after")
    def _unique(self) -> ColourTestInstrument:
        if len(self.colours) < 2:
            raise ValueError(f"expected at least 2 colours, got {len(self.colours)}")
        if not self.concepts:
            raise ValueError("expected at least one concept, got none")
        for what, ids in (("colour", self.colours), ("concept", self.concepts)):
            dups = find_duplicates(ids)
            if dups:
                raise ValueError(f"duplicate {what} '{dups[0]}'")
        return self


class QuestionnaireItem(FrozenModel):
    """One item of a generic questionnaire; `reverse` items score as min + max - answer."""

    id: Identifier
    label: Label
    min: float
    max: float
    reverse: bool = False

    @model_validator(mode="after")
    def _range(self) -> QuestionnaireItem:
        if self.min >= self.max:
            raise ValueError(f"item '{self.id}': min {self.min:g} must be below max {self.max:g}")
        return self


class QuestionnaireInstrument(InstrumentBase):
    """A summed or mean-scored questionnaire, so a new instrument needs only data.

    A score (total or subscale) tolerates up to `max_missing` unanswered items of its own;
    a summed score with missing items is prorated: mean of the answered items x item count.
    """

    kind: Literal["questionnaire"] = "questionnaire"
    items: tuple[QuestionnaireItem, ...]
    score: Literal["sum", "mean"]
    max_missing: NonNegativeInt = 0
    subscales: dict[Identifier, tuple[Identifier, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references_resolve(self) -> QuestionnaireInstrument:
        ids = [item.id for item in self.items]
        if not ids:
            raise ValueError("expected at least one item, got none")
        dups = find_duplicates(ids)
        if dups:
            raise ValueError(f"duplicate item id '{dups[0]}'")
        if self.max_missing >= len(ids):
            raise ValueError(
                f"max_missing must be below the number of items ({len(ids)}), "
                f"got {self.max_missing}"
            )
        for name, members in self.subscales.items():
            if not members:
                raise ValueError(f"subscale '{name}': needs at least one item")
            unknown = [m for m in members if m not in ids]
            if unknown:
                raise ValueError(f"subscale '{name}': unknown item '{unknown[0]}'")
            dups = find_duplicates(members)
            if dups:
                raise ValueError(f"subscale '{name}': item '{dups[0]}' listed twice")
        return self


InstrumentDef = Annotated[
    HrsInstrument | VasInstrument | ColourTestInstrument | QuestionnaireInstrument | FormInstrument,
    Field(discriminator="kind"),
]
KINDS: tuple[str, ...] = ("hrs", "vas", "colour_test", "questionnaire", "form")

_ADAPTER: TypeAdapter[InstrumentDef] = TypeAdapter(InstrumentDef)


def parse_instrument(data: Mapping[str, object]) -> InstrumentDef:
    """One instrument definition from plain data (a YAML mapping); raises ValidationError."""
    return _ADAPTER.validate_python(data)


def parse_instruments(data: Sequence[Mapping[str, object]]) -> tuple[InstrumentDef, ...]:
    """A list of definitions whose ids must be unique; raises ValidationError or ValueError."""
    defs = tuple(parse_instrument(one) for one in data)
    dups = find_duplicates([d.id for d in defs])
    if dups:
        raise ValueError(f"duplicate instrument id '{dups[0]}'")
    return defs
