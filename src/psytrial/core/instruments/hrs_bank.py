"""The built-in item bank of the Hallucinogen Rating Scale (HRS): item ids and our own topics.

Source: Strassman, Qualls, Uhlenhuth & Kellner (1994), Arch Gen Psychiatry 51:98-108, and
the summaries in /work/shared/reference/hrs.md. The item wording belongs to the scale's
authors, so psytrial ships only item identifiers and short topic labels of its own; a site
loads the full wording from its own licensed copy (see `wording.load_wording`). Scoring uses
item ids and clusters only, never wording.

Items are rated 0-4 (0 not at all, 1 slightly, 2 moderately, 3 quite a bit, 4 extremely).
Item ids are ours (`som_01` ...), grouped by cluster; they are not the questionnaire's
item numbers, which interleave the clusters.

ASSUMPTION: item count assumed, wording to be loaded from the site's licensed copy. Only the
somaesthesia (13), affect (18) and perception (17) items and the first cognition item are
known to us. The scored version has about 72 items, which leaves about 24 for cognition,
volition and intensity; we assume 11, 9 and 4 of them, respectively. The placeholders below
(`placeholder=True`) stand for those items. A site whose licensed copy has other counts
declares its own bank in the protocol (`item_bank: {cluster: [item ids]}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HrsCluster = Literal["somaesthesia", "affect", "perception", "cognition", "volition", "intensity"]
CLUSTERS: tuple[HrsCluster, ...] = (
    "somaesthesia",
    "affect",
    "perception",
    "cognition",
    "volition",
    "intensity",
)
RATING_MIN = 0
RATING_MAX = 4
RATING_LABELS: tuple[str, ...] = (
    "not at all",
    "slightly",
    "moderately",
    "quite a bit",
    "extremely",
)

PLACEHOLDER_TOPIC = (
    "ASSUMPTION: item count assumed, wording to be loaded from the site's licensed copy"
)


@dataclass(frozen=True)
class HrsItem:
    """One HRS item: our id, its cluster, our short topic label, and whether it is assumed."""

    id: str
    cluster: HrsCluster
    topic: str
    placeholder: bool = False


_KNOWN_TOPICS: dict[HrsCluster, tuple[str, ...]] = {
    "somaesthesia": (
        "rush",
        "change in salivation",
        "body feels different",
        "change in body weight",
        "sensation of moving, falling or flying",
        "change in body temperature",
        "electric or tingling feeling",
        "pressure in chest or abdomen",
        "inner shakiness",
        "body shaking",
        "physical restlessness",
        "sexual feelings",
        "feeling detached from the body",
    ),
    "affect": (
        "anxious",
        "frightened",
        "urge to laugh",
        "excited",
        "awe",
        "amazement",
        "feeling safe",
        "presence of a higher power",
        "euphoria",
        "changed closeness to people present",
        "changed amount of emotion",
        "emotions feel different",
        "oneness with the universe",
        "isolated from people and things",
        "feeling reborn",
        "liked the experience",
        "how soon to repeat it",
        "wish to have it regularly",
    ),
    "perception": (
        "flushed",
        "change in skin sensitivity",
        "sounds accompanying the experience",
        "room sounds different",
        "change in how distinct sounds are",
        "change in how distinct objects look",
        "visual effects",
        "room looks different",
        "change in brightness",
        "patterns over the room",
        "visual field vibrating with eyes open",
        "visual images",
        "kaleidoscopic images",
        "brightness of visions compared with daylight",
        "dimensionality of images",
        "movement within images",
        "white light",
    ),
    "cognition": ("sense of speed of thoughts",),
    "volition": (),
    "intensity": (),
}

# ASSUMPTION: item count assumed, wording to be loaded from the site's licensed copy.
ASSUMED_COUNTS: dict[HrsCluster, int] = {
    "somaesthesia": 13,
    "affect": 18,
    "perception": 17,
    "cognition": 11,
    "volition": 9,
    "intensity": 4,
}

_PREFIX: dict[HrsCluster, str] = {
    "somaesthesia": "som",
    "affect": "aff",
    "perception": "per",
    "cognition": "cog",
    "volition": "vol",
    "intensity": "int",
}


def _cluster_items(cluster: HrsCluster) -> tuple[HrsItem, ...]:
    known = _KNOWN_TOPICS[cluster]
    items = []
    for number in range(1, ASSUMED_COUNTS[cluster] + 1):
        item_id = f"{_PREFIX[cluster]}_{number:02d}"
        if number <= len(known):
            items.append(HrsItem(item_id, cluster, known[number - 1]))
        else:
            items.append(HrsItem(item_id, cluster, PLACEHOLDER_TOPIC, placeholder=True))
    return tuple(items)


BUILTIN_ITEMS: tuple[HrsItem, ...] = tuple(
    item for cluster in CLUSTERS for item in _cluster_items(cluster)
)


def builtin_clusters() -> dict[HrsCluster, tuple[str, ...]]:
    """The built-in bank as cluster -> item ids, in bank order."""
    return {c: tuple(i.id for i in BUILTIN_ITEMS if i.cluster == c) for c in CLUSTERS}
