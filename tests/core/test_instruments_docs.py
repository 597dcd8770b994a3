"""The YAML examples of docs/instruments.md and the shipped kpt2002 definitions.

Every example in the docs must parse, and the shipped file must say the same as the docs, so
the lead can copy either into protocols/kpt2002.yaml with confidence.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import psytrial.core.instruments as instruments
from psytrial.core.errors import FormError
from psytrial.core.instruments import (
    FormInstrument,
    HrsInstrument,
    parse_instrument,
    parse_instruments,
    validate_form,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "instruments.md"
SHIPPED = Path(instruments.__file__).parent / "data" / "kpt2002_instruments.yaml"


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def doc_definitions() -> dict[str, Any]:
    defs = {}
    for block in yaml_blocks():
        if block.startswith("- id:"):
            for entry in yaml.safe_load(block):
                defs[entry["id"]] = parse_instrument(entry)
    return defs


def shipped() -> dict[str, Any]:
    return {d.id: d for d in parse_instruments(yaml.safe_load(SHIPPED.read_text("utf-8")))}


def test_it_documents_every_kind_with_an_example_that_parses() -> None:
    kinds = {d.kind for d in doc_definitions().values()}
    assert kinds == set(instruments.KINDS)


def test_it_ships_the_same_definitions_as_the_docs() -> None:
    docs = doc_definitions()
    for ident, defn in shipped().items():
        assert docs[ident] == defn, ident


def test_it_documents_a_site_item_bank_that_parses() -> None:
    block = next(b for b in yaml_blocks() if b.startswith("item_bank:"))
    defn = parse_instrument({"id": "hrs", "kind": "hrs", "label": "HRS", **yaml.safe_load(block)})
    assert isinstance(defn, HrsInstrument)
    assert defn.clusters()["somaesthesia"] == ("s1", "s2", "s3")


def test_it_ships_the_forms_the_reference_trial_needs() -> None:
    defs = shipped()
    assert {
        "eligibility",
        "consent",
        "baseline",
        "vital_signs",
        "follow_up",
        "adverse_event",
        "blinding_guess",
    } <= set(defs)
    assert {ident for ident, d in defs.items() if d.reveals_arm} == {
        "hrs",
        "vital_signs",
        "blinding_guess",
    }
    assert defs["vital_signs"].repeating is True


def form(ident: str) -> FormInstrument:
    defn = shipped()[ident]
    assert isinstance(defn, FormInstrument)
    return defn


@pytest.mark.parametrize(
    ("ident", "data"),
    [
        (
            "eligibility",
            {
                "opioid_dependence": "yes",
                "detox_completed": "yes",
                "age_18_or_over": "yes",
                "psychosis_history": "no",
                "cardiovascular_contraindication": "no",
                "pregnant": "no",
                "eligible": "yes",
            },
        ),
        (
            "eligibility",
            {
                "opioid_dependence": "yes",
                "detox_completed": "no",
                "age_18_or_over": "yes",
                "psychosis_history": "no",
                "cardiovascular_contraindication": "no",
                "pregnant": "no",
                "eligible": "no",
            },
        ),
        (
            "consent",
            {
                "consent_version": "2.1",
                "consent_date": "1997-03-04",
                "taken_by": "Dr A",
                "consented": "yes",
            },
        ),
        ("baseline", {"age": "32", "sex": "male", "weight_kg": "71.5", "years_heroin_use": "6"}),
        (
            "vital_signs",
            {
                "time": "10:15",
                "systolic_bp": "135",
                "diastolic_bp": "85",
                "heart_rate": "88",
                "spo2": "97",
            },
        ),
        (
            "follow_up",
            {"heroin_use": "no", "urine_toxicology": "negative", "collateral_report": "abstinent"},
        ),
        (
            "follow_up",
            {
                "heroin_use": "yes",
                "urine_toxicology": "not_done",
                "collateral_report": "used",
                "first_use_date": "1997-06-01",
            },
        ),
        (
            "adverse_event",
            {
                "term": "nausea",
                "onset_date": "1997-03-04",
                "serious": "no",
                "severity": "mild",
                "relatedness": "probable",
                "outcome": "recovered",
                "resolution_date": "1997-03-04",
            },
        ),
        ("blinding_guess", {"guesser_role": "outcome_rater", "guessed_arm": "dont_know"}),
        (
            "blinding_guess",
            {"guesser_role": "participant", "guessed_arm": "high", "confidence": "80"},
        ),
        (
            "withdrawal",
            {"withdrawal_date": "1997-05-01", "reason": "other", "detail": "moved away"},
        ),
    ],
)
def test_it_accepts_plausible_entries_of_the_shipped_forms(
    ident: str, data: dict[str, str]
) -> None:
    cleaned = validate_form(form(ident), data)
    assert set(cleaned.as_dict()) == {f.id for f in form(ident).fields}


@pytest.mark.parametrize(
    ("ident", "data", "errors"),
    [
        (
            "baseline",
            {"age": "25", "sex": "female", "weight_kg": "151", "years_heroin_use": "6"},
            {"weight_kg": ["expected a number between 40 and 150, got 151"]},
        ),
        (
            "baseline",
            {"age": "25", "sex": "female", "weight_kg": "60", "years_heroin_use": "26"},
            {"__all__": ["years of heroin use cannot exceed the age"]},
        ),
        (
            "vital_signs",
            {
                "time": "10:15",
                "systolic_bp": "300",
                "diastolic_bp": "85",
                "heart_rate": "88",
                "spo2": "97",
            },
            {"systolic_bp": ["expected a whole number between 60 and 260, got 300"]},
        ),
        (
            "eligibility",
            {
                "opioid_dependence": "yes",
                "detox_completed": "no",
                "age_18_or_over": "yes",
                "psychosis_history": "yes",
                "cardiovascular_contraindication": "no",
                "pregnant": "no",
                "eligible": "yes",
            },
            {
                "detox_completed": ["an eligible participant must have completed detoxification"],
                "psychosis_history": ["a history of psychosis excludes the participant"],
            },
        ),
        (
            "adverse_event",
            {
                "term": "death",
                "onset_date": "1997-03-04",
                "serious": "no",
                "severity": "severe",
                "relatedness": "unlikely",
                "outcome": "fatal",
                "resolution_date": "1997-03-01",
            },
            {
                "serious": ["a fatal adverse event is serious"],
                "__all__": ["the resolution date cannot be before the onset date"],
            },
        ),
        (
            "blinding_guess",
            {"guesser_role": "participant", "guessed_arm": "low"},
            {"confidence": ["give the confidence of the guess"]},
        ),
        (
            "withdrawal",
            {"withdrawal_date": "1997-05-01", "reason": "other"},
            {"detail": ["describe the reason when it is 'other'"]},
        ),
    ],
)
def test_it_refuses_implausible_entries_of_the_shipped_forms(
    ident: str, data: dict[str, str], errors: dict[str, list[str]]
) -> None:
    with pytest.raises(FormError) as caught:
        validate_form(form(ident), data)
    assert caught.value.field_errors == errors
