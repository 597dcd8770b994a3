"""Follow-up: monthly visits, missed visits, adverse events, withdrawal and loss.

    10:00 on a follow-up visit's day   the outcome rater enters the follow-up form and the
                                       month's extra instruments (craving, colour test; the
                                       rater's own blinding guess at month 12, the
                                       psychotherapist the participant's and the therapist's)
    09:00 the day after a missed visit's window closed (or on the day the participant
          leaves, if that comes first)
                                       the outcome rater marks it missed, with the reason
                                       (`visits.mark_missed`)
    13:30 on the session day / 16:00 on a later onset day
                                       an adverse event, entered by the session clinician
                                       (during the session day) or the investigator; a serious
                                       one is marked reported to the sponsor 4 hours later
                                       (`visits.mark_sae_reported`)
    17:30 on the day the course ends   withdrawal or loss to follow-up, by the investigator
                                       (`visits.end_participation` with the withdrawal form)

The date of first heroin use on a follow-up form must fall after the previous follow-up
visit and not after this one (`visits.followup.check_first_use`); a cohort date outside that
range is moved to the nearest allowed day, as the rater would correct it with the
participant, and counted (`Tally.first_use_dates_adjusted`).

ASSUMPTION: the times of day of these steps are the demo's own; the trial's are not
published.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from psytrial.core.roles import Role
from psytrial.core.status import TERMINAL_STATES, ParticipantState
from psytrial.demo import entries
from psytrial.demo.phases import quality
from psytrial.demo.simclock import moment
from psytrial.demo.state import DemoRun
from psytrial.demo.steps import participant_of, save_entry
from psytrial.sim.records import AdverseEvent, ParticipantCourse, VirtualPerson, VisitRecord
from psytrial.web.visits.actions import end_participation, mark_missed, mark_sae_reported

FOLLOW_UP_VISIT, MARK_MISSED = time(10, 0), time(9, 0)
SESSION_DAY_AE, LATER_AE, END = time(13, 30), time(16, 0), time(17, 30)
SAE_REPORTED_AFTER = timedelta(hours=4)
FIRST_USE = "first_use_date"
MISSED_REASON = "Participant could not be reached within the visit window"
LEAVING = ("lost", "withdrew")


def schedule_visit(
    run: DemoRun, person: VirtualPerson, course: ParticipantCourse, visit: VisitRecord
) -> None:
    run.progress.grow("follow-up", 1)
    if visit.attended:
        run.agenda.at(
            moment(visit.date, FOLLOW_UP_VISIT), partial(_visit, run, person, course, visit)
        )
    else:
        run.agenda.at(_mark_missed_at(run, course, visit), partial(_missed, run, person, visit))


def _mark_missed_at(run: DemoRun, course: ParticipantCourse, visit: VisitRecord) -> datetime:
    """The day after the window closed; or, if the participant leaves before then, the
    morning of the day they leave (afterwards the visit is no longer expected)."""
    when = moment(_window_closes(run, course, visit) + timedelta(days=1), MARK_MISSED)
    if course.end in LEAVING:
        when = min(when, moment(course.end_date, MARK_MISSED))
    return when


def _window_closes(run: DemoRun, course: ParticipantCourse, visit: VisitRecord) -> date:
    spec = run.protocol.visit(visit.visit_id)
    anchor = course.session_date if spec.anchor == "drug_session" else course.randomized_on
    return (anchor or course.randomized_on) + timedelta(days=spec.offset_days + spec.window.after)


def _visit(
    run: DemoRun, person: VirtualPerson, course: ParticipantCourse, visit: VisitRecord
) -> None:
    participant = participant_of(run, person)
    followup_id = run.protocol.outcomes.primary.instrument
    for entry in visit.entries:
        data = entries.raw_data(entry.answers)
        if entry.instrument_id == followup_id and data.get(FIRST_USE):
            data = _first_use_in_range(run, course, visit, data)
        record = save_entry(run, participant, person.site, visit.visit_id, entry, data)
        quality.after_entry(run, person, record, data)
    run.tally.followup_done += 1
    run.progress.advance("follow-up")


def _first_use_in_range(
    run: DemoRun, course: ParticipantCourse, visit: VisitRecord, data: dict[str, Any]
) -> dict[str, Any]:
    earlier = [
        v.date for v in course.visits if v.month is not None and v.attended and v.date < visit.date
    ]
    lowest = (
        max(earlier) + timedelta(days=1) if earlier else course.session_date or course.randomized_on
    )
    given = date.fromisoformat(str(data[FIRST_USE]))
    kept = min(max(given, lowest), visit.date)
    if kept != given:
        run.tally.first_use_dates_adjusted += 1
    return {**data, FIRST_USE: kept.isoformat()}


def _missed(run: DemoRun, person: VirtualPerson, visit: VisitRecord) -> None:
    participant = participant_of(run, person)
    run.tally.followup_missed += 1
    run.progress.advance("follow-up")
    if ParticipantState(participant.status) in TERMINAL_STATES:
        return  # the participant has left: the visit is no longer expected, nothing to mark
    mark_missed(run.team.user("rater", person.site), participant, visit.visit_id, MISSED_REASON)
    run.tally.actions += 1


def schedule_events(run: DemoRun, person: VirtualPerson, course: ParticipantCourse) -> None:
    for event in course.adverse_events:
        on_session_day = event.onset_date == course.session_date
        when = moment(event.onset_date, SESSION_DAY_AE if on_session_day else LATER_AE)
        run.agenda.at(when, partial(_adverse, run, person, event, on_session_day))
    if course.end in LEAVING and course.withdrawal is not None:
        run.agenda.at(moment(course.end_date, END), partial(_end, run, person, course))


def _adverse(
    run: DemoRun, person: VirtualPerson, event: AdverseEvent, on_session_day: bool
) -> None:
    if event.entry is None:
        return
    prefer = Role.SESSION_CLINICIAN if on_session_day else Role.INVESTIGATOR
    record = save_entry(
        run, participant_of(run, person), person.site, "", event.entry, prefer=prefer
    )
    run.tally.adverse_events += 1
    if event.serious:
        run.tally.serious_adverse_events += 1
        run.agenda.at(
            run.clock.now() + SAE_REPORTED_AFTER, partial(_report_sae, run, person, record.pk)
        )


def _report_sae(run: DemoRun, person: VirtualPerson, record_id: int) -> None:
    investigator = run.team.user("investigator", person.site)
    mark_sae_reported(
        investigator,
        run.study,
        record_id,
        reference=f"SAE-{run.study.code.upper()}-{record_id:05d}",
    )
    run.tally.actions += 1


def _end(run: DemoRun, person: VirtualPerson, course: ParticipantCourse) -> None:
    assert course.withdrawal is not None
    investigator = run.team.user("investigator", person.site)
    raw = entries.raw_data(course.withdrawal.answers)
    end_participation(investigator, participant_of(run, person), raw)
    if course.end == "lost":
        run.tally.lost += 1
    else:
        run.tally.withdrawn += 1
    run.tally.actions += 1
