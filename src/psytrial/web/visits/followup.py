"""A context rule the generic form layer cannot check alone: the date of first use.

The follow-up form's `first_use_date` must fall between the last two follow-up visits: after
the previous follow-up visit's date and not after this visit's date. A visit's date is the day
its follow-up form was first saved (the forms app stamps every version with the clock's time);
this visit's date is today while it is being entered. Before the first follow-up visit, the
previous date is the drug session's (its anchor; or randomization, for a protocol whose
follow-up hangs off randomization), and use on that same day is allowed: the session ends
hours before the participant could use.

The forms app exposes no validation hook (yet), so `actions.enter_visit_form` calls
`check_first_use` before saving a follow-up form, and the timeline sends follow-up entries to
that visit-aware page. An entry made through the generic form page is not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from psytrial.core.errors import FormError, ProtocolError
from psytrial.core.protocol import Protocol, Visit
from psytrial.web import clock
from psytrial.web.forms.models import FormRecord, FormVersion
from psytrial.web.trial.models import Participant
from psytrial.web.visits.schedule import anchor_dates, local_date

FIELD = "first_use_date"


def followup_instrument(protocol: Protocol) -> str:
    """The follow-up form: the primary outcome's instrument (kpt2002: 'followup')."""
    return protocol.outcomes.primary.instrument


def check_first_use(participant: Participant, visit_id: str, data: Mapping[str, Any]) -> None:
    """FormError on `first_use_date` unless previous visit date < it <= this visit's date."""
    raw = data.get(FIELD)
    if raw in (None, ""):
        return
    given = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    protocol = participant.study.protocol
    try:
        visit = protocol.visit(visit_id)
    except ProtocolError:
        return  # placement is the form layer's check
    if visit.phase != "follow_up":
        return
    instrument_id = followup_instrument(protocol)
    this_day = _visit_day(participant, instrument_id, visit.id) or clock.today()
    previous = _previous(participant, protocol, instrument_id, visit)
    if previous is None:
        return
    label, previous_day, inclusive = previous
    too_early = given < previous_day if inclusive else given <= previous_day
    if too_early or given > this_day:
        after = "on or after" if inclusive else "after"
        raise FormError(
            {
                FIELD: [
                    f"expected a date {after} {previous_day.isoformat()} ({label}) and not after "
                    f"{this_day.isoformat()} (this visit, {visit.id}), got {given.isoformat()}"
                ]
            }
        )


def _previous(
    participant: Participant, protocol: Protocol, instrument_id: str, visit: Visit
) -> tuple[str, date, bool] | None:
    follow_ups = [v for v in protocol.schedule if v.phase == "follow_up"]
    before = follow_ups[: follow_ups.index(visit)]
    for earlier in reversed(before):
        day = _visit_day(participant, instrument_id, earlier.id)
        if day is not None:
            return f"the previous follow-up visit, {earlier.id}", day, False
    anchor = anchor_dates(participant).get(visit.anchor)
    if anchor is None:
        return None
    return f"the {visit.anchor.replace('_', ' ')}", anchor, True


def _visit_day(participant: Participant, instrument_id: str, visit_id: str) -> date | None:
    record = FormRecord.objects.filter(
        participant=participant,
        instrument_id=instrument_id,
        visit_id=visit_id,
        current_version__gt=0,
    ).first()
    if record is None:
        return None
    first = FormVersion.objects.filter(record=record).order_by("version").first()
    return local_date(first.saved_at) if first is not None else None
