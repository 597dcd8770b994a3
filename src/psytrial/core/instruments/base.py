"""The shared parts of every instrument definition: identifiers and the common base model.

Instrument definitions are read from protocol files, so they are frozen pydantic models that
refuse unknown keys: a typo in a protocol must fail at load time, not silently drop a setting.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

# snake_case: ids end up as column names in exports and as keys in analysis tables.
IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]*$"

Identifier = Annotated[str, StringConstraints(pattern=IDENTIFIER_PATTERN, max_length=64)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]


class FrozenModel(BaseModel):
    """A frozen model that forbids unknown keys; the base of every definition model."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class InstrumentBase(FrozenModel):
    """What every instrument has, whatever its kind.

    `reveals_arm` marks instruments whose content reveals the arm (the HRS, session vital
    signs, other people's blinding guesses); outcome raters never see them.
    """

    id: Identifier
    label: Label
    reveals_arm: bool = False
    description: str = ""


def find_duplicates(ids: list[str] | tuple[str, ...]) -> list[str]:
    """The ids that occur more than once, in order of their second occurrence."""
    seen: set[str] = set()
    dups: list[str] = []
    for item in ids:
        if item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups
