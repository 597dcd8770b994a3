"""Rules across the parts of one scenario (before any protocol is involved).

The model validates each part on its own; these rules need two parts at once: the sexes
named by distributions, eligibility rates and the published composition are those of
population.sex; hazard pieces start at month 1 and increase; site ids are unique. Each
problem carries the path of its place, so the loader can point at the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from psytrial.sim.scenario_model import ALL, FORMAT_VERSION, Path, TruncatedNormal

if TYPE_CHECKING:
    from psytrial.sim.scenario_model import Scenario


def problems(s: Scenario) -> Iterator[tuple[Path, str]]:
    if s.format_version != FORMAT_VERSION:
        yield (
            ("format_version",),
            f"expected format_version {FORMAT_VERSION}, got {s.format_version}",
        )
    if len(s.arms) < 2:
        yield ("arms",), f"expected at least 2 arms, got {len(s.arms)}"
    yield from _unique_sites(s)
    yield from _groups(s)
    yield from _ineligible(s)
    yield from _hazards(s)
    yield from _composition(s)


def _unique_sites(s: Scenario) -> Iterator[tuple[Path, str]]:
    seen: set[str] = set()
    for index, site in enumerate(s.sites):
        if site.id in seen:
            yield ("sites", index, "id"), f"expected a unique site id, got {site.id!r} again"
        seen.add(site.id)


def _groups(s: Scenario) -> Iterator[tuple[Path, str]]:
    sexes = set(s.population.sex)
    for name in ("age", "weight_kg", "years_heroin_use"):
        groups: dict[str, TruncatedNormal] = getattr(s.population, name)
        if set(groups) == {ALL} or set(groups) == sexes:
            continue
        got = ", ".join(groups) or "nothing"
        yield (
            ("population", name),
            (
                f"expected either the key {ALL!r} or one distribution per sex "
                f"({', '.join(s.population.sex)}), got {got}"
            ),
        )


def _ineligible(s: Scenario) -> Iterator[tuple[Path, str]]:
    seen: set[tuple[str, str | None]] = set()
    for index, entry in enumerate(s.screening.ineligible):
        where: Path = ("screening", "ineligible", index)
        if entry.sex is not None and entry.sex not in s.population.sex:
            yield (
                (*where, "sex"),
                (
                    f"expected one of the sexes of population.sex ({', '.join(s.population.sex)}), "
                    f"got {entry.sex!r}"
                ),
            )
        key = (entry.criterion, entry.sex)
        if key in seen:
            yield (
                (*where, "criterion"),
                (f"expected each criterion once (per sex), got {entry.criterion!r} again"),
            )
        seen.add(key)


def _hazards(s: Scenario) -> Iterator[tuple[Path, str]]:
    for arm_id, arm in s.arms.items():
        starts = [piece.from_month for piece in arm.relapse_hazard]
        where: Path = ("arms", arm_id, "relapse_hazard")
        if starts[0] != 1:
            yield (
                (*where, 0, "from_month"),
                (f"expected the first piece to start at month 1, got {starts[0]}"),
            )
        for index in range(1, len(starts)):
            if starts[index] <= starts[index - 1]:
                yield (
                    (*where, index, "from_month"),
                    (f"expected a month after {starts[index - 1]}, got {starts[index]}"),
                )


def _composition(s: Scenario) -> Iterator[tuple[Path, str]]:
    if not s.published_composition:
        return
    if set(s.published_composition) != set(s.arms):
        yield (
            ("published_composition",),
            (
                f"expected the scenario's arms ({', '.join(s.arms)}), "
                f"got {', '.join(s.published_composition)}"
            ),
        )
    for arm_id, counts in s.published_composition.items():
        for sex in counts:
            if sex not in s.population.sex:
                yield (
                    ("published_composition", arm_id, sex),
                    (
                        f"expected one of the sexes of population.sex "
                        f"({', '.join(s.population.sex)}), got {sex!r}"
                    ),
                )
