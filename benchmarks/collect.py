"""Assemble docs/performance.md from the fragments the benchmarks write.

Each benchmark writes benchmarks/results/<name>.md (medians over repeats, the machine, and
the side-by-side baseline, all measured in one run). Run the benchmarks, then:

    .venv/bin/python benchmarks/collect.py
"""

from __future__ import annotations

import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORDER = ["allocation", "dosing", "power", "analysis", "randomization", "forms", "demo"]

HEADER = """# Performance

Figures from the benchmarks in `benchmarks/` (each is a plain script:
`.venv/bin/python benchmarks/bench_<name>.py`). Timings are medians over repeats, measured on
shared 2-core machines, so read ratios measured in one run rather than absolute values; each
section names its machine and its baseline. Tests never assert timings.

"""


def main() -> None:
    results = ROOT / "benchmarks" / "results"
    names = sorted(p.stem for p in results.glob("*.md"))
    ordered = [n for n in ORDER if n in names] + [n for n in names if n not in ORDER]
    parts = [HEADER, f"Assembled on {platform.node() or 'this machine'} "
             f"({platform.machine()}, Python {platform.python_version()}).\n"]
    for name in ordered:
        text = (results / f"{name}.md").read_text(encoding="utf-8").strip()
        # one heading level down under this page's title
        text = "#" + text if text.startswith("#") else f"## {name}\n\n{text}"
        parts.append(text + "\n")
    (ROOT / "docs" / "performance.md").write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote docs/performance.md from {len(ordered)} result files")


if __name__ == "__main__":
    main()
