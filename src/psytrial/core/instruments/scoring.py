"""Scoring instrument answers into frozen score objects; forms have no score.

    score(defn, answers) -> HRSScore | VASScore | ColourTestScore | QuestionnaireScore

Answers are typed values (the web layer converts form strings first). A rating that is
absent, None or NaN counts as unanswered; an answer outside the allowed range, of the wrong
type, or for an unknown item raises ScoringError. Formulas and sources: docs/instruments.md.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from statistics import fmean

from psytrial.core.errors import ScoringError
from psytrial.core.instruments.definitions import (
    ColourTestInstrument,
    HrsInstrument,
    InstrumentDef,
    QuestionnaireInstrument,
    VasInstrument,
)
from psytrial.core.instruments.form_defs import FormInstrument
from psytrial.core.instruments.hrs_bank import RATING_MAX, RATING_MIN
from psytrial.core.instruments.scores import (
    ClusterScore,
    ColourTestAnswers,
    ColourTestScore,
    ConceptAttitude,
    HRSScore,
    QuestionnaireScore,
    ScaleScore,
    Score,
    VASScore,
)

__all__ = ["score", "score_colour_test", "score_hrs", "score_questionnaire", "score_vas"]


def _unanswered(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: object, where: str, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ScoringError(f"{where}: expected {expected}, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ScoringError(f"{where}: expected {expected}, got {value!r}")
    return number


def _check_known(answers: Mapping[str, object], known: Sequence[str], what: str) -> None:
    known_ids = frozenset(known)
    unknown = [key for key in answers if key not in known_ids]
    if unknown:
        raise ScoringError(f"{what}: unknown item id '{unknown[0]}'")


def _hrs_rating(defn: HrsInstrument, item_id: str, value: object) -> float:
    expected = f"a whole number {RATING_MIN}-{RATING_MAX}"
    rating = _number(value, f"{defn.id} item {item_id}", expected)
    if not rating.is_integer() or not RATING_MIN <= rating <= RATING_MAX:
        raise ScoringError(f"{defn.id} item {item_id}: expected {expected}, got {value!r}")
    return rating


def _mean_or_missing(name: str, ratings: list[float], n_items: int, tolerated: int) -> ClusterScore:
    n_missing = n_items - len(ratings)
    if n_missing > tolerated:
        reason = f"{n_missing} of {n_items} items missing, at most {tolerated} allowed"
        return ClusterScore(name, None, len(ratings), n_items, reason)
    if not ratings:
        return ClusterScore(name, None, 0, n_items, "no item answered")
    return ClusterScore(name, fmean(ratings), len(ratings), n_items, None)


def score_hrs(defn: HrsInstrument, answers: Mapping[str, object]) -> HRSScore:
    """Each cluster's mean of its answered 0-4 items (Strassman et al. 1994)."""
    clusters = defn.clusters()
    _check_known(answers, defn.item_ids(), defn.id)
    scores = []
    for cluster, item_ids in clusters.items():
        ratings = [
            _hrs_rating(defn, i, answers[i]) for i in item_ids if not _unanswered(answers.get(i))
        ]
        scores.append(_mean_or_missing(cluster, ratings, len(item_ids), defn.tolerance(cluster)))
    return HRSScore(defn.id, tuple(scores))


def score_vas(defn: VasInstrument, answers: object) -> VASScore:
    """The mark itself, checked against the scale's range."""
    expected = f"a number between {defn.min:g} and {defn.max:g}"
    if _unanswered(answers):
        raise ScoringError(f"{defn.id}: expected {expected}, got nothing")
    value = _number(answers, defn.id, expected)
    if not defn.min <= value <= defn.max:
        raise ScoringError(f"{defn.id}: expected {expected}, got {answers!r}")
    return VASScore(defn.id, value)


def _colour_response(
    answers: object, defn: ColourTestInstrument
) -> tuple[list[object], dict[object, object]]:
    """Ranking and assignments from ColourTestAnswers or a mapping with those two keys."""
    if isinstance(answers, ColourTestAnswers):
        ranking: object = answers.ranking
        assignments: object = answers.assignments
    elif isinstance(answers, Mapping):
        ranking, assignments = answers.get("ranking"), answers.get("assignments")
    else:
        raise ScoringError(
            f"{defn.id}: expected a ranking and assignments, got {type(answers).__name__}"
        )
    if not isinstance(ranking, Sequence) or isinstance(ranking, str):
        raise ScoringError(f"{defn.id}: expected a ranking list of colours, got {ranking!r}")
    if not isinstance(assignments, Mapping):
        raise ScoringError(
            f"{defn.id}: expected assignments concept -> colour, got {assignments!r}"
        )
    return list(ranking), dict(assignments)


