"""Responses made comparable: what may differ between two requests that must answer alike.

    observe(response)            -> Observation (status, headers that matter, body as text;
                                    a zip becomes its members' texts, in name order)
    mirror_normal(text, world)   for two worlds that differ only in the allocation: CSRF
                                 tokens, sealed tokens and the list's commitment go
    pair_normal(text, world, p)  for the two participants of a pair in one world: also their
                                 codes, kit codes and database ids go

Nothing else is normalized: dates, counts, lengths and order must match exactly.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from django.http import HttpResponse

from psytrial.web.trial.models import Participant
from tests.web.sweep.factory import World

CSRF = [
    re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+'),
    re.compile(r'("X-CSRFToken": ")[^"]+'),
    re.compile(r"(csrftoken=)[^;\s]+"),
]
SEALED = re.compile(r"gAAAAA[A-Za-z0-9_\-=]{20,}")
PATH_ID = re.compile(r"(?<=/)\d+(?=/|\.|\?|\"|'|$)")
JSON_ID = re.compile(
    r'"(id|pk|grant|record|query|participant_id|record_id|query_id|preparation_id|grant_id)"'
    r":\s*\d+"
)


@dataclass(frozen=True)
class Observation:
    status: int
    content_type: str
    disposition: str
    location: str
    body: str

    def as_text(self) -> str:
        head = f"{self.status} {self.content_type} {self.disposition} {self.location}".strip()
        return head + "\n" + self.body


def observe(response: HttpResponse) -> Observation:
    content = b"".join(response) if response.streaming else response.content  # type: ignore[attr-defined]
    content_type = response.get("Content-Type", "")
    return Observation(
        response.status_code,
        content_type,
        response.get("Content-Disposition", ""),
        response.get("Location", ""),
        body_text(content, content_type),
    )


def body_text(content: bytes, content_type: str) -> str:
    if content_type.startswith("application/zip") or content[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "".join(
                f"=== {name} ===\n{archive.read(name).decode('utf-8', 'replace')}\n"
                for name in sorted(archive.namelist())
            )
    return content.decode("utf-8", "replace")


def mirror_normal(text: str, world: World) -> str:
    text = _mask_guess_column(text)
    for pattern in CSRF:
        text = pattern.sub(r"\1<csrf>", text)
    text = SEALED.sub("<sealed>", text)
    commitment = world.commitment
    for size in (64, 16, 12, 8):
        text = text.replace(commitment[:size], "<commitment>")
    return text


GUESS_COLUMN = "guessed_arm"


def _mask_guess_column(text: str) -> str:
    """The guessed arm of a blinded export is relabelled with the installation's key, which the
    mirror world changes on purpose (so that the allocation's labels stay put); a guess is the
    same words in both worlds, so its label must differ there. The column is masked."""
    if GUESS_COLUMN not in text:
        return text
    lines, column = text.split("\n"), None
    for i, line in enumerate(lines):
        cells = line.split(",")
        if GUESS_COLUMN in cells:
            column = cells.index(GUESS_COLUMN)
        elif column is not None and len(cells) > column and "," in line:
            cells[column] = "<guess>"
            lines[i] = ",".join(cells)
        else:
            column = None
    return "\n".join(lines)


# Ids shown as text: "#3", "Query 3", "got id 77", "got query 2".
DISPLAY_NUMBER = re.compile(r"#\d+\b|(?<=Query )\d+\b|(?<=\bid )\d+\b|(?<=\bquery )\d+\b")


def pair_normal(text: str, world: World, subject: Participant) -> str:
    text = mirror_normal(text, world)
    text = text.replace(subject.code, "<participant>")
    if subject.kit_code:
        text = text.replace(subject.kit_code, "<kit>")
    text = DISPLAY_NUMBER.sub("#", PATH_ID.sub("#", text))
    return JSON_ID.sub(lambda m: f'"{m.group(1)}": #', text)
