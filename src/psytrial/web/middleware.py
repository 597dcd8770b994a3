"""Middleware of our own: security headers Django does not set by itself (Content-Security-
Policy, Permissions-Policy), and a last line of defence that answers 403 to a refusal a view
let through (ActionDenied, BlindingError) instead of a 500 page, and 409 with the message to
any other refusal (a PsytrialError: a locked form, an illegal status change), because those
messages are written for users; a sealed dosing refusal is answered without its text.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import get_resolver

from psytrial.core.dosing import SealedDosingError
from psytrial.core.errors import BlindingError, PsytrialError
from psytrial.web.permissions import ActionDenied


class ContentSecurityPolicyMiddleware:
    """CSP, Permissions-Policy, no caching; and X-Frame-Options for the responses that never
    reach Django's own clickjacking middleware (static files answered by WhiteNoise), so every
    response carries the headers. It sits above WhiteNoise in MIDDLEWARE for that reason."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response


class RefusalMiddleware:
    """A view that lets ActionDenied or BlindingError escape answers 403, not a server error.

    Views are meant to turn these into 403 themselves; this catches the ones that forget, so a
    refused user never sees a 500 page (nor, with DEBUG on, a traceback).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SealedDosingError):
            return HttpResponse("Refused: this dose cannot be prepared; a pharmacist can see why.",
                                status=409, content_type="text/plain; charset=utf-8")
        if isinstance(exception, PsytrialError) and not isinstance(
                exception, ActionDenied | BlindingError):
            return HttpResponse(f"Refused: {exception}", status=409,
                                content_type="text/plain; charset=utf-8")
        if not isinstance(exception, ActionDenied | BlindingError):
            return None
        handler = get_resolver().resolve_error_handler(403)
        return handler(request, exception)
