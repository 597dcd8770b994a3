"""Score result objects: frozen values returned by `scoring.score`, one class per kind.

    Score = HRSScore | VASScore | ColourTestScore | QuestionnaireScore

Also the typed response of the colour test (`ColourTestAnswers`), since that answer is a
ranking plus assignments rather than a rating per item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ClusterScore:
    """One HRS cluster: the mean of its answered items, or None with the reason."""

    cluster: str
    mean: float | None
    n_answered: int
    n_items: int
    missing_reason: str | None


@dataclass(frozen=True)
class HRSScore:
    instrument_id: str
    clusters: tuple[ClusterScore, ...]

    def __getitem__(self, cluster: str) -> ClusterScore:
        for one in self.clusters:
            if one.cluster == cluster:
                return one
        raise KeyError(cluster)

    @property
    def means(self) -> dict[str, float | None]:
        return {one.cluster: one.mean for one in self.clusters}


@dataclass(frozen=True)
class VASScore:
    instrument_id: str
    value: float


@dataclass(frozen=True)
class ColourTestAnswers:
    """A colour test response: colours from most to least preferred, and concept -> colour."""

    ranking: tuple[str, ...]
    assignments: Mapping[str, str]


@dataclass(frozen=True)
class ConceptAttitude:
    """A concept's colour, that colour's preference rank (1 = most preferred), and positivity
    (n - rank) / (n - 1) in [0, 1] (1 = the most preferred colour)."""

    concept: str
    colour: str
    rank: int
    positivity: float


@dataclass(frozen=True)
class ColourTestScore:
    instrument_id: str
    ranking: tuple[str, ...]
    concepts: tuple[ConceptAttitude, ...]

    def __getitem__(self, concept: str) -> ConceptAttitude:
        for one in self.concepts:
            if one.concept == concept:
                return one
        raise KeyError(concept)


@dataclass(frozen=True)
class ScaleScore:
    """A questionnaire total or subscale: its value, or None with the reason."""

    name: str
    value: float | None
    n_answered: int
    n_items: int
    missing_reason: str | None


@dataclass(frozen=True)
class QuestionnaireScore:
    instrument_id: str
    overall: ScaleScore
    subscales: tuple[ScaleScore, ...]

    @property
    def total(self) -> float | None:
        return self.overall.value

    def subscale(self, name: str) -> ScaleScore:
        for one in self.subscales:
            if one.name == name:
                return one
        raise KeyError(name)


Score = HRSScore | VASScore | ColourTestScore | QuestionnaireScore
