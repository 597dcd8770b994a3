"""Treatment: preparation sessions, the drug session, integration; scheduling a whole course.

`schedule_course` puts a randomized person's course (from the cohort, in the arm the
pharmacist's readout showed) on the agenda: each visit on its day, missed follow-up visits,
adverse events, and the end of participation (`followup`).

The drug session, as its staff do it (`session` below), from the session start (scenario
timing, 10:00 for kpt2002):

- the session clinician reads the kit code and the volume off their worklist
  (`pharmacy.session_view`, the same for both arms) and records the injection by kit code,
  time and volume (`pharmacy.record_administration`), after the pre-dose reading;
- enters each vital-signs reading at its time (`visits.enter_visit_form`, which raises the
  session-safety alert to the site's investigators when a value is out of limits), then the
  discharge checklist;
- the psychotherapist enters the Hallucinogen Rating Scale after discharge (the forms app's
  permission table gives the HRS to the psychotherapist).

Other treatment visits (preparation, integration) are entered at 14:00 on their day.

ASSUMPTION: the times of day of these steps are the demo's own; the trial's are not
published.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial

from psytrial.demo import entries
from psytrial.demo.phases import followup
from psytrial.demo.simclock import moment
from psytrial.demo.state import DemoRun
from psytrial.demo.steps import participant_of, save_entry
from psytrial.sim.records import ParticipantCourse, VirtualPerson, VisitRecord
from psytrial.web.pharmacy.actions import record_administration
from psytrial.web.pharmacy.readouts import session_view
from psytrial.web.visits.actions import end_participation
from psytrial.web.visits.safety import alerts_in

TREATMENT_VISIT = time(14, 0)
DISCHARGE_AFTER_LAST_READING = timedelta(minutes=10)
HRS_AFTER_DISCHARGE = timedelta(minutes=20)


def schedule_course(run: DemoRun, person: VirtualPerson, course: ParticipantCourse) -> None:
    dosing = _dosing_visit_id(run)
    for visit in course.visits:
        if visit.month is not None:
            followup.schedule_visit(run, person, course, visit)
        elif visit.visit_id == dosing:
            start = moment(visit.date, _session_start(run))
            run.agenda.at(
                start - timedelta(minutes=15),
                partial(_session, run, person, visit, start),
            )
        else:
            run.agenda.at(
                moment(visit.date, TREATMENT_VISIT),
                partial(_treatment_visit, run, person, visit),
            )
    if course.received_session:
        run.progress.grow("sessions", 1)
    followup.schedule_events(run, person, course)


def _dosing_visit_id(run: DemoRun) -> str | None:
    return next((v.id for v in run.protocol.schedule if v.dose == "randomized"), None)


def _session_start(run: DemoRun) -> time:
    hours, minutes = run.cohort.scenario.timing.session_start.split(":")
    return time(int(hours), int(minutes))


def _treatment_visit(run: DemoRun, person: VirtualPerson, visit: VisitRecord) -> None:
    participant = participant_of(run, person)
    for entry in visit.entries:
        save_entry(run, participant, person.site, visit.visit_id, entry)


def _session(run: DemoRun, person: VirtualPerson, visit: VisitRecord, start: datetime) -> None:
    participant = participant_of(run, person)
    vitals_id = run.protocol.session_safety.instrument if run.protocol.session_safety else None
    readings = [e for e in visit.entries if e.instrument_id == vitals_id]
    others = [e for e in visit.entries if e.instrument_id != vitals_id]
    dosed = False
    last = start
    for reading in readings:
        data = entries.raw_data(reading.answers)
        taken = moment(visit.date, _reading_time(data, start))
        if not dosed and taken >= start:
            _administer(run, person, start)
            dosed = True
        run.clock.reach(taken)
        last = max(last, taken)
        save_entry(run, participant, person.site, visit.visit_id, reading, data)
        run.tally.vital_sign_readings += 1
        if alerts_in(run.protocol, data):
            run.tally.safety_alerts += 1
    if not dosed:
        _administer(run, person, start)
    run.clock.reach(last + DISCHARGE_AFTER_LAST_READING)
    for entry in sorted(others, key=lambda e: e.instrument_id != "discharge"):
        if entry.instrument_id != "discharge":
            run.clock.pass_time(HRS_AFTER_DISCHARGE)
        save_entry(run, participant, person.site, visit.visit_id, entry)
    run.tally.sessions += 1
    run.progress.advance("sessions")


def _reading_time(data: dict[str, object], start: datetime) -> time:
    raw = data.get("time")
    if isinstance(raw, str) and ":" in raw:
        hours, minutes = raw.split(":")[:2]
        return time(int(hours), int(minutes))
    return start.timetz().replace(tzinfo=None)


def _administer(run: DemoRun, person: VirtualPerson, start: datetime) -> None:
    """The session clinician injects the kit on their worklist, by its code and volume."""
    clinician = run.team.user("clinician", person.site)
    participant = participant_of(run, person)
    run.clock.reach(start)
    view = session_view(clinician, run.study, participant.pk)
    record_administration(
        clinician,
        run.study,
        participant.pk,
        kit_code=view.kit_code,
        administered_at=start,
        volume_ml=view.total_ml,
    )
    run.tally.actions += 2


def cannot_dose(run: DemoRun, person: VirtualPerson) -> None:
    """The pharmacy refused the dose (outside the protocol's limits): the investigator
    withdraws the participant before the session. The reason names no arm and no mg: the
    pharmacist's refusal may carry sealed detail, so it is not copied into the record."""
    investigator = run.team.user("investigator", person.site)
    end_participation(
        investigator,
        participant_of(run, person),
        {
            "kind": "investigator",
            "date": run.clock.today().isoformat(),
            "reason": "The dose could not be prepared within the protocol's dosing limits",
        },
    )
    run.tally.withdrawn += 1
    run.tally.actions += 1
