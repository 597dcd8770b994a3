"""Where each random number of a virtual participant lives: a fixed layout of uniform slots.

Every participant gets one row of uniforms, drawn up front. The layout names a slot for each
use (the relapse month, the HRS of the session visit, the follow-up answers of month 7, ...)
and is built from the protocol and the scenario only, never from the arm: the same slot
feeds a participant's course under either arm. So courses are reproducible byte for byte,
do not depend on the order in which they are asked for, and the two arms are coupled
(common random numbers).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from math import prod

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Slot:
    start: int
    shape: tuple[int, ...]
    size: int


@dataclass
class LayoutBuilder:
    """Collects slots in order; `build` freezes them into a Layout."""

    slots: dict[Hashable, Slot] = field(default_factory=dict)
    width: int = 0

    def add(self, key: Hashable, *shape: int) -> None:
        if key in self.slots:
            raise KeyError(f"slot {key!r} declared twice")
        slot = Slot(self.width, tuple(shape), prod(shape))
        self.slots[key] = slot
        self.width += slot.size

    def build(self) -> Layout:
        return Layout(dict(self.slots), self.width)


@dataclass(frozen=True)
class Layout:
    slots: dict[Hashable, Slot]
    width: int

    def has(self, key: Hashable) -> bool:
        return key in self.slots

    def take(self, row: FloatArray, key: Hashable) -> FloatArray:
        """The uniforms of `key` in one participant's row, in the slot's shape."""
        slot = self.slots[key]
        out: FloatArray = row[slot.start : slot.start + slot.size].reshape(slot.shape)
        return out

    def draw(self, rng: np.random.Generator, n_rows: int) -> FloatArray:
        """n_rows rows of uniforms in (0, 1); read-only so that no course can alter them."""
        rows = rng.random((n_rows, self.width))
        # random() can return exactly 0.0; inverse CDFs want the open interval.
        rows = np.where(rows == 0.0, np.nextafter(0.0, 1.0), rows)
        rows.setflags(write=False)
        return rows
