"""Raw entered data -> the stored JSON of one form version, or FormError with field errors.

Every kind goes through the core's `validate_form` on its entry form (see `catalog`), so
types, ranges, required fields and unknown keys are worded the same everywhere; the scored
kinds then run the core's scoring on the typed answers, so an answer set the analysis could
not score is refused at entry, with the message under the fields it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from psytrial.core.errors import FormError, ScoringError
from psytrial.core.instruments import (
    ColourTestInstrument,
    FieldValue,
    HrsInstrument,
    InstrumentDef,
    QuestionnaireInstrument,
    VasInstrument,
    score,
    validate_form,
)
from psytrial.web.forms.catalog import entry_form

Json = dict[str, Any]


def clean(defn: InstrumentDef, raw: Mapping[str, object]) -> Json:
    """The JSON to store for `raw` entered into `defn`; FormError lists every problem."""
    cleaned = validate_form(entry_form(defn).form, raw).as_dict()
    errors = _scored_kind_errors(defn, cleaned)
    if errors:
        raise FormError(errors)
    return {key: to_json(value) for key, value in cleaned.items()}


def to_json(value: FieldValue) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _scored_kind_errors(defn: InstrumentDef, values: dict[str, FieldValue]) -> dict[str, list[str]]:
    if isinstance(defn, HrsInstrument):
        return _hrs_errors(defn, values)
    if isinstance(defn, QuestionnaireInstrument):
        return _questionnaire_errors(defn, values)
    if isinstance(defn, ColourTestInstrument):
        return _colour_errors(defn, values)
    if isinstance(defn, VasInstrument):
        return _scoring_error(defn, values["value"], "value")
    return {}


def _scoring_error(defn: InstrumentDef, answers: object, key: str) -> dict[str, list[str]]:
    try:
        score(defn, answers)
    except ScoringError as exc:
        return {key: [str(exc)]}
    return {}


def _too_many_missing(
    ids: tuple[str, ...] | list[str],
    values: Mapping[str, FieldValue],
    reason: str | None,
    what: str,
) -> dict[str, list[str]]:
    if reason is None:
        return {}
    message = f"required: {what}: {reason}"
    return {item: [message] for item in ids if values.get(item) is None}


def _hrs_errors(defn: HrsInstrument, values: dict[str, FieldValue]) -> dict[str, list[str]]:
    errors = _scoring_error(defn, values, "__all__")
    if errors:
        return errors
    result = score(defn, values)
    clusters = defn.clusters()
    found: dict[str, list[str]] = {}
    for cluster_score in result.clusters:  # type: ignore[attr-defined]
        found |= _too_many_missing(
            clusters[cluster_score.cluster],
            values,
            cluster_score.missing_reason,
            f"cluster {cluster_score.cluster}",
        )
    return found


def _questionnaire_errors(
    defn: QuestionnaireInstrument, values: dict[str, FieldValue]
) -> dict[str, list[str]]:
    errors = _scoring_error(defn, values, "__all__")
    if errors:
        return errors
    result = score(defn, values)
    ids = [item.id for item in defn.items]
    found = _too_many_missing(ids, values, result.overall.missing_reason, "total")  # type: ignore[attr-defined]
    for sub in result.subscales:  # type: ignore[attr-defined]
        for key, messages in _too_many_missing(
            defn.subscales[sub.name], values, sub.missing_reason, f"subscale {sub.name}"
        ).items():
            found.setdefault(key, messages)
    return found


def _colour_errors(
    defn: ColourTestInstrument, values: dict[str, FieldValue]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    first_rank: dict[object, int] = {}
    for position in range(1, len(defn.colours) + 1):
        colour = values[f"rank_{position}"]
        if colour in first_rank:
            errors[f"rank_{position}"] = [
                f"expected each colour once; {colour} is already preference {first_rank[colour]}"
            ]
        first_rank.setdefault(colour, position)
    if errors:
        return errors
    answers = {
        "ranking": [values[f"rank_{i}"] for i in range(1, len(defn.colours) + 1)],
        "assignments": {c: values[f"concept_{c}"] for c in defn.concepts},
    }
    return _scoring_error(defn, answers, "__all__")
