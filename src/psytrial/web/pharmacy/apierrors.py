"""How the pharmacy and unblinding API endpoints answer a refusal, by its kind.

ActionDenied, BlindingError        403  (no role here, or blind to this)
ActionRefused, TransitionError     409  (the trial's rules refuse it now)
DosingError (incl. Sealed...)      422  (only pharmacists ever reach one)

in a body of its own, {"detail"} (`PharmacyErrorOut`). Any operation may also answer, from
the API's handlers and in their shape {"detail", "field_errors"} (web.quality.api.errors):

a malformed parameter or body      400
no valid token                     401
an unknown study or object         404
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.shortcuts import get_object_or_404
from ninja import Schema, Status

from psytrial.core.errors import BlindingError, DosingError, TransitionError
from psytrial.web.permissions import ActionDenied, ActionRefused, memberships
from psytrial.web.quality.api.errors import ANY_OPERATION
from psytrial.web.trial.models import Study

T = TypeVar("T")


class PharmacyErrorOut(Schema):
    detail: str


ERRORS: dict[int, type[Schema]] = {
    **ANY_OPERATION,
    403: PharmacyErrorOut,
    409: PharmacyErrorOut,
    422: PharmacyErrorOut,
}


def answer(call: Callable[[], T], ok: int = 200) -> Status[T | PharmacyErrorOut]:
    """Run an action or readout; a refusal becomes its status and a one-line detail."""
    try:
        return Status(ok, call())
    except (ActionDenied, BlindingError) as exc:
        return Status(403, PharmacyErrorOut(detail=str(exc)))
    except (ActionRefused, TransitionError) as exc:
        return Status(409, PharmacyErrorOut(detail=str(exc)))
    except DosingError as exc:
        return Status(422, PharmacyErrorOut(detail=str(exc)))


def member_study(user: object, code: str) -> Study:
    """The study if the user holds any role in it; 404 if none, ActionDenied if not a member."""
    study = get_object_or_404(Study, code=code)
    if not memberships(user, study):  # type: ignore[arg-type]
        raise ActionDenied(f"expected a member of study {code}")
    return study
