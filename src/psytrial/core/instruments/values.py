"""Typed field values: parsing raw input (web-form strings or JSON values) and describing types.

Both the form validator and the definition validator (for `min`, `max` and rule literals) use
these parsers, so a bound in a protocol file is read exactly like a value typed into a form.
A parser raises `InvalidValue` carrying what was got; the caller words the one-line message
from `describe`, so every message says what was expected and what was got.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import Literal

FieldType = Literal[
    "integer", "number", "text", "date", "datetime", "time", "choice", "multichoice", "boolean"
]
FIELD_TYPES: tuple[FieldType, ...] = (
    "integer",
    "number",
    "text",
    "date",
    "datetime",
    "time",
    "choice",
    "multichoice",
    "boolean",
)
ORDERED_TYPES: frozenset[str] = frozenset({"integer", "number", "date", "datetime", "time"})
NUMERIC_TYPES: frozenset[str] = frozenset({"integer", "number"})
CHOICE_TYPES: frozenset[str] = frozenset({"choice", "multichoice"})

Scalar = int | float | str | bool | date | datetime | time
FieldValue = Scalar | tuple[str, ...] | None
Bound = int | float | date | datetime | time

_INT_RE = re.compile(r"[+-]?\d+")
_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class InvalidValue(Exception):
    """A raw value that does not parse as the field's type; `got` is the raw value shown."""

    def __init__(self, got: object, detail: str = "") -> None:
        super().__init__(show(got))
        self.got = got
        self.detail = detail


def show(raw: object) -> str:
    """A raw value as shown in a one-line message: numbers plain, other strings quoted."""
    if isinstance(raw, str):
        text = raw.strip()
        if _NUMBER_RE.fullmatch(text):
            return text
        shown = repr(text)
    elif isinstance(raw, bool):
        shown = "true" if raw else "false"
    elif isinstance(raw, float) and raw.is_integer():
        shown = str(int(raw))
    elif isinstance(raw, datetime | date | time):
        shown = raw.isoformat()
    else:
        shown = repr(raw) if isinstance(raw, list | tuple) else str(raw)
    shown = shown.replace("\n", " ")
    return shown if len(shown) <= 60 else shown[:57] + "..."


def is_missing(raw: object) -> bool:
    """True for what a form sends when nothing was entered: absent, None, blank, empty list."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return raw.strip() == ""
    if isinstance(raw, float):
        return math.isnan(raw)
    return isinstance(raw, list | tuple) and len(raw) == 0


def parse_integer(raw: object) -> int:
    if isinstance(raw, bool):
        raise InvalidValue(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and _INT_RE.fullmatch(raw.strip()):
        return int(raw.strip())
    raise InvalidValue(raw)


def parse_number(raw: object) -> float:
    if isinstance(raw, bool):
        raise InvalidValue(raw)
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and _NUMBER_RE.fullmatch(raw.strip()):
        value = float(raw.strip())
    else:
        raise InvalidValue(raw)
    if not math.isfinite(value):
        raise InvalidValue(raw)
    return value


def parse_text(raw: object) -> str:
    if not isinstance(raw, str):
        raise InvalidValue(raw)
    return raw.strip()


def parse_date(raw: object) -> date:
    if isinstance(raw, datetime):
        raise InvalidValue(raw)
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and _DATE_RE.fullmatch(raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            raise InvalidValue(raw) from None
    raise InvalidValue(raw)


def parse_datetime(raw: object) -> datetime:
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, str) and _DATETIME_RE.fullmatch(raw.strip()):
        try:
            return datetime.fromisoformat(raw.strip())
        except ValueError:
            raise InvalidValue(raw) from None
    raise InvalidValue(raw)


def parse_time(raw: object) -> time:
    if isinstance(raw, time):
        return raw
    match = _TIME_RE.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise InvalidValue(raw)
    hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        return time(hour, minute, second)
    except ValueError:
        raise InvalidValue(raw) from None


def parse_boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise InvalidValue(raw)


def parse_choice(raw: object, choices: Sequence[str]) -> str:
    if isinstance(raw, str) and raw.strip() in choices:
        return raw.strip()
    raise InvalidValue(raw)


def parse_multichoice(raw: object, choices: Sequence[str]) -> tuple[str, ...]:
    """Selections in the order the definition lists its choices; duplicates are refused."""
    picked = [raw] if isinstance(raw, str) else raw
    if not isinstance(picked, list | tuple):
        raise InvalidValue(raw)
    cleaned = [parse_choice(one, choices) for one in picked]
    if len(set(cleaned)) != len(cleaned):
        raise InvalidValue(raw, "each choice at most once")
    return tuple(choice for choice in choices if choice in cleaned)


_SIMPLE_PARSERS: dict[str, Callable[[object], Scalar]] = {
    "integer": parse_integer,
    "number": parse_number,
    "text": parse_text,
    "date": parse_date,
    "datetime": parse_datetime,
    "time": parse_time,
    "boolean": parse_boolean,
}


def parse_value(ftype: str, raw: object, choices: Sequence[str] = ()) -> FieldValue:
    """Parse one non-missing raw value as `ftype`; raises InvalidValue."""
    if ftype == "choice":
        return parse_choice(raw, choices)
    if ftype == "multichoice":
        return parse_multichoice(raw, choices)
    return _SIMPLE_PARSERS[ftype](raw)


def show_bound(value: Bound) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | time) and value.second == value.microsecond == 0:
        return value.isoformat(timespec="minutes")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


_NOUNS: dict[str, str] = {
    "integer": "a whole number",
    "number": "a number",
    "text": "text",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "a date and time (YYYY-MM-DDTHH:MM)",
    "time": "a time (HH:MM)",
    "boolean": "yes or no",
}


def describe(
    ftype: str, low: Bound | None = None, high: Bound | None = None, choices: Sequence[str] = ()
) -> str:
    """What a field expects, worded for messages: 'a whole number between 40 and 260'."""
    if ftype == "choice":
        return "one of: " + ", ".join(choices)
    if ftype == "multichoice":
        return "one or more of: " + ", ".join(choices)
    noun = _NOUNS[ftype]
    numeric = ftype in NUMERIC_TYPES
    if low is not None and high is not None:
        return f"{noun} between {show_bound(low)} and {show_bound(high)}"
    if low is not None:
        return f"{noun} {'of at least' if numeric else 'not before'} {show_bound(low)}"
    if high is not None:
        return f"{noun} {'of at most' if numeric else 'not after'} {show_bound(high)}"
    return noun


def orderable(a: FieldValue, b: FieldValue) -> bool:
    """Whether two parsed values can be compared with < and >."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return (a.tzinfo is None) == (b.tzinfo is None)
    return True
