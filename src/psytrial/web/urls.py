"""The URL map. Every pattern here is enumerated by the blinding-leak sweep test."""

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import include, path

from psytrial.web.api import api


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", include("psytrial.web.trial.urls")),
    path("accounts/", include("psytrial.web.accounts.urls")),
    path("s/<slug:code>/", include("psytrial.web.pharmacy.urls")),
    path("s/<slug:code>/unblinding/", include("psytrial.web.unblinding.urls")),
    path("", include("psytrial.web.forms.urls")),
    path("", include("psytrial.web.enrolment.urls")),
    path("", include("psytrial.web.randomization.urls")),
    path("", include("psytrial.web.visits.urls")),
    path("s/<slug:code>/quality/", include("psytrial.web.quality.urls")),
    path("s/<slug:code>/exports/", include("psytrial.web.exports.urls")),
    path("api/", api.urls),
    path("healthz", healthz, name="healthz"),
]


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponseForbidden("Forbidden: your role does not allow this here.",
                                 content_type="text/plain")


handler403 = forbidden
