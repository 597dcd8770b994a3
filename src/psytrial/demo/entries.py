"""From a virtual participant's answers to what a user types into the entry form.

The cohort gives answers in the shape the core instruments score (`psytrial.sim.records`);
the form store takes the entry form's fields (`psytrial.web.forms.catalog`): a VAS is the
field `value`, a colour test is `rank_1..n` and `concept_<id>`, HRS items and forms are
their own field ids. Dates and times go in as ISO text, as the JSON API would send them.

Who types an entry is looked up in the forms app's permission table (`entry_roles`): the
first of the table's roles, in the order below, that the demo has at the participant's
site, e.g. the HRS by the psychotherapist, craving by the outcome rater, the participant's
and the therapist's blinding guesses by the psychotherapist, the rater's by the rater.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from psytrial.core.instruments import ColourTestAnswers, InstrumentDef
from psytrial.core.protocol import Protocol
from psytrial.core.roles import Role
from psytrial.demo.users import Team
from psytrial.sim.records import Entry
from psytrial.web.forms.catalog import instrument
from psytrial.web.forms.permissions import entry_roles, variants_of

HANDLES: tuple[tuple[Role, str], ...] = (
    (Role.INVESTIGATOR, "investigator"),
    (Role.PSYCHOTHERAPIST, "psychotherapist"),
    (Role.SESSION_CLINICIAN, "clinician"),
    (Role.OUTCOME_RATER, "rater"),
)


def raw_data(answers: object) -> dict[str, Any]:
    """The entry form's raw data for one answer set of the cohort."""
    if isinstance(answers, ColourTestAnswers):
        data: dict[str, Any] = {f"rank_{i}": c for i, c in enumerate(answers.ranking, start=1)}
        data.update({f"concept_{k}": v for k, v in answers.assignments.items()})
        return data
    if isinstance(answers, int | float) and not isinstance(answers, bool):
        return {"value": answers}
    if isinstance(answers, Mapping):
        return {k: _plain(v) for k, v in answers.items() if v is not None}
    raise TypeError(f"expected answers of a form, a VAS or a colour test, got {answers!r}")


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def variant_of(defn: InstrumentDef, data: Mapping[str, Any]) -> str | None:
    variants = variants_of(defn)
    return None if variants is None else str(data.get(variants.field) or "")


def entering_handle(protocol: Protocol, entry: Entry, prefer: Role | None = None) -> str:
    """The demo user (handle) who enters `entry`, from the forms app's permission table."""
    defn = instrument(protocol, entry.instrument_id)
    data = raw_data(entry.answers)
    allowed = entry_roles(defn, variant_of(defn, data))
    if prefer is not None and prefer in allowed:
        return dict(HANDLES)[prefer]
    for role, handle in HANDLES:
        if role in allowed:
            return handle
    raise LookupError(
        f"no demo role enters {entry.instrument_id}: the table allows "
        f"{', '.join(sorted(r.value for r in allowed)) or 'none'}"
    )


def entering_user(
    team: Team, protocol: Protocol, entry: Entry, site: str, prefer: Role | None = None
) -> AbstractBaseUser:
    return team.user(entering_handle(protocol, entry, prefer), site)
