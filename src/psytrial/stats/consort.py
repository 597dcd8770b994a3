"""The CONSORT 2010 flow of participants, counted from the tidy tables, and its diagram.

Counting rules (docs/tidy-tables.md repeats them):

* Assessed for eligibility: rows of the screening log. Excluded: screening rows without a
  participant_id, split into not meeting inclusion criteria (eligible = no), declined to
  participate (eligible, consented = no) and other reasons (eligible, consent yes or not
  asked, not randomized); reasons are the exclusion_reason texts. If the screening log is
  empty, assessed and excluded are unknown (None) and the diagram says "not recorded".
* Randomized: rows of the participants table; allocated: per arm.
* Received the allocated intervention: received_allocated = yes; did not: = no, with
  not_received_reason; empty = the session is still pending.
* Lost to follow-up: status lost_to_follow_up or died (the reason says "died"); discontinued
  intervention: status withdrawn; reasons from end_reason.
* Excluded from analysis: a non-empty not_analysed_reason; analysed: allocated minus those.

The diagram (`consort_svg`) is drawn in `psytrial.stats.consort_draw`; arm labels are passed
in, so a blinded report shows "Group A" / "Group B" and never an arm name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from psytrial.core.errors import DataError
from psytrial.stats.consort_draw import draw
from psytrial.stats.tables import TrialTables

Reasons = tuple[tuple[str, int], ...]
NOT_GIVEN = "reason not given"


@dataclass(frozen=True)
class Counted:
    """A count and its breakdown by reason (most frequent first)."""

    n: int
    reasons: Reasons = ()

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "reasons": dict(self.reasons)}


@dataclass(frozen=True)
class ArmFlow:
    """One arm's column of the diagram."""

    arm: str
    allocated: int
    received: int
    not_received: Counted
    pending: int
    lost: Counted
    discontinued: Counted
    analysed: int
    excluded_from_analysis: Counted

    def as_dict(self) -> dict[str, Any]:
        return {
            "allocated": self.allocated,
            "received_allocated": self.received,
            "did_not_receive": self.not_received.as_dict(),
            "pending": self.pending,
            "lost_to_follow_up": self.lost.as_dict(),
            "discontinued": self.discontinued.as_dict(),
            "analysed": self.analysed,
            "excluded_from_analysis": self.excluded_from_analysis.as_dict(),
        }


@dataclass(frozen=True)
class ConsortFlow:
    """The CONSORT 2010 flow counts; `assessed`/`excluded` are None without a screening log."""

    assessed: int | None
    excluded: int | None
    not_meeting_criteria: Counted
    declined: Counted
    other: Counted
    randomized: int
    arms: tuple[ArmFlow, ...]

    def arm(self, arm_id: str) -> ArmFlow:
        for flow in self.arms:
            if flow.arm == arm_id:
                return flow
        raise KeyError(arm_id)

    def as_dict(self) -> dict[str, Any]:
        """The flow as plain JSON values, for results.json (`consort`)."""
        return {
            "assessed": self.assessed,
            "excluded": {
                "n": self.excluded,
                "not_meeting_criteria": self.not_meeting_criteria.as_dict(),
                "declined": self.declined.as_dict(),
                "other": self.other.as_dict(),
            },
            "randomized": self.randomized,
            "arms": {a.arm: a.as_dict() for a in self.arms},
        }


def consort_flow(tables: TrialTables) -> ConsortFlow:
    """Count the CONSORT flow from validated tables (arms in `tables.arms` order)."""
    screening, participants = tables.screening, tables.participants
    not_randomized = screening[screening["participant_id"] == ""]
    ineligible = not_randomized[not_randomized["eligible"] == "no"]
    eligible = not_randomized[not_randomized["eligible"] == "yes"]
    declined = eligible[eligible["consented"] == "no"]
    other = eligible[eligible["consented"] != "no"]
    logged = not screening.empty
    return ConsortFlow(
        assessed=len(screening) if logged else None,
        excluded=len(not_randomized) if logged else None,
        not_meeting_criteria=_counted(ineligible["exclusion_reason"]),
        declined=_counted(declined["exclusion_reason"]),
        other=_counted(other["exclusion_reason"]),
        randomized=len(participants),
        arms=tuple(_arm_flow(participants[participants["arm"] == a], a) for a in tables.arms),
    )


def _arm_flow(rows: pd.DataFrame, arm: str) -> ArmFlow:
    received = rows["received_allocated"]
    lost = rows[rows["status"].isin(["lost_to_follow_up", "died"])]
    lost_reasons = [
        _loss_reason(s, r) for s, r in zip(lost["status"], lost["end_reason"], strict=True)
    ]
    excluded = rows[rows["not_analysed_reason"] != ""]
    return ArmFlow(
        arm=arm,
        allocated=len(rows),
        received=int((received == "yes").sum()),
        not_received=_counted(rows.loc[received == "no", "not_received_reason"]),
        pending=int((received == "").sum()),
        lost=_counted(lost_reasons),
        discontinued=_counted(rows.loc[rows["status"] == "withdrawn", "end_reason"]),
        analysed=len(rows) - len(excluded),
        excluded_from_analysis=_counted(excluded["not_analysed_reason"]),
    )


def _loss_reason(status: str, reason: str) -> str:
    if status == "died":
        return f"died: {reason}" if reason else "died"
    return reason


def _counted(reasons: Iterable[str]) -> Counted:
    texts = [str(r).strip() or NOT_GIVEN for r in reasons]
    ordered = sorted(Counter(texts).items(), key=lambda kv: (-kv[1], kv[0]))
    return Counted(n=len(texts), reasons=tuple(ordered))


def consort_svg(flow: ConsortFlow, arm_labels: Mapping[str, str]) -> str:
    """The four-stage CONSORT diagram as a self-contained SVG document (text escaped)."""
    missing = [a.arm for a in flow.arms if a.arm not in arm_labels]
    if missing:
        raise DataError(f"arm_labels: expected a label for every arm, got none for {missing[0]}")
    return draw(flow, arm_labels)
