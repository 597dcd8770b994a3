"""Small steps every phase uses: the participant as stored now, and saving one entry.

`save_entry` saves one of the cohort's entries through `visits.enter_visit_form` (the visit
page's action: the form store plus the visit-aware checks and consequences, e.g. session
safety alerts and the expedited-report clock of serious adverse events), as the user whose
role enters that instrument at the participant's site.
"""

from __future__ import annotations

from typing import Any

from psytrial.core.roles import Role
from psytrial.demo import entries
from psytrial.demo.state import DemoRun
from psytrial.sim.records import Entry, VirtualPerson
from psytrial.web.forms.models import FormRecord
from psytrial.web.trial.models import Participant
from psytrial.web.txn import locked_participant
from psytrial.web.visits.actions import enter_visit_form


def participant_of(run: DemoRun, person: VirtualPerson) -> Participant:
    """The person's participant row, read afresh (actions change its status and kit), and
    locked for the day's transaction (`txn.locked_participant`: the actions that follow then
    need not lock it again)."""
    pk = run.participants[person.index].pk
    participant = locked_participant(pk)
    if participant is None:
        raise LookupError(f"participant {pk} of the demo is missing from its database")
    participant.study, participant.site = run.study, run.site(participant.site_id)
    return participant


def save_entry(
    run: DemoRun,
    participant: Participant,
    site: str,
    visit_id: str,
    entry: Entry,
    data: dict[str, Any] | None = None,
    prefer: Role | None = None,
) -> FormRecord:
    """Save `entry` (its answers, or `data` when the demo had to adjust them)."""
    user = entries.entering_user(run.team, run.protocol, entry, site, prefer)
    raw = data if data is not None else entries.raw_data(entry.answers)
    record = enter_visit_form(user, participant, entry.instrument_id, visit_id, raw)
    run.tally.forms_saved += 1
    run.tally.actions += 1
    return record
