"""The state of one demo run, shared by its phases: the study, team, cohort, clock, tallies.

`Tally` counts what happened, as the staff saw it (no arm: the demo's own driver is blind
too, except where a step is the pharmacist's); the summary at the end reads the per-arm
numbers from the analysis, after the database lock, like everyone else.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from psytrial.core.protocol import Protocol
from psytrial.demo.options import DemoOptions, DemoPaths
from psytrial.demo.progress import DemoProgress
from psytrial.demo.simclock import Agenda, SimClock
from psytrial.demo.users import Team
from psytrial.sim.cohort import VirtualCohort
from psytrial.web.trial.models import Participant, Site, Study


@dataclass
class Tally:
    screened: int = 0
    ineligible: int = 0
    ineligible_reasons: Counter[str] = field(default_factory=Counter)
    declined_consent: int = 0
    consented: int = 0
    randomized: int = 0
    prepared: int = 0
    sessions: int = 0
    vital_sign_readings: int = 0
    safety_alerts: int = 0
    forms_saved: int = 0
    followup_done: int = 0
    followup_missed: int = 0
    withdrawn: int = 0
    lost: int = 0
    adverse_events: int = 0
    serious_adverse_events: int = 0
    queries_raised: int = 0
    queries_closed: int = 0
    first_use_dates_adjusted: int = 0
    actions: int = 0


@dataclass
class DemoRun:
    options: DemoOptions
    paths: DemoPaths
    study: Study
    protocol: Protocol
    team: Team
    cohort: VirtualCohort
    clock: SimClock
    agenda: Agenda
    progress: DemoProgress
    tally: Tally = field(default_factory=Tally)
    participants: dict[int, Participant] = field(default_factory=dict)
    sites: dict[int, Site] = field(default_factory=dict)  # by id, read once

    def site(self, site_id: int) -> Site:
        if not self.sites:
            self.sites.update((s.pk, s) for s in self.study.sites.all())
        return self.sites[site_id]

    def site_of(self, person_index: int) -> str:
        return self.cohort.people[person_index].site
