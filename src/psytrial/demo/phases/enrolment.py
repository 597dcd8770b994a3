"""Screening to randomization, and the pharmacy: the steps before anyone is treated.

For each person of the cohort, in arrival order, on their screening day:

    09:00  the site's investigator screens them (`enrolment.screen`) and enters the
           eligibility checklist (`record_eligibility`): a failed criterion makes them
           ineligible, with the criteria audited. An eligible person who refuses consent is
           withdrawn by the investigator (`visits.end_participation`, "declined consent");
           the others' consent is recorded (`record_consent`).
    09:30  (each later visit before randomization, e.g. baseline) its forms, each entered by
           the role the forms app's permission table names (`visits.enter_visit_form`)
    11:00  the investigator randomizes (`randomization.randomize`): the next free slot of the
           stratum in the sealed list; the investigator sees the kit code only
    11:30  a pharmacist prepares the kit (`pharmacy.prepare_dose`), a second pharmacist checks
           it (`check_preparation`). The pharmacist's own readout (`preparation_details`,
           opened with the pharmacist's capability) is the only place the demo learns the
           arm; it then asks the cohort for this person's course in that arm and schedules it.

ASSUMPTION: the times of day of these steps are the demo's own; the trial's are not
published.
"""

from __future__ import annotations

from datetime import time, timedelta
from functools import partial

from psytrial.core.errors import DosingError
from psytrial.demo import entries
from psytrial.demo.phases import quality, treatment
from psytrial.demo.simclock import moment
from psytrial.demo.state import DemoRun
from psytrial.demo.steps import participant_of, save_entry
from psytrial.sim.records import Entry, VirtualPerson, VisitRecord
from psytrial.web.enrolment.actions import record_consent, record_eligibility, screen
from psytrial.web.pharmacy.actions import check_preparation, prepare_dose
from psytrial.web.pharmacy.readouts import preparation_details
from psytrial.web.randomization.actions import randomize
from psytrial.web.trial.models import Participant, Site
from psytrial.web.visits.actions import end_participation

SCREENING, PRE_VISIT = time(9, 0), time(9, 30)
RANDOMIZATION, PHARMACY = time(11, 0), time(11, 30)
CHECK_AFTER = timedelta(minutes=15)
ELIGIBILITY_ID, CONSENT_ID = "eligibility", "consent"


def schedule_screening(run: DemoRun) -> None:
    for person in run.cohort.people:
        run.agenda.at(moment(person.screened_on, SCREENING), partial(_screen, run, person))


def _site(run: DemoRun, code: str) -> Site:
    site: Site = Site.objects.get(study=run.study, code=code)
    return site


def _screen(run: DemoRun, person: VirtualPerson) -> None:
    investigator = run.team.user("investigator", person.site)
    participant = screen(investigator, run.study, _site(run, person.site))
    run.participants[person.index] = participant
    run.tally.screened += 1
    first, *later = person.visits
    checklist = _only(first, ELIGIBILITY_ID)
    record_eligibility(
        investigator, participant, first.visit_id, entries.raw_data(checklist.answers)
    )
    run.tally.actions += 2
    run.progress.advance("screening")
    if person.failed_criteria:
        run.tally.ineligible += 1
        run.tally.ineligible_reasons.update(person.failed_criteria)
        return
    if not person.consented:
        _declined(run, participant, person)
        return
    consent = _only(first, CONSENT_ID)
    record_consent(investigator, participant, first.visit_id, entries.raw_data(consent.answers))
    run.tally.consented += 1
    run.tally.actions += 1
    for visit in later:
        run.agenda.at(moment(visit.date, PRE_VISIT), partial(_pre_visit, run, person, visit))
    assert person.randomize_on is not None
    run.agenda.at(moment(person.randomize_on, RANDOMIZATION), partial(_randomize, run, person))


def _only(visit: VisitRecord, instrument_id: str) -> Entry:
    found = visit.entries_for(instrument_id)
    if len(found) != 1:
        raise LookupError(f"{visit.visit_id}: expected one {instrument_id} entry, got {len(found)}")
    return found[0]


def _declined(run: DemoRun, participant: Participant, person: VirtualPerson) -> None:
    investigator = run.team.user("investigator", person.site)
    end_participation(
        investigator,
        participant,
        {
            "kind": "withdrew",
            "date": run.clock.today().isoformat(),
            "reason": "Declined to give consent",
        },
    )
    run.tally.declined_consent += 1
    run.tally.actions += 1


def _pre_visit(run: DemoRun, person: VirtualPerson, visit: VisitRecord) -> None:
    participant = participant_of(run, person)
    for entry in visit.entries:
        data = entries.raw_data(entry.answers)
        record = save_entry(run, participant, person.site, visit.visit_id, entry, data)
        quality.after_entry(run, person, record, data)


def _randomize(run: DemoRun, person: VirtualPerson) -> None:
    investigator = run.team.user("investigator", person.site)
    allocation = randomize(investigator, participant_of(run, person))
    run.participants[person.index] = allocation.participant
    run.tally.randomized += 1
    run.tally.actions += 1
    run.progress.advance("randomization", note=f"last kit {allocation.kit_code}")
    run.agenda.at(moment(run.clock.today(), PHARMACY), partial(_pharmacy, run, person))


def _pharmacy(run: DemoRun, person: VirtualPerson) -> None:
    participant = participant_of(run, person)
    pharmacist = run.team.user("pharmacist", person.site)
    checker = run.team.user("pharmacist2", person.site)
    randomized_on = participant.randomized_at.date() if participant.randomized_at else None
    try:
        prep = prepare_dose(pharmacist, run.study, participant.pk)
    except DosingError:
        treatment.cannot_dose(run, person)
        return
    run.clock.pass_time(CHECK_AFTER)
    check_preparation(checker, run.study, prep.pk)
    run.tally.prepared += 1
    run.tally.actions += 2
    # The pharmacist's readout is the demo's only window on the arm, as it is the staff's.
    arm = preparation_details(pharmacist, run.study, prep).arm_id
    course = run.cohort.outcomes_for(person.index, arm, randomized_on)
    treatment.schedule_course(run, person, course)
