"""Validation of instrument definitions: the errors a protocol author sees when loading."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from psytrial.core.instruments import (
    ColourTestInstrument,
    FormInstrument,
    HrsInstrument,
    parse_instrument,
    parse_instruments,
)


def fails(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_instrument(data)
    messages = [err["msg"] for err in caught.value.errors()]
    assert any(message in m for m in messages), messages
    # One mistake, one error: no noise from other union branches or length checks.
    assert len(messages) == 1, messages


def form(fields: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": "f", "kind": "form", "label": "F", "fields": fields, "rules": rules or []}


INT = {"id": "a", "label": "A", "type": "integer"}
NUM = {"id": "n", "label": "N", "type": "number"}
TEXT = {"id": "t", "label": "T", "type": "text"}
DATE = {"id": "d", "label": "D", "type": "date"}
MULTI = {"id": "m", "label": "M", "type": "multichoice", "choices": [{"value": "x", "label": "X"}]}
CHOICE = {"id": "c", "label": "C", "type": "choice", "choices": [{"value": "x", "label": "X"}]}


def rule(**parts: Any) -> dict[str, Any]:
    return {"id": "r", "message": "m", **parts}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form([INT, {**TEXT, "id": "a"}]), "duplicate field id 'a'"),
        (form([{**INT, "min": 10, "max": 5}]), "field 'a': min 10 is greater than max 5"),
        (
            form([{**DATE, "min": "2002-01-02", "max": "2002-01-01"}]),
            "field 'd': min 2002-01-02 is greater than max 2002-01-01",
        ),
        (form([{**INT, "min": 1.5}]), "min: expected a whole number, got 1.5"),
        (form([{**DATE, "max": "tomorrow"}]), "max: expected a date (YYYY-MM-DD), got 'tomorrow'"),
        (
            form([{**TEXT, "max": 10}]),
            "max applies only to integer, number, date, datetime and time",
        ),
        (form([{**CHOICE, "choices": []}]), "field 'c': a choice field needs at least one choice"),
        (form([{**MULTI, "choices": []}]), "a multichoice field needs at least one choice"),
        (
            form([{**TEXT, "choices": [{"value": "x", "label": "X"}]}]),
            "choices apply only to choice",
        ),
        (
            form(
                [
                    {
                        **CHOICE,
                        "choices": [{"value": "x", "label": "X"}, {"value": "x", "label": "Y"}],
                    }
                ]
            ),
            "duplicate choice value 'x'",
        ),
        (form([{**CHOICE, "choices": [{"value": "a b", "label": "X"}]}]), "should match pattern"),
        (form([]), "expected at least one field, got none"),
        (form([{**INT, "type": "float"}]), "Input should be 'integer', 'number'"),
        (form([{**INT, "type": "float", "min": 1}]), "Input should be 'integer', 'number'"),
        (form([{**INT, "colour": "red"}]), "Extra inputs are not permitted"),
        (
            form([INT], [rule(left="b", op="<", right=1)]),
            "rule 'r': unknown field 'b'; known fields: a",
        ),
        (
            form([INT], [rule(left="a", op="<", right={"field": "zz"})]),
            "rule 'r': unknown field 'zz'",
        ),
        (
            form([INT], [rule(left="a", op="present", when={"left": "q", "op": "present"})]),
            "rule 'r' (when): unknown field 'q'",
        ),
        (
            form([INT], [rule(left="a", op="<", right=1), rule(left="a", op=">", right=0)]),
            "duplicate rule id 'r'",
        ),
        (form([TEXT], [rule(left="t", op="<", right="b")]), "'<' needs an integer, number, date"),
        (
            form([INT, TEXT], [rule(left="a", op="==", right={"field": "t"})]),
            "cannot compare integer field 'a' with text field 't'",
        ),
        (
            form([INT, DATE], [rule(left="d", op=">", right={"field": "a"})]),
            "cannot compare date field 'd' with integer field 'a'",
        ),
        (
            form([INT], [rule(left="a", op="<", right="ten")]),
            "rule 'r': field 'a' is compared with 'ten'; expected a number",
        ),
        (
            form([CHOICE], [rule(left="c", op="==", right="y")]),
            "field 'c' is compared with 'y'; expected one of: x",
        ),
        (
            form([DATE], [rule(left="d", op="in", right=["2002-01-01", "soon"])]),
            "field 'd' is compared with 'soon'",
        ),
        (form([INT], [rule(left="a", op="contains", right=1)]), "'contains' works on multichoice"),
        (form([MULTI], [rule(left="m", op="==", right="x")]), "'m' is multichoice"),
        (form([MULTI], [rule(left="m", op="contains", right="y")]), "expected one of: x"),
        (
            form([MULTI], [rule(left="m", op="contains", right={"field": "m"})]),
            "'contains' needs a literal choice value",
        ),
        (
            form([INT], [rule(left="a", op="present", right=1)]),
            "'present' takes no right-hand side",
        ),
        (form([INT], [rule(left="a", op="in", right=1)]), "'in' needs a non-empty list"),
        (form([INT], [rule(left="a", op="not_in", right=[])]), "'not_in' needs a non-empty list"),
        (form([INT], [rule(left="a", op="<")]), "'<' needs a single value or {field: ...}"),
        (form([INT], [rule(left="a", op="<", right=[1, 2])]), "'<' needs a single value"),
        (form([INT], [rule(left="a", op="=~", right=1)]), "Input should be '<', '<=', '>'"),
        (
            form([INT], [rule(left="a", op="<", right=1, code="x")]),
            "Extra inputs are not permitted",
        ),
    ],
)
def test_it_refuses_inconsistent_form_definitions(data: dict[str, Any], message: str) -> None:
    fails(data, message)


def questionnaire(**extra: Any) -> dict[str, Any]:
    items = [
        {"id": "a", "label": "A", "min": 0, "max": 4},
        {"id": "b", "label": "B", "min": 0, "max": 4},
    ]
    return {
        "id": "q",
        "kind": "questionnaire",
        "label": "Q",
        "score": "sum",
        "items": items,
    } | extra


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            questionnaire(items=[{"id": "a", "label": "A", "min": 0, "max": 4}] * 2),
            "duplicate item id 'a'",
        ),
        (
            questionnaire(items=[{"id": "a", "label": "A", "min": 4, "max": 4}]),
            "item 'a': min 4 must be below max 4",
        ),
        (questionnaire(items=[]), "expected at least one item, got none"),
        (questionnaire(max_missing=2), "max_missing must be below the number of items (2), got 2"),
        (questionnaire(max_missing=-1), "greater than or equal to 0"),
        (questionnaire(subscales={"s": ["a", "z"]}), "subscale 's': unknown item 'z'"),
        (questionnaire(subscales={"s": []}), "subscale 's': needs at least one item"),
        (questionnaire(subscales={"s": ["a", "a"]}), "subscale 's': item 'a' listed twice"),
        (questionnaire(score="median"), "Input should be 'sum' or 'mean'"),
        (
            {
                "id": "v",
                "kind": "vas",
                "label": "V",
                "min_label": "a",
                "max_label": "b",
                "min": 100,
                "max": 0,
            },
            "min 100 must be below max 0",
        ),
        ({"id": "v", "kind": "vas", "label": "V", "min_label": "a"}, "Field required"),
        (
            {"id": "c", "kind": "colour_test", "label": "C", "concepts": ["me", "me"]},
            "duplicate concept 'me'",
        ),
        (
            {
                "id": "c",
                "kind": "colour_test",
                "label": "C",
                "concepts": ["me"],
                "colours": ["red"],
            },
            "expected at least 2 colours, got 1",
        ),
        (
            {
                "id": "c",
                "kind": "colour_test",
                "label": "C",
                "concepts": ["me"],
                "colours": ["red", "red"],
            },
            "duplicate colour 'red'",
        ),
        (
            {"id": "c", "kind": "colour_test", "label": "C", "concepts": []},
            "expected at least one concept, got none",
        ),
        (
            {"id": "h", "kind": "hrs", "label": "H", "max_missing_per_cluster": -1},
            "max_missing_per_cluster: expected a whole number of at least 0, got -1",
        ),
        ({"id": "h", "kind": "hrs", "label": "H", "max_missing_per_cluster": True}, "got True"),
        (
            {"id": "h", "kind": "hrs", "label": "H", "max_missing_per_cluster": {"mood": 1}},
            "max_missing_per_cluster: unknown cluster 'mood'; expected one of: somaesthesia",
        ),
        (
            {"id": "h", "kind": "hrs", "label": "H", "max_missing_per_cluster": {"affect": 1.5}},
            "max_missing_per_cluster.affect: expected a whole number of at least 0, got 1.5",
        ),
        (
            {"id": "h", "kind": "hrs", "label": "H", "item_bank": "licensed"},
            "item_bank: expected 'builtin' or cluster -> item ids, got 'licensed'",
        ),
        (
            {"id": "h", "kind": "hrs", "label": "H", "item_bank": {"affect": ["a1"]}},
            "item_bank: every cluster needs at least one item; none for: somaesthesia, perception",
        ),
        (
            {"id": "h", "kind": "hrs", "label": "H", "item_bank": {"mood": ["a1"]}},
            "item_bank: unknown cluster 'mood'",
        ),
        (
            {
                "id": "h",
                "kind": "hrs",
                "label": "H",
                "item_bank": {
                    **{
                        c: [c[:2]]
                        for c in ("somaesthesia", "affect", "perception", "cognition", "volition")
                    },
                    "intensity": "i1",
                },
            },
            "item_bank.intensity: expected a list of item ids, got 'i1'",
        ),
        (
            {
                "id": "h",
                "kind": "hrs",
                "label": "H",
                "item_bank": {
                    **{
                        c: [c[:2]]
                        for c in ("somaesthesia", "affect", "perception", "cognition", "volition")
                    },
                    "intensity": ["I 1"],
                },
            },
            "item_bank.intensity: expected snake_case item ids, got 'I 1'",
        ),
        (
            {
                "id": "h",
                "kind": "hrs",
                "label": "H",
                "item_bank": {
                    **{
                        c: ["x1"]
                        for c in ("somaesthesia", "affect", "perception", "cognition", "volition")
                    },
                    "intensity": ["i1"],
                },
            },
            "item_bank: duplicate item id 'x1'",
        ),
        ({"id": "x", "kind": "mystery", "label": "X"}, "does not match any of the expected tags"),
        ({"id": "Bad Id", "kind": "hrs", "label": "X"}, "should match pattern '^[a-z][a-z0-9_]*$'"),
        ({"id": "x", "kind": "hrs", "label": ""}, "at least 1 character"),
        (
            {"id": "x", "kind": "hrs", "label": "X", "scoring": "sum"},
            "Extra inputs are not permitted",
        ),
    ],
)
def test_it_refuses_inconsistent_scored_instruments(data: dict[str, Any], message: str) -> None:
    fails(data, message)


def test_it_locates_errors_inside_the_definition() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_instrument(form([INT, {**INT, "id": "b", "min": 3, "max": 1}]))
    assert caught.value.errors()[0]["loc"] == ("form", "fields", 1)


def test_it_parses_each_kind_with_its_defaults() -> None:
    hrs = parse_instrument({"id": "hrs", "kind": "hrs", "label": "HRS"})
    assert isinstance(hrs, HrsInstrument)
    assert (hrs.reveals_arm, hrs.max_missing_per_cluster, hrs.item_bank) == (True, 1, "builtin")
    assert hrs.description == ""
    cta = parse_instrument({"id": "c", "kind": "colour_test", "label": "C", "concepts": ["me"]})
    assert isinstance(cta, ColourTestInstrument)
    assert cta.colours == ("grey", "blue", "green", "red", "yellow", "violet", "brown", "black")
    assert cta.reveals_arm is False
    defn = parse_instrument(form([INT], [rule(left="a", op="<", right=1)]))
    assert isinstance(defn, FormInstrument)
    assert defn.repeating is False
    assert defn.field("a").required is True
    with pytest.raises(KeyError):
        defn.field("zz")


def test_it_freezes_definitions() -> None:
    defn = parse_instrument({"id": "hrs", "kind": "hrs", "label": "HRS"})
    with pytest.raises(ValidationError, match="frozen"):
        defn.label = "other"


def test_it_refuses_duplicate_instrument_ids_in_a_list() -> None:
    one = {"id": "x", "kind": "hrs", "label": "HRS"}
    with pytest.raises(ValueError, match="duplicate instrument id 'x'"):
        parse_instruments([one, one])
    assert len(parse_instruments([one, {**one, "id": "y"}])) == 2
