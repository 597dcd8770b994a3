"""Who may do what in trial conduct: the role sets, and the viewer's knowledge of the arm.

    role / action                          who
    read a timeline, the worklist          the form readers (investigator, psychotherapist,
                                           session clinician, outcome rater, pharmacist, data
                                           manager, monitor, DSMB member) at the site
    read the dashboard                     any member of the study
    per-arm dashboard table                DSMB members; the trial statistician after lock
    mark a visit missed                    investigators; the roles that enter one of the
                                           visit's instruments (the rater for a follow-up)
    mark a serious AE reported             investigators at the site
    withdraw, record loss to follow-up     investigators at the site
    session safety page                    readers of the vital-signs instrument (never the
                                           outcome rater: it reveals the arm)

ASSUMPTION: this split follows the design brief's role table; it is not published for the
reference trial.
"""

from __future__ import annotations

from psytrial.core.blinding import may_see_sealed
from psytrial.core.protocol import Protocol, Visit
from psytrial.core.roles import Role
from psytrial.web.forms.catalog import instrument
from psytrial.web.forms.permissions import READERS, may_enter
from psytrial.web.permissions import AnyUser, roles_of
from psytrial.web.randomization.queries import arm_for_viewer
from psytrial.web.trial.models import Participant, Study
from psytrial.web.visits.schedule import has_arm_specific_visits

TIMELINE_READERS = READERS
SAE_REPORTERS = frozenset({Role.INVESTIGATOR})
WITHDRAWERS = frozenset({Role.INVESTIGATOR})
PER_ARM_ROLES = frozenset({Role.DSMB_MEMBER, Role.TRIAL_STATISTICIAN})


def missed_markers(protocol: Protocol, visit: Visit) -> frozenset[Role]:
    """Investigators, and the roles that enter (and may see) one of the visit's instruments."""
    roles = {Role.INVESTIGATOR}
    for instrument_id in visit.instruments:
        defn = instrument(protocol, instrument_id)
        roles |= {r for r in Role if may_enter({r}, defn)}
    return frozenset(roles)


def viewer_arm(user: AnyUser, participant: Participant) -> str | None:
    """The participant's arm if the protocol needs it for scheduling and the viewer may know it.

    Only protocols with arm-specific visits ask; a double-blind one never does.
    """
    if not has_arm_specific_visits(participant.study.protocol):
        return None
    return arm_for_viewer(user, participant)


def per_arm_role(user: AnyUser, study: Study) -> Role | None:
    """The DSMB or (after lock) trial statistician role that lets the user see per-arm counts."""
    status_map = study.protocol.blinding.status_map()
    for role in sorted(roles_of(user, study) & PER_ARM_ROLES):
        if may_see_sealed(role, status_map, study.is_locked):
            return role
    return None
