"""Rows of the follow-up, scores, adverse-event and blinding-guess tables, from a snapshot.

How entered forms become tidy rows (the column meanings are docs/tidy-tables.md's):

- followup: one row per follow-up visit of the primary outcome's instrument that has come due.
  Attended = the form was saved; its date is the day the form was first saved (the visits
  app's rule too). Missed = marked missed, or its window closed with no form while the
  participant was still in the trial. Visits not yet due, or due after the participant left,
  get no row (docs/tidy-tables.md: later months of a participant who left count as missed).
  ASSUMPTION (kpt2002 follow-up form -> table): heroin_use true/false -> yes/no; urine as
  entered; collateral no_use/use/unknown -> no/yes/unknown; `abstinent` is "no" if any source
  reports use, "yes" if some source reports and none reports use, else empty.
- scores: every entry of a scored instrument (hrs, vas, questionnaire, colour_test), scored by
  the core: HRS cluster means, the VAS value (item `craving`-like: the instrument id),
  questionnaire total and subscales, colour-test positivity per concept. `month` is 0 at a
  baseline-phase visit, the visit's month at a follow-up visit, empty otherwise (the session,
  integration visits).
- adverse_events: entries of the protocol's adverse-event instrument; serious true/false ->
  yes/no; outcome `sequelae` -> recovered_with_sequelae (CDISC AEOUT wording).
- blinding_guesses: entries of the protocol's blinding-guess instrument; the guesser
  psychotherapist is `therapist`, the outcome rater `rater`; other guessers are left out
  (the table allows participant, therapist and rater only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from psytrial.core.errors import DataError, ScoringError
from psytrial.core.instruments import (
    ColourTestInstrument,
    ColourTestScore,
    HRSScore,
    InstrumentDef,
    QuestionnaireScore,
    VASScore,
    score,
)
from psytrial.core.protocol import Visit
from psytrial.core.visits import VisitSpec, window_for
from psytrial.web.exports.reading import Entry
from psytrial.web.exports.snapshot import Snapshot, local_day
from psytrial.web.trial.models import Participant

Row = dict[str, Any]
SCORED_KINDS = ("hrs", "vas", "questionnaire", "colour_test")
COLLATERAL = {"no_use": "no", "use": "yes", "unknown": "unknown", "yes": "yes", "no": "no"}
URINE = ("negative", "positive", "not_done")
AE_OUTCOME = {"sequelae": "recovered_with_sequelae"}
GUESSER = {
    "participant": "participant",
    "therapist": "therapist",
    "psychotherapist": "therapist",
    "rater": "rater",
    "outcome_rater": "rater",
}


def yes_no(value: object) -> str:
    return {True: "yes", False: "no"}.get(value, "") if isinstance(value, bool) else ""


# -- follow-up --------------------------------------------------------------------------------


def followup_rows(snap: Snapshot, p: Participant, ended: date | None) -> Iterator[Row]:
    primary = snap.protocol.outcomes.primary.instrument
    done = {e.visit: e for e in snap.of(p) if e.instrument == primary}
    anchors = {
        "screening": local_day(p.screened_at),
        "randomization": local_day(p.randomized_at),
        "drug_session": local_day(p.drug_session_at),
    }
    for visit in snap.followup_visits:
        entry = done.get(visit.id)
        if entry is not None:
            yield _attended(snap, p, visit, entry)
        elif (p.pk, visit.id) in snap.missed or _closed_unseen(snap, visit, anchors, ended):
            yield {
                "participant_id": p.code,
                "month": visit.month,
                "visit_date": None,
                "status": "missed",
                "heroin_use": "",
                "urine": "",
                "collateral": "",
                "abstinent": "",
            }


def _closed_unseen(
    snap: Snapshot, visit: Visit, anchors: dict[str, date | None], ended: date | None
) -> bool:
    anchor = anchors.get(visit.anchor)
    if anchor is None:
        return False
    window = window_for(
        VisitSpec(
            id=visit.id,
            label=visit.label,
            anchor=visit.anchor,
            offset_days=visit.offset_days,
            window_before=visit.window.before,
            window_after=visit.window.after,
        ),
        anchor,
    )
    return snap.today > window.closes and (ended is None or window.target <= ended)


def _attended(snap: Snapshot, p: Participant, visit: Visit, entry: Entry) -> Row:
    data = entry.data
    use = yes_no(data.get("heroin_use"))
    urine = data.get("urine") if data.get("urine") in URINE else ""
    collateral = COLLATERAL.get(str(data.get("collateral") or ""), "")
    reported = [
        use,
        urine if urine != "not_done" else "",
        collateral if collateral != "unknown" else "",
    ]
    if use == "yes" or urine == "positive" or collateral == "yes":
        abstinent = "no"
    else:
        abstinent = "yes" if any(reported) else ""
    day = local_day(snap.first_saved.get(entry.record_id, entry.saved_at))
    return {
        "participant_id": p.code,
        "month": visit.month,
        "visit_date": day,
        "status": "attended",
        "heroin_use": use,
        "urine": urine,
        "collateral": collateral,
        "abstinent": abstinent,
    }


# -- scores -----------------------------------------------------------------------------------


def score_rows(snap: Snapshot, p: Participant) -> Iterator[Row]:
    for entry in snap.of(p):
        defn = _definition(snap, entry.instrument)
        if defn is None or defn.kind not in SCORED_KINDS:
            continue
        month = _month(snap, entry.visit)
        for item, value in _scored(defn, entry):
            yield {
                "participant_id": p.code,
                "instrument": defn.id,
                "visit": entry.visit,
                "month": month,
                "item_or_scale": item,
                "value": value,
            }


def _definition(snap: Snapshot, instrument_id: str) -> InstrumentDef | None:
    return snap.instruments.get(instrument_id)


def _month(snap: Snapshot, visit_id: str) -> int | None:
    visit = snap.visits.get(visit_id)
    if visit is None:
        return None
    if visit.phase == "baseline":
        return 0
    return visit.month if visit.phase == "follow_up" else None


def _scored(defn: InstrumentDef, entry: Entry) -> list[tuple[str, float]]:
    try:
        result = score(defn, _answers(defn, entry.data))
    except ScoringError as exc:
        raise DataError(
            f"{entry.participant} {entry.instrument}/{entry.visit}: expected "
            f"answers the core can score, got {exc}"
        ) from None
    if isinstance(result, HRSScore):
        return [(c.cluster, c.mean) for c in result.clusters if c.mean is not None]
    if isinstance(result, VASScore):
        return [(defn.id, result.value)]
    if isinstance(result, QuestionnaireScore):
        scales = [result.overall, *result.subscales]
        return [(s.name, s.value) for s in scales if s.value is not None]
    assert isinstance(result, ColourTestScore)
    return [(c.concept, c.positivity) for c in result.concepts]


def _answers(defn: InstrumentDef, data: dict[str, Any]) -> object:
    if defn.kind == "vas":
        return data.get("value")
    if isinstance(defn, ColourTestInstrument):
        return {
            "ranking": [data.get(f"rank_{i}") for i in range(1, len(defn.colours) + 1)],
            "assignments": {c: data.get(f"concept_{c}") for c in defn.concepts},
        }
    return data


# -- adverse events and blinding guesses ------------------------------------------------------


def ae_rows(snap: Snapshot, p: Participant, instrument_id: str) -> Iterator[Row]:
    for entry in snap.of(p):
        if entry.instrument != instrument_id:
            continue
        d = entry.data
        outcome = str(d.get("outcome") or "")
        yield {
            "participant_id": p.code,
            "term": d.get("term") or "",
            "onset_date": d.get("onset_date"),
            "serious": yes_no(d.get("serious")),
            "severity": d.get("severity") or "",
            "related": d.get("related") or "",
            "outcome": AE_OUTCOME.get(outcome, outcome),
        }


def guess_rows(
    snap: Snapshot, p: Participant, instrument_id: str, label: Callable[[str], str]
) -> Iterator[Row]:
    for entry in snap.of(p):
        if entry.instrument != instrument_id:
            continue
        who = GUESSER.get(str(entry.data.get("guesser_role") or entry.variant))
        guessed = entry.data.get("guessed_arm")
        if who is None or not guessed:
            continue
        yield {
            "participant_id": p.code,
            "guesser_role": who,
            "guessed_arm": label(guessed),
            "confidence": entry.data.get("confidence"),
            "visit": entry.visit,
        }
