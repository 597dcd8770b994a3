"""Randomization actions: the allocation list (once per study) and randomizing a participant.

    generate_list(user, study, n_per_stratum=..., seed=None)   the statistician draws the list
    upload_list(user, study, csv_text)                          ... or uploads one made elsewhere
    randomize(user, participant)                                an investigator at the site

`randomize` takes the next free slot of the participant's stratum. Concurrent requests are
serialized: the participant's row (that row only) is locked first (a second request for the
same participant waits, then finds the first allocation and returns it), then the study's list
row with the audit chain head, in one statement (so two participants never race for one slot,
and no slot is skipped: each takes the lowest free sequence). On PostgreSQL these are row
locks (SELECT ... FOR UPDATE); on SQLite the IMMEDIATE transaction already holds the
database's write lock from its first statement. A row lock on
the list, rather than FOR UPDATE on the slot itself, because PostgreSQL re-checks a locked
row after waiting and with ORDER BY ... LIMIT 1 may then return no row instead of the next.

What can be read before the locks is read before them: the participant's readiness (the
eligibility, consent and stratum forms) is worked out first, holding nothing; under the lock
it stands only if the participant's row still says consented, in that stratum (a form saved in
between changes the row in its own transaction), otherwise it is worked out again there. So
the serialized part is two round trips to the server: the next free slot read, then one
statement that takes it, moves the participant's row and writes the audit entry with the chain
head's move (`web.fastsql.insert` with several `then`s); the list's sealed CSV is never read.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import reverse

from psytrial.core.allocation import (
    AllocationList as CoreList,
)
from psytrial.core.allocation import (
    AllocationParameters,
    SeededSource,
    SystemSource,
    commitment,
    from_csv,
    generate_from,
    to_csv,
)
from psytrial.core.errors import AllocationError
from psytrial.core.protocol.adapters import allocation_arms, allocation_parameters
from psytrial.core.roles import Role
from psytrial.core.status import ParticipantEvent, ParticipantState, transition
from psytrial.web import clock
from psytrial.web.audit.trail import lock_with_head, pending
from psytrial.web.audit.trail import record as audit
from psytrial.web.enrolment.readiness import readiness
from psytrial.web.fastsql import first, insert, update_sql
from psytrial.web.permissions import ActionRefused, require_role
from psytrial.web.randomization.models import AllocationList, AllocationSlot
from psytrial.web.sealing import seal
from psytrial.web.trial.actions import notify, notify_roles
from psytrial.web.trial.models import Membership, Participant, Study
from psytrial.web.txn import action_transaction, locked_participant

User = AbstractBaseUser
STATISTICIANS = frozenset({Role.RANDOMIZATION_STATISTICIAN})
RANDOMIZERS = frozenset({Role.INVESTIGATOR})
MAX_UPLOAD_BYTES = 20_000_000


@dataclass(frozen=True)
class Allocation:
    """A participant's allocation as blinded staff may see it; `created` is False when asked
    again (the first allocation is returned unchanged)."""

    participant: Participant
    kit_code: str
    created: bool


def generate_list(
    user: User, study: Study, *, n_per_stratum: int, seed: int | None = None
) -> AllocationList:
    """Draw the study's list from the protocol (system CSPRNG, or a seed to verify it later)."""
    membership = require_role(user, study, STATISTICIANS)
    _refuse_second_list(study)
    if isinstance(n_per_stratum, bool) or not isinstance(n_per_stratum, int):
        raise AllocationError(f"n_per_stratum: expected a whole number, got {n_per_stratum!r}")
    parameters = allocation_parameters(study.protocol, n_per_stratum)
    source = SystemSource() if seed is None else SeededSource(_checked_seed(seed))
    return _store(user, study, membership, generate_from(parameters, source), "generated")


def upload_list(user: User, study: Study, csv_text: str) -> AllocationList:
    """Load a list made elsewhere; a malformed file or one for another design changes nothing."""
    membership = require_role(user, study, STATISTICIANS)
    _refuse_second_list(study)
    if len(csv_text) > MAX_UPLOAD_BYTES:
        raise AllocationError(
            f"file: expected at most {MAX_UPLOAD_BYTES} bytes, got {len(csv_text)}"
        )
    allocation = from_csv(csv_text)
    _check_design(study, allocation.parameters)
    return _store(user, study, membership, allocation, "uploaded")


def randomize(user: User, participant: Participant) -> Allocation:
    """Give a ready participant the next free slot of their stratum; idempotent."""
    study = participant.study
    membership = require_role(user, study, RANDOMIZERS, participant.site)
    # Read before the write transaction, holding no lock (the eligibility, consent and stratum
    # forms); it stands only if the participant's row, read again under its lock, still says
    # what it said: consented, in that stratum. Otherwise it is worked out again under the lock.
    early = readiness(participant)
    with action_transaction():
        fresh = locked_participant(participant.pk)
        if fresh is None:
            raise ActionRefused(f"expected participant {participant.code}, found none")
        # The same study and site rows, already loaded (the study's protocol text is long).
        fresh.study, fresh.site = study, participant.site
        if fresh.randomized_at is not None:
            return Allocation(fresh, fresh.kit_code, False)
        if study.is_locked:
            raise ActionRefused(f"study {study.code}: expected an open database, got a locked one")
        if (
            not early.blockers
            and early.stratum.label is not None
            and fresh.status == ParticipantState.CONSENTED.value
            and fresh.stratum == early.stratum.label
        ):
            stratum = early.stratum.label
        else:
            stratum = _ready_stratum(fresh)
        # The list's row lock serializes randomizations: it is taken with the audit chain
        # head in one statement, and everything inside it is one more read and one write.
        allocation = lock_with_head(AllocationList, study_id=study.pk)
        if allocation is None:
            raise ActionRefused(
                f"{fresh.code} cannot be randomized yet: the randomization "
                "statistician has not published the allocation list"
            )
        slot = _next_free_slot(allocation, stratum)
        _take(user, membership, fresh, slot, stratum)
    return Allocation(fresh, slot.kit_code, True)


def _ready_stratum(participant: Participant) -> str:
    state = readiness(participant)
    if state.blockers:
        raise ActionRefused(
            f"{participant.code} cannot be randomized yet: " + "; ".join(state.blockers)
        )
    assert state.stratum.label is not None  # a missing stratum is one of the blockers
    return state.stratum.label


def _next_free_slot(allocation_id: int, stratum: str) -> AllocationSlot:
    slot = first(
        AllocationSlot,
        order_by="sequence",
        allocation_id=allocation_id,
        stratum=stratum,
        participant_id=None,
    )
    if slot is None:
        total = AllocationSlot.objects.filter(allocation_id=allocation_id, stratum=stratum).count()
        raise ActionRefused(
            f"stratum {stratum}: expected a free slot, got none (all {total} "
            "taken); the randomization statistician must extend the list"
        )
    return slot


def _take(
    user: User, membership: Membership, participant: Participant, slot: AllocationSlot, stratum: str
) -> None:
    now = clock.now()
    slot.participant, slot.taken_at = participant, now
    before = participant.status
    participant.status = transition(before, ParticipantEvent.RANDOMIZED).value
    participant.kit_code, participant.randomized_at = slot.kit_code, now
    participant.stratum = stratum
    study = participant.study
    entry = pending(
        actor=user.get_username(),
        role=membership.role,
        action="participant.randomized",
        study=study.code,
        object_type="participant",
        object_id=participant.code,
        old={"status": before},
        new={"status": participant.status, "kit_code": slot.kit_code, "stratum": stratum},
    )
    # The slot taken, the participant's new state, the audit entry and the head's move: one
    # statement on PostgreSQL.
    insert(entry.row, then=[
        update_sql(slot, "participant", "taken_at"),
        update_sql(participant, "status", "kit_code", "randomized_at", "stratum"),
        entry.then,
    ])
    entry.written()
    url = reverse("enrolment:participant", kwargs={"code": study.code, "pk": participant.pk})
    text = f"{participant.code} randomized: prepare kit {slot.kit_code}"
    # The pharmacists are told after the commit, outside the lock that serializes
    # randomization, in one statement.
    transaction.on_commit(lambda: notify_roles(study, {Role.PHARMACIST}, text, url))


def _refuse_second_list(study: Study) -> None:
    if AllocationList.objects.filter(study=study).exists():
        raise ActionRefused(
            f"study {study.code}: expected no allocation list yet, but one "
            "exists; a study has one list, generated or uploaded once"
        )


def _checked_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise AllocationError(f"seed: expected a whole number of at least 0, got {seed!r}")
    return seed


def _check_design(study: Study, parameters: AllocationParameters) -> None:
    protocol = study.protocol
    expected_arms = allocation_arms(protocol)
    if parameters.study_id != protocol.study.id:
        raise AllocationError(
            f"study_id: expected {protocol.study.id!r}, got {parameters.study_id!r}"
        )
    if parameters.arms != expected_arms:
        shown = ",".join(f"{a.arm_id}:{a.ratio}" for a in expected_arms)
        got = ",".join(f"{a.arm_id}:{a.ratio}" for a in parameters.arms)
        raise AllocationError(f"arms: expected {shown} as in the protocol, got {got}")
    if parameters.strata != protocol.stratum_labels():
        raise AllocationError(
            f"strata: expected {','.join(protocol.stratum_labels())} as in "
            f"the protocol, got {','.join(parameters.strata)}"
        )


def _store(
    user: User, study: Study, membership: Membership, allocation: CoreList, how: str
) -> AllocationList:
    text = to_csv(allocation)
    digest = commitment(allocation)
    p = allocation.parameters
    parameters = {
        "strata": list(p.strata),
        "n_per_stratum": p.n_per_stratum,
        "arms": {a.arm_id: a.ratio for a in p.arms},
        "block_multipliers": list(p.block_multipliers),
    }
    try:
        with transaction.atomic():
            row = AllocationList.objects.create(
                study=study,
                commitment=digest,
                seeded=allocation.seed is not None,
                parameters=parameters,
                created_by=user,
                created_at=clock.now(),
                how=how,
                sealed_csv=seal({"csv": text}),
            )
            AllocationSlot.objects.bulk_create(
                [
                    AllocationSlot(
                        allocation=row,
                        stratum=s.stratum,
                        sequence=s.sequence,
                        kit_code=s.kit_code,
                        arm_sealed=seal({"arm": s.arm_id}),
                    )
                    for s in allocation.slots
                ],
                batch_size=1000,
            )
            audit(
                actor=user.get_username(),
                role=membership.role,
                action=f"allocation_list.{how}",
                study=study.code,
                object_type="allocation_list",
                object_id=row.pk,
                new={
                    "commitment": digest,
                    "seeded": row.seeded,
                    "slots": len(allocation.slots),
                    **parameters,
                },
            )
            members = list(
                {
                    m.user
                    for m in Membership.objects.filter(study=study, active=True).select_related(
                        "user"
                    )
                }
            )
            notify(
                members,
                study,
                f"Allocation list published; commitment SHA-256 {digest}",
                reverse("trial:study", kwargs={"code": study.code}),
            )
    except IntegrityError:
        raise ActionRefused(
            f"study {study.code}: expected no allocation list yet, but one was created meanwhile"
        ) from None
    return row
