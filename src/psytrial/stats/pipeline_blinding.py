"""Blinding indices per guesser role, from the blinding_guesses table.

For each guesser role in the table (participant, therapist, rater) the guesses are
tabulated by `psytrial.core.blinding.guess_table` (first arm = "treatment", second =
"control") and assessed by `assess_blinding`: Bang's index per arm and James' index. A
participant guessed about at several time points counts once, with the last guess: visits
are ordered as in the protocol's schedule; a visit id not in the schedule goes after them,
ordered by the number it ends with (e.g. month_24), then by name. The per-visit indices are
kept too, for the report's detail table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from psytrial.core.blinding import BlindingAssessment, Guesser, assess_blinding, guess_table
from psytrial.core.protocol import Protocol
from psytrial.stats.tables import TrialTables

ROLE_GUESSER: dict[str, Guesser] = {
    "participant": Guesser.PARTICIPANT,
    "therapist": Guesser.PSYCHOTHERAPIST,
    "rater": Guesser.OUTCOME_RATER,
}
ROLE_ORDER = ("participant", "therapist", "rater")


@dataclass(frozen=True)
class RoleBlinding:
    """One guesser role: the indices on each participant's last guess, and per visit."""

    role: str
    assessment: BlindingAssessment
    by_visit: tuple[tuple[str, BlindingAssessment], ...]


@dataclass(frozen=True)
class BlindingSection:
    """All roles; `show_bang` is False in blinded mode (Bang's index reveals the arms)."""

    outcome_id: str
    label: str
    roles: tuple[RoleBlinding, ...]
    show_bang: bool
    notes: tuple[str, ...]


def blinding_section(
    tables: TrialTables, protocol: Protocol, outcome_id: str, label: str, *, show_bang: bool
) -> BlindingSection:
    guesses = tables.blinding_guesses.merge(
        tables.participants[["participant_id", "arm"]], on="participant_id"
    )
    notes: list[str] = []
    if guesses.empty:
        notes.append("no blinding guesses")
    rank = _visit_rank(protocol, guesses["visit"])
    order = {v: i for i, v in enumerate(sorted(rank, key=lambda v: (rank[v], v)))}
    guesses = guesses.assign(_rank=guesses["visit"].map(order))
    roles = []
    for role in _roles(guesses["guesser_role"]):
        mine = guesses[guesses["guesser_role"] == role]
        last = mine.sort_values("_rank", kind="stable").groupby("participant_id").tail(1)
        visits = sorted(set(mine["visit"]), key=order.__getitem__)
        by_visit = tuple((v, _assess(role, mine[mine["visit"] == v], tables.arms)) for v in visits)
        roles.append(RoleBlinding(role, _assess(role, last, tables.arms), by_visit))
    return BlindingSection(outcome_id, label, tuple(roles), show_bang, tuple(notes))


def _assess(role: str, rows: pd.DataFrame, arms: tuple[str, ...]) -> BlindingAssessment:
    pairs = zip(rows["arm"].astype(str), rows["guessed_arm"].astype(str), strict=True)
    table = guess_table(pairs, arms[0], arms[1])
    return assess_blinding(ROLE_GUESSER[role], table)


def _roles(values: pd.Series) -> list[str]:
    found = set(values)
    return [r for r in ROLE_ORDER if r in found] + sorted(found - set(ROLE_ORDER))


def _visit_rank(protocol: Protocol, visits: pd.Series) -> dict[str, tuple[int, int]]:
    schedule = {v.id: i for i, v in enumerate(protocol.schedule)}
    out: dict[str, tuple[int, int]] = {}
    for visit in set(visits):
        if visit == "":
            out[visit] = (-1, 0)
        elif visit in schedule:
            out[visit] = (0, schedule[visit])
        else:
            number = re.search(r"(\d+)$", visit)
            out[visit] = (1, int(number.group(1))) if number else (2, 0)
    return out
