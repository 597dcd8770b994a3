"""What a blinded response must never contain, searched for in every response of the sweep.

    arm label      the protocol's arm labels, and their dose phrases ('2.0 mg/kg', '0.2
                   mg/kg', 'active placebo'), after removing the study's own title (which
                   names the design, the same for everyone)
    arm id         'high' and 'low' are common words, so only where they can be data: a JSON
                   key or string value equal to an arm id, a CSV cell equal to one, and in
                   HTML a whole word (case-sensitive) in text or an attribute value; the
                   blinding-guess field (`guessed_arm`), whose choices are the arms' names for
                   every participant alike, is removed first
    sealed number  the mg and ml of every sealed preparation of the world (146.6 mg target,
                   147.5 mg delivered, 2.95 ml drug, 2.05 ml diluent for the full dose at
                   73.3 kg; 14.66, 14.5, 1.45, 3.55 for the low one) as whole numbers:
                   those of four digits or more anywhere, the shorter ones with their unit
    for raters     the labels and field names of the instruments that reveal the arm (HRS,
                   session vital signs, discharge) and the links to other people's blinding
                   guesses (not in the API's schema and documentation page, which are the
                   same for everyone)

`find(text, world, role)` returns one line per finding.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from psytrial.core.roles import Role
from psytrial.web.forms.catalog import entry_form
from tests.web.sweep.factory import World

GUESS_FIELD = "guessed_arm"
# Phrases of the arm labels that name a dose or the control, found in no other text.
DOSE_PHRASE = re.compile(r"\d+(?:\.\d+)?\s*mg/kg|active placebo", re.IGNORECASE)
# Other people's blinding guesses, as a rater could reach them.
OTHER_GUESSES = ("/as/participant/", "/as/therapist/", "variant=participant", "variant=therapist")
SHORT_OR_COMMON = {"time", "note", "confidence"}
# The API's schema and its documentation page: the same for everyone, and about operations
# (they name the session-safety operation's fields), not about any participant.
API_DOCUMENTATION = ("/api/openapi.json", "/api/docs")


def arm_labels(world: World) -> list[str]:
    labels = [a.label for a in world.protocol.arms]
    phrases = [m.group(0) for label in labels for m in DOSE_PHRASE.finditer(label)]
    return sorted({*labels, *phrases}, key=len, reverse=True)


def public_texts(world: World) -> list[str]:
    """Texts that name the design, shown to everyone alike: removed before searching."""
    study = world.study
    texts = [study.title, world.protocol.study.title, world.protocol.study.description]
    return sorted({t for t in texts if t}, key=len, reverse=True)


def sealed_numbers(world: World) -> list[str]:
    """The mg and ml figures of the world's sealed preparations, in the forms shown."""
    found: set[str] = set()
    for payload in world.sealed.values():
        for name in ("mg_target", "mg_delivered", "drug_ml", "diluent_ml"):
            value = Decimal(str(payload[name]))
            found |= {str(value), str(value.normalize()), f"{value:.2f}"}
    return sorted(found)


def _number_pattern(number: str) -> re.Pattern[str]:
    """A figure with four or more digits anywhere (146.6, 14.66); a shorter one (2.95, 14.5)
    only with its unit, since a statistic of a report may happen to read 1.45."""
    unit = "" if sum(c.isdigit() for c in number) >= 4 else r"\s*(?:mg|ml|mL)\b"
    return re.compile(rf"(?<![\d.]){re.escape(number)}(?![\d]){unit}")


def hidden_from_raters(world: World) -> list[str]:
    """Labels and field names of the arm-revealing instruments a rater must never see.

    The blinding guess reveals the arm too, but the rater's own guess is the rater's; the
    other guesses are caught by `OTHER_GUESSES`.
    """
    words: set[str] = set()
    for defn in world.protocol.instruments:
        if not defn.reveals_arm or defn.id == "blinding_guess":
            continue
        words |= {defn.id, defn.label}
        entry = entry_form(defn)
        for f in entry.form.fields:
            if f.id not in SHORT_OR_COMMON:
                words |= {f.id, f.label}
        words |= {s.title for s in entry.sections if s.title}
    return sorted(words, key=len, reverse=True)


@dataclass(frozen=True)
class Forbidden:
    public: list[str]
    labels: list[str]
    numbers: list[re.Pattern[str]]
    for_raters: list[re.Pattern[str]]


_FORBIDDEN: dict[int, tuple[World, Forbidden]] = {}


def forbidden(world: World) -> Forbidden:
    """What to search for in this world (computed once per world)."""
    cached = _FORBIDDEN.get(id(world))
    if cached is not None and cached[0] is world:
        return cached[1]
    found = Forbidden(
        public_texts(world),
        arm_labels(world),
        [_number_pattern(n) for n in sealed_numbers(world)],
        [
            re.compile(rf"(?<![A-Za-z0-9_]){re.escape(w)}(?![A-Za-z0-9_])")
            for w in hidden_from_raters(world)
        ],
    )
    _FORBIDDEN[id(world)] = (world, found)
    return found


def find(text: str, content_type: str, world: World, role: Role | None, url: str = "") -> list[str]:
    """Every leak in a response body (one line each); [] if it is clean.

    An instrument a rater named in the URL may be named in the answer (a refusal saying what
    was refused tells the rater nothing new)."""
    findings: list[str] = []
    words = forbidden(world)
    plain = html.unescape(text)
    for public in words.public:
        plain = plain.replace(public, "<study title>")
    for label in words.labels:
        if label in plain:
            findings.append(f"arm label {label!r}")
    findings += _arm_ids(text, content_type, world)
    for number in words.numbers:
        if number.search(plain):
            findings.append(f"sealed figure {number.pattern}")
    if role == Role.OUTCOME_RATER and not url.startswith(API_DOCUMENTATION):
        for word in words.for_raters:
            if word.search(plain) and not word.search(url):
                shown = word.pattern
                findings.append(f"arm-revealing instrument {shown!r} shown to the outcome rater")
        findings += [f"another's blinding guess ({g})" for g in OTHER_GUESSES if g in plain]
    return findings


def _arm_ids(text: str, content_type: str, world: World) -> list[str]:
    ids = [a.id for a in world.protocol.arms]
    if "json" in content_type:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if data is not None:
            return [f"arm id {v!r} at {where}" for where, v in _json_hits(data, set(ids), "$")]
    if "csv" in content_type or text.startswith("=== "):
        return [f"arm id {v!r} in a CSV cell ({where})" for where, v in _csv_hits(text, ids)]
    body = _without_guess_choices(text, world)
    return [f"arm id {a!r} as a word" for a in ids if re.search(rf"\b{re.escape(a)}\b", body)]


def _json_hits(data: Any, ids: set[str], where: str) -> list[tuple[str, str]]:
    hits: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == GUESS_FIELD:
                continue
            if key in ids:
                hits.append((f"{where} (key)", key))
            hits += _json_hits(value, ids, f"{where}.{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            hits += _json_hits(value, ids, f"{where}[{i}]")
    elif isinstance(data, str) and data in ids:
        hits.append((where, data))
    return hits


def _csv_hits(text: str, ids: list[str]) -> list[tuple[str, str]]:
    """Cells equal to an arm id; the guessed-arm column and the dictionary's row of that
    field are skipped (their values are everyone's choices, not the allocation)."""
    hits = []
    for name, section in _sections(text):
        rows = list(csv.reader(io.StringIO(section)))
        header = rows[0] if rows else []
        for n, row in enumerate(rows, 1):
            if GUESS_FIELD in row and n > 1:
                continue
            for column, cell in enumerate(row):
                skip = column < len(header) and header[column] == GUESS_FIELD
                if cell in ids and not skip:
                    hits.append((f"{name} line {n} column {column + 1}", cell))
    return hits


def _sections(text: str) -> list[tuple[str, str]]:
    """A zip's members as (name, text); a plain body as one section."""
    if not text.startswith("=== "):
        return [("body", text)]
    parts = re.split(r"^=== (.+?) ===\n", text, flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


GUESS_CHOICES = re.compile(
    r'<input[^>]*name="guessed_arm"[^>]*>|<select[^>]*name="guessed_arm".*?</select>', re.S
)


def _without_guess_choices(text: str, world: World) -> str:
    """The page without the blinding-guess field: its inputs, and the table row or fieldset
    that shows a saved guess (by the field's id or label)."""
    text = GUESS_CHOICES.sub("", text)
    names = [GUESS_FIELD, *_guess_labels(world)]
    for block in ("tr", "fieldset", "li"):
        text = re.sub(
            rf"<{block}\b(?:(?!</{block}>).)*?(?:{'|'.join(map(re.escape, names))})"
            rf"(?:(?!</{block}>).)*</{block}>",
            "",
            text,
            flags=re.S,
        )
    return text


def _guess_labels(world: World) -> list[str]:
    defn = next((d for d in world.protocol.instruments if d.id == "blinding_guess"), None)
    if defn is None:
        return []
    return [f.label for f in entry_form(defn).form.fields if f.id == GUESS_FIELD]
