"""One error shape for the JSON API: {"detail": "one line", "field_errors": {field: [...]}}.

    status  raised as
    400     FormError (bad values: type, range, required), InputRefused (a wrong password),
            a request the schema refuses (wrong JSON type, missing key), a value the database
            cannot hold (an id beyond 64 bits)
    401     AuthenticationError (Ninja's, an HttpError: no valid token)
    403     ActionDenied (no role here), BlindingError (blind to this)
    404     Http404 (no such study or object)
    409     ActionRefused and TransitionError (the trial's rules refuse it now), FormLocked,
            FormUnchanged (a double submit), FormConflict (a stale version; also carries
            `current_version`), DataError (the data cannot be exported as they stand)

`install(api)` registers the handlers on the NinjaAPI, so an operation simply raises; the
`ERRORS` mapping documents these responses in the OpenAPI schema. `ANY_OPERATION` documents
the ones any operation of any router may answer, before or around its own code (a malformed
parameter or body, no valid token, an unknown study or object): the routers that answer
their refusals in a shape of their own (pharmacy.apierrors, forms.apikit) add it to theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.utils import DataError as DatabaseDataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError, ValidationError

from psytrial.core.errors import BlindingError, DataError, FormError, TransitionError
from psytrial.web.forms.errors import FormConflict, FormLocked, FormUnchanged
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.quality.errors import InputRefused

OUT_OF_RANGE = (
    "expected numbers and texts the database can hold (whole numbers below 2**63), got a "
    "value out of range; nothing was changed"
)


class ApiError(Schema):
    detail: str
    field_errors: dict[str, list[str]] = {}
    current_version: int | None = None


ANY_OPERATION: dict[int, type[ApiError]] = {400: ApiError, 401: ApiError, 404: ApiError}
ERRORS: dict[int, type[ApiError]] = {**ANY_OPERATION, 403: ApiError, 409: ApiError}


def body(
    detail: str, field_errors: dict[str, list[str]] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"detail": detail, "field_errors": field_errors or {}, **extra}


def _form_error(exc: FormError) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, FormConflict):
        return 409, body(
            str(exc).split(": ", 1)[-1], exc.field_errors, current_version=exc.current_version
        )
    status = 409 if isinstance(exc, FormLocked | FormUnchanged) else 400
    return status, body(_first(exc.field_errors), exc.field_errors)


def _first(field_errors: dict[str, list[str]]) -> str:
    field, messages = next(iter(field_errors.items()), ("__all__", ["invalid data"]))
    return messages[0] if field == "__all__" else f"{field}: {messages[0]}"


def _validation(exc: ValidationError) -> tuple[int, dict[str, Any]]:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [
            str(part)
            for part in error.get("loc", ())
            if part not in ("body", "query", "path", "payload")
        ]
        fields.setdefault(".".join(loc) or "__all__", []).append(str(error.get("msg", "")))
    return 400, body(_first(fields), fields)


def _answer(
    status_and_body: Callable[[Any], tuple[int, dict[str, Any]]], api: NinjaAPI
) -> Callable[[HttpRequest, Any], HttpResponse]:
    def handler(request: HttpRequest, exc: Any) -> HttpResponse:
        status, content = status_and_body(exc)
        return api.create_response(request, content, status=status)

    return handler


def install(api: NinjaAPI) -> None:
    """Register the handlers (once, when the API module is imported)."""
    plain: dict[type[Exception], int] = {
        ActionDenied: 403,
        BlindingError: 403,
        ActionRefused: 409,
        TransitionError: 409,
        DataError: 409,
    }
    for exc_class, status in plain.items():
        api.add_exception_handler(
            exc_class,
            _answer(
                lambda e, s=status: (s, body(str(e), {"__all__": [str(e)]} if s == 409 else {})),
                api,
            ),
        )
    api.add_exception_handler(
        InputRefused, _answer(lambda e: (400, body(str(e), e.field_errors)), api)
    )
    api.add_exception_handler(FormError, _answer(_form_error, api))
    api.add_exception_handler(ValidationError, _answer(_validation, api))
    api.add_exception_handler(Http404, _answer(lambda e: (404, body(str(e) or "not found")), api))
    # A value the database cannot hold (an id beyond 64 bits: OverflowError from SQLite, a
    # DataError from PostgreSQL) is the request's fault: 400, and the transaction rolled back.
    for exc_class in (OverflowError, DatabaseDataError):
        api.add_exception_handler(exc_class, _answer(lambda e: (400, body(OUT_OF_RANGE)), api))
    api.add_exception_handler(HttpError, _answer(lambda e: (e.status_code, body(str(e))), api))
