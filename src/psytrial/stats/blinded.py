"""Blinded mode: the analysis run on scrambled arm labels, before the database is locked.

The trial statistician is blind until lock, yet must build and check the analysis pipeline
on the real data. In blinded mode every arm id in the tables is replaced by a label
"Group A", "Group B", ... assigned by a secret random permutation: the arms are sorted by
HMAC-SHA256(blind_key, study id, arm id), so the same key gives the same labels on every run
(the statistician can follow one group across data cuts) and nobody without the key can tell
which group is which. Tables that arrive already scrambled by the export (their arm ids are
not the protocol's) are used as they are.

Some results reveal the arms by their content even under scrambled labels: the Hallucinogen
Rating Scale (a full dose is unmistakable) and Bang's per-arm blinding index (the arm whose
members guess "the active dose" correctly stands out). Telling which scrambled group had the
full dose would unblind every efficacy result, so in blinded mode the instruments the
protocol marks `reveals_arm` are reported pooled over the groups (`POOLED`), and of the
blinding indices only James' index, which is symmetric in the arms, is shown.

`check_no_arm_identity` is the last line of defence: it searches rendered output for the
protocol's arm ids (as whole words) and labels and raises BlindingError if one is there.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from psytrial.core.errors import BlindingError, DataError
from psytrial.core.protocol import Protocol
from psytrial.stats.tables import TrialTables

BLINDED_BANNER = "BLINDED: arm labels are scrambled; no result may be interpreted by arm"
UNBLINDED_BANNER = "UNBLINDED: results are shown by the true arms"
POOLED = "All participants"
MIN_KEY_BYTES = 16
_DOMAIN = b"psytrial blinded-analysis arm permutation v1"


@dataclass(frozen=True)
class ArmMapping:
    """How the tables' arm ids become the arm ids and labels the analysis reports.

    `ids` are the reported ids in comparison order (the first is compared with the second);
    `labels` maps each reported id to its printed label; `rename` maps each id found in the
    tables to its reported id (identity when nothing is scrambled).
    """

    ids: tuple[str, ...]
    labels: Mapping[str, str]
    rename: Mapping[str, str]
    scrambled: bool


def group_label(index: int) -> str:
    """'Group A' for 0, 'Group B' for 1, ..., 'Group AA' after 'Group Z'."""
    letters = string.ascii_uppercase
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = letters[rest] + name
    return f"Group {name}"


def keyed_permutation(key: bytes, study_id: str, arm_ids: Iterable[str]) -> dict[str, str]:
    """Arm id -> 'Group X': arms sorted by their HMAC-SHA256 under `key` get A, B, ...

    Sorting by a keyed pseudo-random function gives a uniformly random permutation that only
    the key holder can reproduce.
    """
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        got = f"{len(key)} bytes" if isinstance(key, bytes) else type(key).__name__
        raise BlindingError(f"blind_key: expected at least {MIN_KEY_BYTES} random bytes, got {got}")

    def tag(arm: str) -> bytes:
        message = b"\x00".join([_DOMAIN, study_id.encode(), arm.encode()])
        return hmac.new(key, message, hashlib.sha256).digest()

    ordered = sorted(arm_ids, key=tag)
    return {arm: group_label(i) for i, arm in enumerate(ordered)}


def arm_mapping(
    tables: TrialTables, protocol: Protocol, *, blinded: bool, blind_key: bytes | None
) -> ArmMapping:
    """Decide the reported arms for the tables, the protocol and the mode."""
    true_ids = tuple(a.id for a in protocol.arms)
    found = tuple(tables.arms)
    if set(found) == set(true_ids):
        if not blinded:
            labels = {a.id: a.label for a in protocol.arms}
            return ArmMapping(true_ids, labels, {a: a for a in true_ids}, scrambled=False)
        if blind_key is None:
            raise BlindingError(
                f"blind_key: expected a key to scramble the arms {', '.join(true_ids)} "
                "in blinded mode, got none"
            )
        rename = keyed_permutation(blind_key, protocol.study.id, true_ids)
        ids = tuple(sorted(rename.values()))
        return ArmMapping(ids, {g: g for g in ids}, rename, scrambled=True)
    if set(found) & set(true_ids) or not blinded:
        raise DataError(
            f"arms: expected the protocol's arms {', '.join(true_ids)}"
            f"{' or scrambled labels' if blinded else ''}, got {', '.join(found)}"
        )
    if len(found) != len(true_ids):
        raise DataError(
            f"arms: expected {len(true_ids)} scrambled labels like the protocol's arms, "
            f"got {len(found)} ({', '.join(found)})"
        )
    ids = tuple(sorted(found))
    return ArmMapping(ids, {a: a for a in ids}, {a: a for a in ids}, scrambled=True)


def scramble(tables: TrialTables, mapping: ArmMapping) -> TrialTables:
    """The tables with every arm id (allocation and guessed arm) renamed by `mapping`."""
    if all(k == v for k, v in mapping.rename.items()):
        return replace(tables, arms=mapping.ids)
    rename = dict(mapping.rename)
    participants = tables.participants.copy()
    participants["arm"] = participants["arm"].map(rename)
    guesses = tables.blinding_guesses.copy()
    guesses["guessed_arm"] = guesses["guessed_arm"].map(lambda g: rename.get(g, g))
    return replace(tables, arms=mapping.ids, participants=participants, blinding_guesses=guesses)


def forbidden_words(protocol: Protocol) -> tuple[str, ...]:
    """The protocol's arm ids and labels: what a blinded output must never contain."""
    return tuple(dict.fromkeys([a.id for a in protocol.arms] + [a.label for a in protocol.arms]))


def _word(word: str) -> str:
    return rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])"


def find_arm_identity(text: str, protocol: Protocol) -> str | None:
    """The first arm id (as a whole word) or arm label found in `text`, else None."""
    for word in forbidden_words(protocol):
        if re.search(_word(word), text):
            return word
    return None


def redact(text: str, protocol: Protocol) -> str:
    """`text` (free text from the protocol, e.g. a title) with arm ids and labels removed."""
    for word in sorted(forbidden_words(protocol), key=len, reverse=True):
        text = re.sub(_word(word), "[arm]", text)
    return text


# Free-text columns typed by people: a reason such as "felt the high dose" would tie a group
# to its arm, so in blinded mode arm ids and labels are replaced in them.
FREE_TEXT = {
    "participants": ("not_received_reason", "end_reason", "not_analysed_reason"),
    "screening": ("exclusion_reason",),
    "adverse_events": ("term",),
}


def redact_tables(tables: TrialTables, protocol: Protocol) -> TrialTables:
    """The tables with arm ids and labels replaced by '[arm]' in every free-text column."""
    changed = {}
    pattern = "|".join(_word(w) for w in forbidden_words(protocol))
    for name, columns in FREE_TEXT.items():
        frame = getattr(tables, name)
        hits = [c for c in columns if frame[c].astype(str).str.contains(pattern).any()]
        if hits:
            frame = frame.copy()
            for column in hits:
                frame[column] = frame[column].map(lambda v: redact(str(v), protocol))
            changed[name] = frame
    return replace(tables, **changed) if changed else tables


def check_no_arm_identity(outputs: Mapping[str, str], protocol: Protocol) -> None:
    """Raise BlindingError if any output (name -> text) names a true arm."""
    for name, text in outputs.items():
        found = find_arm_identity(text, protocol)
        if found is not None:
            raise BlindingError(
                f"{name}: expected no true arm id or label in a blinded output, got {found!r}"
            )