def _check_permutation(ranking: list[object], defn: ColourTestInstrument) -> list[str]:
    if len(ranking) != len(defn.colours) or set(ranking) != set(defn.colours):
        shown = ", ".join(map(str, ranking))
        raise ScoringError(
            f"{defn.id}: expected a ranking of each of {', '.join(defn.colours)} exactly once, "
            f"got {shown}"
        )
    return [str(colour) for colour in ranking]


def score_colour_test(defn: ColourTestInstrument, answers: object) -> ColourTestScore:
    """Per concept: the preference rank of its colour and positivity (n - rank) / (n - 1)."""
    raw_ranking, assignments = _colour_response(answers, defn)
    ranking = _check_permutation(raw_ranking, defn)
    rank_of = {colour: position for position, colour in enumerate(ranking, start=1)}
    unknown = [c for c in assignments if c not in defn.concepts]
    if unknown:
        raise ScoringError(f"{defn.id}: unknown concept {unknown[0]!r}")
    n = len(ranking)
    attitudes = []
    for concept in defn.concepts:
        colour = assignments.get(concept)
        if _unanswered(colour):
            raise ScoringError(f"{defn.id}: expected a colour for concept '{concept}', got nothing")
        if not isinstance(colour, str) or colour not in rank_of:
            raise ScoringError(
                f"{defn.id}: concept '{concept}': expected one of {', '.join(defn.colours)}, "
                f"got {colour!r}"
            )
        rank = rank_of[colour]
        attitudes.append(ConceptAttitude(concept, colour, rank, (n - rank) / (n - 1)))
    return ColourTestScore(defn.id, tuple(ranking), tuple(attitudes))


def _item_values(defn: QuestionnaireInstrument, answers: Mapping[str, object]) -> dict[str, float]:
    """Answered items, reverse-scored where the definition says so."""
    values = {}
    for item in defn.items:
        raw = answers.get(item.id)
        if _unanswered(raw):
            continue
        expected = f"a number between {item.min:g} and {item.max:g}"
        value = _number(raw, f"{defn.id} item {item.id}", expected)
        if not item.min <= value <= item.max:
            raise ScoringError(f"{defn.id} item {item.id}: expected {expected}, got {raw!r}")
        values[item.id] = item.min + item.max - value if item.reverse else value
    return values


def _scale(
    name: str, ids: Sequence[str], values: Mapping[str, float], method: str, tolerated: int
) -> ScaleScore:
    answered = [values[i] for i in ids if i in values]
    n_missing = len(ids) - len(answered)
    if n_missing > tolerated:
        reason = f"{n_missing} of {len(ids)} items missing, at most {tolerated} allowed"
        return ScaleScore(name, None, len(answered), len(ids), reason)
    if not answered:
        return ScaleScore(name, None, 0, len(ids), "no item answered")
    mean = fmean(answered)
    # Prorating: a summed score with missing items is the answered mean times the item count.
    value = mean if method == "mean" else mean * len(ids)
    return ScaleScore(name, value, len(answered), len(ids), None)


def score_questionnaire(
    defn: QuestionnaireInstrument, answers: Mapping[str, object]
) -> QuestionnaireScore:
    """The total and each subscale: sum (prorated when items are missing) or mean."""
    _check_known(answers, [item.id for item in defn.items], defn.id)
    values = _item_values(defn, answers)
    all_ids = [item.id for item in defn.items]
    overall = _scale("total", all_ids, values, defn.score, defn.max_missing)
    subscales = tuple(
        _scale(name, ids, values, defn.score, defn.max_missing)
        for name, ids in defn.subscales.items()
    )
    return QuestionnaireScore(defn.id, overall, subscales)


def score(defn: InstrumentDef, answers: object) -> Score:
    """Score `answers` to `defn`; ScoringError when they cannot be scored."""
    if isinstance(defn, HrsInstrument):
        return score_hrs(defn, _mapping(defn.id, answers))
    if isinstance(defn, VasInstrument):
        return score_vas(defn, answers)
    if isinstance(defn, ColourTestInstrument):
        return score_colour_test(defn, answers)
    if isinstance(defn, QuestionnaireInstrument):
        return score_questionnaire(defn, _mapping(defn.id, answers))
    assert isinstance(defn, FormInstrument)
    raise ScoringError(f"{defn.id}: a form has no score; validate it with validate_form")


def _mapping(instrument_id: str, answers: object) -> Mapping[str, object]:
    if not isinstance(answers, Mapping):
        raise ScoringError(
            f"{instrument_id}: expected answers as item id -> rating, got {type(answers).__name__}"
        )
    return answers
