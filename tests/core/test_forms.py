"""Form validation: typed conversion of web strings and JSON values, all errors at once, rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from psytrial.core.errors import FormError
from psytrial.core.instruments import FormInstrument, parse_instrument, validate_form


def form(fields: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None) -> FormInstrument:
    defn = parse_instrument(
        {"id": "f", "kind": "form", "label": "F", "fields": fields, "rules": rules or []}
    )
    assert isinstance(defn, FormInstrument)
    return defn


def one(ftype: str, **extra: Any) -> FormInstrument:
    return form([{"id": "x", "label": "X", "type": ftype, **extra}])


def errors_of(defn: FormInstrument, data: dict[str, object]) -> dict[str, list[str]]:
    with pytest.raises(FormError) as caught:
        validate_form(defn, data)
    return caught.value.field_errors


YESNO = [{"value": "yes_", "label": "Yes"}]
ARMS = [{"value": v, "label": v} for v in ("high", "low", "dont_know")]


@pytest.mark.parametrize(
    ("ftype", "extra", "raw", "expected"),
    [
        ("integer", {}, " 72 ", 72),
        ("integer", {}, 72, 72),
        ("integer", {}, 72.0, 72),
        ("integer", {}, "-3", -3),
        ("number", {}, "72.5", 72.5),
        ("number", {}, 72, 72.0),
        ("number", {}, ".5", 0.5),
        ("number", {}, "1e2", 100.0),
        ("text", {}, "  headache ", "headache"),
        ("date", {}, "2002-03-04", date(2002, 3, 4)),
        ("date", {}, date(2002, 3, 4), date(2002, 3, 4)),
        ("datetime", {}, "2002-03-04T08:30", datetime(2002, 3, 4, 8, 30)),
        ("datetime", {}, "2002-03-04 08:30:15", datetime(2002, 3, 4, 8, 30, 15)),
        ("datetime", {}, "2002-03-04T08:30Z", datetime(2002, 3, 4, 8, 30, tzinfo=UTC)),
        ("datetime", {}, datetime(2002, 3, 4, 8), datetime(2002, 3, 4, 8)),
        ("time", {}, "08:30", time(8, 30)),
        ("time", {}, "8:30:15", time(8, 30, 15)),
        ("time", {}, time(23, 59), time(23, 59)),
        ("choice", {"choices": ARMS}, "low", "low"),
        ("multichoice", {"choices": ARMS}, ["dont_know", "high"], ("high", "dont_know")),
        ("multichoice", {"choices": ARMS}, "low", ("low",)),
        ("boolean", {}, "yes", True),
        ("boolean", {}, "On", True),
        ("boolean", {}, "1", True),
        ("boolean", {}, "false", False),
        ("boolean", {}, "no", False),
        ("boolean", {}, False, False),
    ],
)
def test_it_converts_each_type(
    ftype: str, extra: dict[str, Any], raw: object, expected: object
) -> None:
    cleaned = validate_form(one(ftype, **extra), {"x": raw})
    assert cleaned["x"] == expected
    assert type(cleaned["x"]) is type(expected)
    assert cleaned.instrument_id == "f"


@pytest.mark.parametrize(
    ("ftype", "extra", "raw", "message"),
    [
        (
            "integer",
            {"min": 40, "max": 260},
            "300",
            "expected a whole number between 40 and 260, got 300",
        ),
        (
            "integer",
            {"min": 40, "max": 260},
            "72.5",
            "expected a whole number between 40 and 260, got 72.5",
        ),
        ("integer", {}, True, "expected a whole number, got true"),
        ("integer", {}, "1_000", "expected a whole number, got '1_000'"),
        ("integer", {"min": 0}, "-1", "expected a whole number of at least 0, got -1"),
        ("number", {"max": 150}, "150.5", "expected a number of at most 150, got 150.5"),
        ("number", {}, "nan", "expected a number, got 'nan'"),
        ("number", {}, True, "expected a number, got true"),
        ("integer", {"max": 260}, 300.0, "expected a whole number of at most 260, got 300"),
        ("choice", {"choices": ARMS}, "x" * 100, "got '" + "x" * 56 + "..."),
        ("number", {}, float("inf"), "expected a number, got inf"),
        ("number", {}, "72,5", "expected a number, got '72,5'"),
        ("text", {}, 5, "expected text, got 5"),
        ("date", {}, "04/03/2002", "expected a date (YYYY-MM-DD), got '04/03/2002'"),
        ("date", {}, "2002-02-30", "expected a date (YYYY-MM-DD), got '2002-02-30'"),
        (
            "date",
            {},
            datetime(2002, 3, 4, 8),
            "expected a date (YYYY-MM-DD), got 2002-03-04T08:00:00",
        ),
        (
            "date",
            {"min": "2000-01-01"},
            "1999-12-31",
            "expected a date (YYYY-MM-DD) not before 2000-01-01, got '1999-12-31'",
        ),
        ("date", {"max": "2000-01-01"}, "2000-01-02", "not after 2000-01-01"),
        (
            "date",
            {"min": "2000-01-01", "max": "2000-12-31"},
            "2001-01-01",
            "between 2000-01-01 and 2000-12-31",
        ),
        (
            "datetime",
            {},
            "2002-03-04",
            "expected a date and time (YYYY-MM-DDTHH:MM), got '2002-03-04'",
        ),
        ("datetime", {}, "2002-03-04T25:00", "got '2002-03-04T25:00'"),
        (
            "datetime",
            {"min": "2002-01-01T00:00"},
            "2002-03-04T08:30+03:00",
            "not before 2002-01-01T00:00",
        ),
        ("time", {}, "8.30", "expected a time (HH:MM), got 8.30"),
        ("time", {}, "24:00", "expected a time (HH:MM), got '24:00'"),
        (
            "time",
            {"min": "06:00"},
            "05:59",
            "expected a time (HH:MM) not before 06:00, got '05:59'",
        ),
        (
            "choice",
            {"choices": ARMS},
            "medium",
            "expected one of: high, low, dont_know, got 'medium'",
        ),
        ("choice", {"choices": ARMS}, 1, "expected one of: high, low, dont_know, got 1"),
        ("multichoice", {"choices": ARMS}, ["high", "high"], "(each choice at most once)"),
        (
            "multichoice",
            {"choices": ARMS},
            ["high", "x"],
            "expected one or more of: high, low, dont_know, got",
        ),
        ("multichoice", {"choices": ARMS}, 7, "expected one or more of"),
        ("boolean", {}, "maybe", "expected yes or no, got 'maybe'"),
        ("boolean", {}, 1, "expected yes or no, got 1"),
    ],
)
def test_it_explains_each_invalid_value(
    ftype: str, extra: dict[str, Any], raw: object, message: str
) -> None:
    assert message in errors_of(one(ftype, **extra), {"x": raw})["x"][0]


@pytest.mark.parametrize("nothing", [None, "", "   ", [], float("nan")])
def test_it_treats_blank_input_as_nothing_entered(nothing: object) -> None:
    assert errors_of(one("number", min=40, max=150), {"x": nothing}) == {
        "x": ["required: expected a number between 40 and 150, got nothing"]
    }
    assert validate_form(one("number", required=False), {"x": nothing})["x"] is None


def test_it_lists_every_error_at_once() -> None:
    defn = form(
        [
            {"id": "time", "label": "Time", "type": "time"},
            {"id": "systolic_bp", "label": "SBP", "type": "integer", "min": 40, "max": 260},
            {"id": "diastolic_bp", "label": "DBP", "type": "integer", "min": 30, "max": 160},
            {"id": "note", "label": "Note", "type": "text", "required": False},
        ],
        [
            {
                "id": "dbp_below_sbp",
                "left": "diastolic_bp",
                "op": "<",
                "right": {"field": "systolic_bp"},
                "message": "diastolic must be below systolic",
            }
        ],
    )
    got = errors_of(defn, {"systolic_bp": "300", "diastolic_bp": "abc", "csrf": "x", "pulse": 3})
    assert got == {
        "time": ["required: expected a time (HH:MM), got nothing"],
        "systolic_bp": ["expected a whole number between 40 and 260, got 300"],
        "diastolic_bp": ["expected a whole number between 30 and 160, got 'abc'"],
        "csrf": ["unknown field; expected one of: time, systolic_bp, diastolic_bp, note"],
        "pulse": ["unknown field; expected one of: time, systolic_bp, diastolic_bp, note"],
    }
    # A failed field switches off the rules that read it: no knock-on error under __all__.
    assert "__all__" not in got


def test_it_gives_the_first_error_as_the_one_line_message() -> None:
    with pytest.raises(FormError, match=r"^x: expected a whole number, got 'a'$"):
        validate_form(one("integer"), {"x": "a"})


def test_it_returns_every_defined_field_typed() -> None:
    defn = form(
        [
            {"id": "a", "label": "A", "type": "integer"},
            {"id": "b", "label": "B", "type": "text", "required": False},
        ]
    )
    cleaned = validate_form(defn, {"a": "5"})
    assert cleaned.as_dict() == {"a": 5, "b": None}
    with pytest.raises(TypeError):
        cleaned.values["a"] = 6  # type: ignore[index]


VITALS = [
    {"id": "sbp", "label": "SBP", "type": "integer", "required": False},
    {"id": "dbp", "label": "DBP", "type": "integer", "required": False},
]


def test_it_reports_a_broken_two_field_rule_under_all() -> None:
    defn = form(
        VITALS,
        [
            {
                "id": "r",
                "left": "dbp",
                "op": "<",
                "right": {"field": "sbp"},
                "message": "diastolic must be below systolic",
            }
        ],
    )
    assert errors_of(defn, {"sbp": "120", "dbp": "120"}) == {
        "__all__": ["diastolic must be below systolic"]
    }
    assert validate_form(defn, {"sbp": "120", "dbp": "119"})["dbp"] == 119
    # A missing operand leaves the rule undecided: it does not fail.
    assert validate_form(defn, {"sbp": "120"})["dbp"] is None


@pytest.mark.parametrize(
    ("op", "right", "value", "passes"),
    [
        ("<", 100, "99", True),
        ("<", 100, "100", False),
        ("<=", 100, "100", True),
        ("<=", 100, "101", False),
        (">", 100, "101", True),
        (">", 100, "100", False),
        (">=", 100.5, "100", False),
        (">=", 99.5, "100", True),
        ("==", 100, "100", True),
        ("==", 100, "101", False),
        ("!=", 100, "101", True),
        ("!=", 100, "100", False),
        ("in", [1, 2, 3], "2", True),
        ("in", [1, 2, 3], "4", False),
        ("not_in", [1, 2, 3], "4", True),
        ("not_in", [1, 2, 3], "2", False),
    ],
)
def test_it_applies_each_comparison_operator(
    op: str, right: object, value: str, passes: bool
) -> None:
    defn = form(VITALS, [{"id": "r", "left": "sbp", "op": op, "right": right, "message": "no"}])
    if passes:
        validate_form(defn, {"sbp": value})
    else:
        assert errors_of(defn, {"sbp": value}) == {"sbp": ["no"]}


FOLLOW_UP = [
    {"id": "used", "label": "Used", "type": "boolean"},
    {"id": "first_use", "label": "First use", "type": "date", "required": False},
    {"id": "visit", "label": "Visit", "type": "date", "required": False},
]
FOLLOW_UP_RULES = [
    {
        "id": "date_if_used",
        "left": "first_use",
        "op": "present",
        "message": "give the date",
        "when": {"left": "used", "op": "==", "right": True},
    },
    {
        "id": "no_date_if_not",
        "left": "first_use",
        "op": "absent",
        "message": "leave it empty",
        "when": {"left": "used", "op": "==", "right": False},
    },
    {
        "id": "before_visit",
        "left": "first_use",
        "op": "<=",
        "right": {"field": "visit"},
        "message": "first use cannot be after the visit",
    },
]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"used": "yes"}, {"first_use": ["give the date"]}),
        ({"used": "yes", "first_use": "2002-01-05"}, {}),
        ({"used": "no"}, {}),
        ({"used": "no", "first_use": "2002-01-05"}, {"first_use": ["leave it empty"]}),
        (
            {"used": "yes", "first_use": "2002-01-05", "visit": "2002-01-04"},
            {"__all__": ["first use cannot be after the visit"]},
        ),
        ({"used": "yes", "first_use": "2002-01-05", "visit": "2002-01-05"}, {}),
        # The condition's field failed: its rules are not run, only the field's own error.
        ({"used": "perhaps"}, {"used": ["expected yes or no, got 'perhaps'"]}),
    ],
)
def test_it_checks_rules_only_when_their_condition_holds(
    data: dict[str, object], errors: dict[str, list[str]]
) -> None:
    defn = form(FOLLOW_UP, FOLLOW_UP_RULES)
    if errors:
        assert errors_of(defn, data) == errors
    else:
        validate_form(defn, data)


def test_it_treats_an_undecided_condition_as_not_met() -> None:
    defn = form(
        [
            {"id": "a", "label": "A", "type": "integer", "required": False},
            {"id": "b", "label": "B", "type": "integer", "required": False},
        ],
        [
            {
                "id": "r",
                "left": "b",
                "op": "present",
                "message": "need b",
                "when": {"left": "a", "op": ">", "right": 5},
            }
        ],
    )
    validate_form(defn, {})  # a missing: condition undecided, rule skipped
    validate_form(defn, {"a": "5"})
    assert errors_of(defn, {"a": "6"}) == {"b": ["need b"]}


def test_it_checks_choices_in_lists_and_multichoice_contents() -> None:
    defn = form(
        [
            {"id": "guess", "label": "Guess", "type": "choice", "choices": ARMS},
            {
                "id": "confidence",
                "label": "Conf",
                "type": "integer",
                "min": 0,
                "max": 100,
                "required": False,
            },
            {
                "id": "symptoms",
                "label": "S",
                "type": "multichoice",
                "required": False,
                "choices": [{"value": "nausea", "label": "N"}, {"value": "other", "label": "O"}],
            },
            {"id": "other_text", "label": "Other", "type": "text", "required": False},
        ],
        [
            {
                "id": "conf",
                "left": "confidence",
                "op": "present",
                "message": "give confidence",
                "when": {"left": "guess", "op": "in", "right": ["high", "low"]},
            },
            {
                "id": "oth",
                "left": "other_text",
                "op": "present",
                "message": "describe other",
                "when": {"left": "symptoms", "op": "contains", "right": "other"},
            },
        ],
    )
    assert errors_of(defn, {"guess": "high", "symptoms": ["other", "nausea"]}) == {
        "confidence": ["give confidence"],
        "other_text": ["describe other"],
    }
    cleaned = validate_form(defn, {"guess": "dont_know", "symptoms": ["nausea"]})
    assert cleaned["symptoms"] == ("nausea",)


def test_it_compares_integer_and_number_fields_and_literals() -> None:
    defn = form(
        [
            {"id": "age", "label": "Age", "type": "integer"},
            {"id": "years", "label": "Years", "type": "number"},
        ],
        [
            {
                "id": "r",
                "left": "years",
                "op": "<=",
                "right": {"field": "age"},
                "message": "too long",
            },
            {"id": "t", "left": "age", "op": ">=", "right": 17.5, "message": "adults only"},
        ],
    )
    validate_form(defn, {"age": "30", "years": "30.0"})
    assert errors_of(defn, {"age": "17", "years": "30.5"}) == {
        "age": ["adults only"],
        "__all__": ["too long"],
    }


def test_it_refuses_to_order_aware_and_naive_datetimes() -> None:
    defn = form(
        [
            {"id": "start", "label": "S", "type": "datetime"},
            {"id": "end", "label": "E", "type": "datetime"},
        ],
        [
            {
                "id": "order",
                "left": "end",
                "op": ">=",
                "right": {"field": "start"},
                "message": "end first",
            }
        ],
    )
    validate_form(defn, {"start": "2002-01-01T08:00Z", "end": "2002-01-01T09:00+01:00"})
    assert errors_of(defn, {"start": "2002-01-01T08:00Z", "end": "2002-01-01T09:00+03:00"}) == {
        "__all__": ["end first"]
    }
    assert errors_of(defn, {"start": "2002-01-01T08:00", "end": "2002-01-01T09:00Z"}) == {
        "__all__": ["rule 'order': cannot compare a date and time with a time zone to one without"]
    }


def test_it_compares_time_and_boolean_literals() -> None:
    defn = form(
        [
            {"id": "t", "label": "T", "type": "time"},
            {"id": "fasting", "label": "F", "type": "boolean"},
        ],
        [
            {
                "id": "morning",
                "left": "t",
                "op": "<",
                "right": "12:00",
                "message": "morning only",
                "when": {"left": "fasting", "op": "!=", "right": False},
            }
        ],
    )
    validate_form(defn, {"t": "13:00", "fasting": "no"})
    assert errors_of(defn, {"t": "13:00", "fasting": "yes"}) == {"t": ["morning only"]}
