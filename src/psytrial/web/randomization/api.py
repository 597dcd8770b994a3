"""JSON API of randomization, with the same permissions and blind as the pages.

POST /randomization/{code}/participants/{pk}/randomize   an investigator at the site;
                                                         idempotent (`created` false when
                                                         asked again); kit code, never the arm
GET  /randomization/{code}/allocation                    every member: the list's commitment
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from psytrial.web.forms.apikit import ERRORS, FormErrorOut, answer, member_study, respond
from psytrial.web.permissions import ActionDenied, fetch_participant
from psytrial.web.randomization.actions import RANDOMIZERS, randomize
from psytrial.web.randomization.queries import allocation_list

router = Router(tags=["randomization"])


class RandomizedOut(Schema):
    participant_id: int
    code: str
    kit_code: str
    stratum: str
    randomized_at: datetime
    created: bool


class CommitmentOut(Schema):
    commitment: str
    created_at: datetime
    how: str
    seeded: bool
    strata: list[str]
    n_per_stratum: int


@router.post("/{code}/participants/{pk}/randomize", response={200: RandomizedOut, **ERRORS})
def randomize_participant(request: HttpRequest, code: str, pk: int) -> Any:
    def run() -> RandomizedOut:
        study = member_study(request.user, code)
        participant, _ = fetch_participant(request.user, study, pk, RANDOMIZERS)
        result = randomize(request.user, participant)
        p = result.participant
        assert p.randomized_at is not None
        return RandomizedOut(
            participant_id=p.pk,
            code=p.code,
            kit_code=result.kit_code,
            stratum=p.stratum,
            randomized_at=p.randomized_at,
            created=result.created,
        )

    return answer(run)


# 404 is also the answer when no list has been published, a FormErrorOut: it comes after
# ERRORS (whose 404 is the handlers' ApiError), so that body keeps its fields; an unknown
# study's 404 matches it too.
@router.get("/{code}/allocation", response={200: CommitmentOut, **ERRORS, 404: FormErrorOut})
def commitment(request: HttpRequest, code: str) -> Any:
    """The published commitment of the study's allocation list (any member)."""
    try:
        study = member_study(request.user, code)
    except ActionDenied as exc:
        raise HttpError(403, str(exc)) from None
    current = allocation_list(study)
    if current is None:
        return respond(
            404, FormErrorOut(detail=f"study {code}: no allocation list has been published")
        )
    return respond(
        200,
        CommitmentOut(
            commitment=current.commitment,
            created_at=current.created_at,
            how=current.how,
            seeded=current.seeded,
            strata=list(current.parameters["strata"]),
            n_per_stratum=int(current.parameters["n_per_stratum"]),
        ),
    )
