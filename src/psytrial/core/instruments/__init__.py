"""Instruments: definitions a protocol declares, form validation, scoring and item wording.

definitions  the discriminated union InstrumentDef (hrs, vas, colour_test, questionnaire,
             form) that the protocol loader embeds
form_defs    form fields, choices and the small rule grammar
forms        validate_form: web strings or JSON values -> CleanedForm, or FormError
scoring      score: answers -> HRSScore, VASScore, ColourTestScore, QuestionnaireScore
hrs_bank     the built-in HRS item ids and our own topic labels
wording      load_wording: a site's licensed item wording from its own CSV file
"""

from __future__ import annotations

from psytrial.core.instruments.definitions import (
    KINDS,
    LUSCHER_COLOURS,
    ColourTestInstrument,
    HrsInstrument,
    InstrumentDef,
    QuestionnaireInstrument,
    QuestionnaireItem,
    VasInstrument,
    parse_instrument,
    parse_instruments,
)
from psytrial.core.instruments.form_defs import (
    Choice,
    Condition,
    FieldRef,
    FormField,
    FormInstrument,
    FormRule,
)
from psytrial.core.instruments.forms import CleanedForm, validate_form
from psytrial.core.instruments.hrs_bank import BUILTIN_ITEMS, CLUSTERS, HrsCluster, HrsItem
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
from psytrial.core.instruments.scoring import score
from psytrial.core.instruments.values import FieldType, FieldValue
from psytrial.core.instruments.wording import load_wording

__all__ = [
    "BUILTIN_ITEMS",
    "CLUSTERS",
    "KINDS",
    "LUSCHER_COLOURS",
    "Choice",
    "CleanedForm",
    "ClusterScore",
    "ColourTestAnswers",
    "ColourTestInstrument",
    "ColourTestScore",
    "ConceptAttitude",
    "Condition",
    "FieldRef",
    "FieldType",
    "FieldValue",
    "FormField",
    "FormInstrument",
    "FormRule",
    "HRSScore",
    "HrsCluster",
    "HrsInstrument",
    "HrsItem",
    "InstrumentDef",
    "QuestionnaireInstrument",
    "QuestionnaireItem",
    "QuestionnaireScore",
    "ScaleScore",
    "Score",
    "VASScore",
    "VasInstrument",
    "load_wording",
    "parse_instrument",
    "parse_instruments",
    "score",
    "validate_form",
]
