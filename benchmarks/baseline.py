"""An older revision beside this tree, for benchmarks that measure both in one run.

`baseline_tree(REV)` checks REV out as a git worktree in a scratch folder and removes it
afterwards; `source_env(tree)` is the environment that makes a child process import that
tree's psytrial (its src/ ahead of the installed package). Side by side on a shared machine,
the ratio holds when absolute figures do not.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def baseline_tree(revision: str | None) -> Iterator[Path | None]:
    """A checkout of `revision` (None: no baseline, yields None)."""
    if revision is None:
        yield None
        return
    scratch = Path(tempfile.mkdtemp(prefix="psytrial-baseline-"))
    tree = scratch / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision],
                   check=True, capture_output=True)
    try:
        yield tree
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                       check=False, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


def source_env(tree: Path | None) -> dict[str, str]:
    """Environment entries that make a child import `tree`'s psytrial (none for this tree)."""
    return {"PYTHONPATH": str(tree / "src")} if tree is not None else {}
