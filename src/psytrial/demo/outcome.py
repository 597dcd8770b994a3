"""What a finished demo run hands back (free of Django, so the command line can import it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psytrial.demo.options import DemoPaths

if TYPE_CHECKING:
    from psytrial.demo.state import Tally
    from psytrial.demo.users import Login


@dataclass(frozen=True)
class DemoOutcome:
    """The files, the study, the logins, results.json's content and the run's tallies."""

    paths: DemoPaths
    study_code: str
    logins: tuple[Login, ...]
    results: dict[str, Any]
    tally: Tally
    commitment: str
