"""How the forms, enrolment and randomization API endpoints answer, by the kind of refusal,
in the API's one error shape {"detail", "field_errors"} (see web.quality.api.errors):

    FormError (bad values)              400  with the field errors
    AllocationError (a bad list, n)     400
    ActionDenied, BlindingError         403  no role here, or blind to this
    ActionRefused, TransitionError      409  the trial's rules refuse it now
    FormLocked, FormUnchanged           409  a locked form or study; a double submit
    FormConflict                        409  a stale version: also the current version and
                                             the submitted data, so nothing typed is lost

Any operation may also answer these, from the API's handlers (`ApiError`, whose fields
`FormErrorOut` has too, so a 400 of either kind matches the documented `FormErrorOut`):

    a malformed parameter or body       400
    no valid token                      401
    an unknown study or object          404
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import Http404
from ninja import Schema

from psytrial.core.errors import AllocationError, BlindingError, FormError, TransitionError
from psytrial.web.fastsql import first
from psytrial.web.forms.errors import FormConflict, FormLocked, FormUnchanged
from psytrial.web.permissions import ActionDenied, ActionRefused, AnyUser, memberships
from psytrial.web.quality.api.errors import ANY_OPERATION
from psytrial.web.trial.models import Study

T = TypeVar("T")

try:  # django-ninja >= 1.5 wants Status(...); older versions take a (status, body) tuple
    from ninja import Status as _Status
except ImportError:  # pragma: no cover
    _Status = None


def respond(status: int, body: Any) -> Any:
    """A response with an explicit status, in the form the installed Ninja expects."""
    return _Status(status, body) if _Status is not None else (status, body)


class FormErrorOut(Schema):
    detail: str
    field_errors: dict[str, list[str]] = {}
    submitted: dict[str, Any] | None = None
    current_version: int | None = None


ERRORS: dict[int, type[Schema]] = {
    **ANY_OPERATION,
    400: FormErrorOut,
    403: FormErrorOut,
    409: FormErrorOut,
}


def answer(call: Callable[[], T], ok: int = 200) -> Any:
    """Run an action or a read; a refusal becomes its status and a one-line detail."""
    try:
        return respond(ok, call())
    except (ActionDenied, BlindingError) as exc:
        return respond(403, FormErrorOut(detail=str(exc)))
    except (ActionRefused, TransitionError) as exc:
        return respond(409, FormErrorOut(detail=str(exc), field_errors={"__all__": [str(exc)]}))
    except FormConflict as exc:
        return respond(
            409,
            FormErrorOut(
                detail=str(exc),
                field_errors=exc.field_errors,
                submitted=exc.submitted,
                current_version=exc.current_version,
            ),
        )
    except (FormLocked, FormUnchanged) as exc:
        return respond(409, FormErrorOut(detail=str(exc), field_errors=exc.field_errors))
    except FormError as exc:
        return respond(400, FormErrorOut(detail=str(exc), field_errors=exc.field_errors))
    except AllocationError as exc:
        return respond(400, FormErrorOut(detail=str(exc)))


def member_study(user: AnyUser, code: str) -> Study:
    """The study if the user holds any role in it; 404 if none, ActionDenied if not a member."""
    study = first(Study, code=code)  # every API request asks: a statement built once
    if study is None:
        raise Http404("No Study matches the given query.")  # as get_object_or_404 says it
    if not memberships(user, study):
        raise ActionDenied(f"expected a member of study {code}")
    return study
