"""The analysis export: the six tidy tables of `psytrial.stats.tables`, built from the database.

    build_tables(study, arms) -> TrialTables   validated by stats.tables.validate
    write(tables, folder)                      stats.tables.write_tables (load_tables reads
                                               it back unchanged)

participants: every randomized participant. `status` from the participant status machine:
randomized, dosed and in follow-up are `active`; completed, withdrawn and lost to follow-up as
they are; a withdrawal form whose kind is `died` makes `died`. sex, age, years of heroin use:
the first value entered on a form that has such a field (the baseline form); weight_kg: the
weight the dose was prepared for, else the form's. received_allocated: `yes` once the dose was
administered, empty while it is pending, `no` if the participant left first. ended_at /
end_reason: the participant's latest withdrawal form (its `date` and `reason`).
not_analysed_reason: empty (intention to treat).

screening: one row per person whose eligibility was assessed (status past `screened`):
eligible from the eligibility checklist (the failed criteria are the exclusion reason);
consented `yes` once consent was recorded; `no` for an eligible person who withdrew before
consent; the participant id once randomized.

The other tables: `analysis_rows`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from psytrial.stats.tables import SCHEMAS, TrialTables, empty_frame, validate, write_tables
from psytrial.web.enrolment import rules
from psytrial.web.exports import analysis_rows as rows
from psytrial.web.exports.access import ArmColumn
from psytrial.web.exports.reading import Entry
from psytrial.web.exports.snapshot import Snapshot, load, local_day
from psytrial.web.forms.catalog import CONSENT_ID
from psytrial.web.trial.models import Participant, Study

STATUS = {
    "randomized": "active",
    "dosed": "active",
    "in_follow_up": "active",
    "completed": "completed",
    "withdrawn": "withdrawn",
    "lost_to_follow_up": "lost_to_follow_up",
}
COVARIATES = ("sex", "age", "years_heroin_use", "weight_kg")
WITHDRAWAL_ID = "withdrawal"
CONSENTED = {"consented", "randomized", "dosed", "in_follow_up", "completed", "lost_to_follow_up"}


def build_tables(study: Study, arms: ArmColumn, snap: Snapshot | None = None) -> TrialTables:
    snap = snap if snap is not None else load(study)
    randomized = [
        p for p in snap.people if p.randomized_at is not None and p.pk in arms.by_participant
    ]
    ae_id = _secondary_instrument(snap, "adverse_events", "adverse_event")
    guess_id = _secondary_instrument(snap, "blinding_guesses", "blinding_guess")
    # Blinded: instruments that reveal the arm by their content (the HRS) and the blinding
    # guesses would, next to the Group A/B label, tell which group had which dose; they are
    # left out, so the pipeline can be exercised before lock without unblinding anyone.
    blinded = arms.mode != "unblinded"
    revealing = {i.id for i in study.protocol.instruments if i.reveals_arm}
    people, follow, scores, aes, guesses = [], [], [], [], []
    for p in randomized:
        ending = _ending(snap.of(p))
        people.append(_participant(snap, p, arms, ending))
        follow.extend(rows.followup_rows(snap, p, ending[0] if ending else None))
        scores.extend(r for r in rows.score_rows(snap, p)
                      if not (blinded and r["instrument"] in revealing))
        aes.extend(rows.ae_rows(snap, p, ae_id))
        if not blinded:
            guesses.extend(rows.guess_rows(snap, p, guess_id, arms.guess))
    screening = [_screened(snap, p) for p in snap.people if p.status != "screened"]
    frames = {
        "participants": people,
        "followup": follow,
        "scores": scores,
        "adverse_events": aes,
        "blinding_guesses": guesses,
        "screening": screening,
    }
    return validate({name: _frame(name, data) for name, data in frames.items()}, arms.arms)


def write(tables: TrialTables, folder: str | Path) -> list[Path]:
    write_tables(tables, folder)
    return [Path(folder) / SCHEMAS[name].file_name for name in tables.frames()]


def _frame(name: str, data: list[dict[str, Any]]) -> pd.DataFrame:
    if not data:
        return empty_frame(name)
    return pd.DataFrame.from_records(data, columns=list(SCHEMAS[name].names))


def _secondary_instrument(snap: Snapshot, kind: str, default: str) -> str:
    for outcome in snap.protocol.outcomes.secondary:
        if outcome.kind == kind:
            return outcome.instrument
    return default


def _ending(entries: Iterable[Entry]) -> tuple[date | None, str, str] | None:
    """(date, reason, kind) of the latest withdrawal form, if any."""
    forms = sorted(
        (e for e in entries if e.instrument == WITHDRAWAL_ID),
        key=lambda e: (e.occurrence, e.saved_at),
    )
    if not forms:
        return None
    data = forms[-1].data
    raw = data.get("date")
    day = date.fromisoformat(raw) if isinstance(raw, str) and raw else None
    return day, str(data.get("reason") or ""), str(data.get("kind") or "")


def _participant(
    snap: Snapshot, p: Participant, arms: ArmColumn, ending: tuple[date | None, str, str] | None
) -> dict[str, Any]:
    values = _covariates(snap, snap.of(p))
    if p.pk in snap.dosing_weight:
        values["weight_kg"] = float(snap.dosing_weight[p.pk])
    status = STATUS.get(p.status, "active")
    if ending is not None and ending[2] == "died":
        status = "died"
    ended = status in ("withdrawn", "lost_to_follow_up", "died")
    end_day, end_reason = (ending[0], ending[1]) if (ended and ending) else (None, "")
    received, why_not = "", ""
    if p.pk in snap.administered:
        received = "yes"
    elif status != "active":
        received = "no"
        why_not = end_reason or "left the trial before the drug session"
    return {
        "participant_id": p.code,
        "site": p.site.code,
        "stratum": p.stratum,
        "arm": arms.by_participant[p.pk],
        "randomized_at": local_day(p.randomized_at),
        "sex": values.get("sex") or "",
        "age": values.get("age"),
        "weight_kg": values.get("weight_kg"),
        "years_heroin_use": values.get("years_heroin_use"),
        "status": status,
        "received_allocated": received,
        "not_received_reason": why_not,
        "ended_at": end_day,
        "end_reason": end_reason if ended else "",
        "not_analysed_reason": "",
    }


def _covariates(snap: Snapshot, entries: list[Entry]) -> dict[str, Any]:
    order = snap.order
    found: dict[str, Any] = {}
    for entry in sorted(entries, key=lambda e: (order.get(e.visit, len(order)), e.occurrence)):
        for name in COVARIATES:
            if name not in found and entry.data.get(name) is not None:
                found[name] = entry.data[name]
    return found


def _screened(snap: Snapshot, p: Participant) -> dict[str, Any]:
    entries = snap.of(p)
    checklist = next((e.data for e in entries if e.instrument == rules.ELIGIBILITY_ID), None)
    if checklist is not None:
        verdict = rules.eligibility(snap.protocol, checklist)
        eligible, reason = verdict.eligible, "; ".join(c.id for c in verdict.failed)
    else:
        eligible, reason = p.status != "ineligible", ""
    consent = any(e.instrument == CONSENT_ID for e in entries) or p.status in CONSENTED
    randomized = p.randomized_at is not None
    if eligible and not randomized and not reason:
        reason = _why_not_randomized(p, entries)
    consented = (
        "yes" if consent or randomized else ("no" if eligible and p.status == "withdrawn" else "")
    )
    return {
        "screening_id": p.code,
        "screened_at": local_day(p.screened_at),
        "eligible": "yes" if eligible else "no",
        "exclusion_reason": "" if randomized else reason,
        "consented": consented,
        "participant_id": p.code if randomized else "",
    }


def _why_not_randomized(p: Participant, entries: list[Entry]) -> str:
    if p.status == "withdrawn":
        ending = _ending(entries)
        return (
            f"withdrew before randomization: {ending[1]}"
            if ending
            else ("withdrew before randomization")
        )
    return "not randomized yet"
