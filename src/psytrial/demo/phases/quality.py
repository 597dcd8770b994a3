"""Data cleaning and the database lock.

The data manager runs two edit checks on entered data (ASSUMPTION: the demo's own checks,
typical of a data-management plan; the reference trial's are not published) and raises a
query on each hit, three days after the form was saved:

    baseline weight outside 50-90 kg   "please confirm against the source document"
                                       -> the investigator confirms it two days later
    follow-up urine test "not done"    "please give the reason"
                                       -> the outcome rater (who enters follow-up forms)
                                          answers two days later

and closes each query the day after its answer (`quality.actions`: raise_query,
answer_query, close_query). When the last visit is done and no query is open, the data
manager locks the database (`quality.lock.lock_study`), a week after the last event; from
then on no data can change, and the trial statistician is unblinded for the final analysis.
"""

from __future__ import annotations

from datetime import time, timedelta
from functools import partial
from typing import Any

from psytrial.demo.simclock import moment
from psytrial.demo.state import DemoRun
from psytrial.sim.records import VirtualPerson
from psytrial.web.forms.models import FormRecord
from psytrial.web.quality.actions import answer_query, close_query, raise_query
from psytrial.web.quality.lock import lock_study
from psytrial.web.quality.models import Query
from psytrial.web.trial.models import Study

RAISE_AFTER, ANSWER_AFTER, CLOSE_AFTER = timedelta(days=3), timedelta(days=2), timedelta(days=1)
RAISE_AT, ANSWER_AT, CLOSE_AT = time(15, 0), time(11, 0), time(15, 30)
WEIGHT_RANGE = (50.0, 90.0)
LOCK_AFTER = timedelta(days=7)
LOCK_REASON = "Last participant's last visit done; every query closed; data cleaning complete"


def after_entry(
    run: DemoRun, person: VirtualPerson, record: FormRecord, data: dict[str, Any]
) -> None:
    """Run the edit checks on a saved entry; schedule a query for each hit."""
    hit = _edit_check(record.instrument_id, data)
    if hit is None:
        return
    field_id, question, answer, answerer = hit
    day = run.clock.today()
    raise_on = moment(day + RAISE_AFTER, RAISE_AT)
    run.agenda.at(
        raise_on, partial(_raise, run, person, record.pk, field_id, question, answer, answerer)
    )


def _edit_check(instrument_id: str, data: dict[str, Any]) -> tuple[str, str, str, str] | None:
    if instrument_id == "baseline":
        weight = data.get("weight_kg")
        low, high = WEIGHT_RANGE
        if isinstance(weight, int | float) and not low <= weight <= high:
            return (
                "weight_kg",
                f"Weight {weight:g} kg is outside the usual range ({low:g}-{high:g} kg): "
                "please confirm it against the source document.",
                f"Checked against the source document: {weight:g} kg is correct.",
                "investigator",
            )
    if instrument_id == "followup" and data.get("urine") == "not_done":
        return (
            "urine",
            "Urine toxicology not done at this visit: please give the reason.",
            "The participant was seen outside the clinic; no sample could be collected.",
            "rater",
        )
    return None


def _raise(
    run: DemoRun,
    person: VirtualPerson,
    record_id: int,
    field_id: str,
    question: str,
    answer: str,
    answerer: str,
) -> None:
    record = FormRecord.objects.select_related("participant__site").get(pk=record_id)
    query = raise_query(run.team.user("datamanager"), record, field_id, question)
    run.tally.queries_raised += 1
    run.tally.actions += 1
    run.progress.grow("queries", 1)
    answer_on = moment(run.clock.today() + ANSWER_AFTER, ANSWER_AT)
    run.agenda.at(answer_on, partial(_answer, run, person, query.pk, answer, answerer))


def _answer(run: DemoRun, person: VirtualPerson, query_id: int, answer: str, answerer: str) -> None:
    query = _query(query_id)
    answer_query(run.team.user(answerer, person.site), query, answer)
    run.tally.actions += 1
    close_on = moment(run.clock.today() + CLOSE_AFTER, CLOSE_AT)
    run.agenda.at(close_on, partial(_close, run, query_id))


def _close(run: DemoRun, query_id: int) -> None:
    close_query(run.team.user("datamanager"), _query(query_id), "Answer accepted.")
    run.tally.queries_closed += 1
    run.tally.actions += 1
    run.progress.advance("queries")


def _query(query_id: int) -> Query:
    rows = Query.objects.select_related("record__participant__site", "participant", "study")
    query: Query = rows.get(pk=query_id)
    return query


def lock_database(run: DemoRun) -> Study:
    run.clock.pass_time(LOCK_AFTER)
    locked = lock_study(run.team.user("datamanager"), run.study, LOCK_REASON)
    run.tally.actions += 1
    run.study = locked
    return locked
