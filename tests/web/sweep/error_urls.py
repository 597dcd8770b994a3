"""The project's URL map plus one view that fails with sealed data in its exception.

Used with override_settings(ROOT_URLCONF="tests.web.sweep.error_urls"): the project's error
handlers stay in force (they are copied from psytrial.web.urls), and `/sweep-raise/<pk>/`
raises a RuntimeError whose message names the participant's arm and dose, as a careless bug
might (and `/sweep-bad-request/<pk>/` raises SuspiciousOperation naming its kit: a 400). The
error pages must show none of it.
"""

from __future__ import annotations

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from psytrial.web import urls as project
from psytrial.web.pharmacy.allocation import arm_of
from psytrial.web.sealing import Capability
from psytrial.web.trial.models import Participant


def raising(request: HttpRequest, pk: int) -> HttpResponse:
    participant = Participant.objects.select_related("study").get(pk=pk)
    system = Capability(0, participant.study_id, None, "test: a bug that reads the arm")
    arm = (
        participant.study.protocol.arm(arm_of(participant, system))
        if participant.kit_code
        else None
    )
    detail = f"{arm.id}: {arm.label}" if arm is not None else "no arm"
    raise RuntimeError(f"failed while dosing {participant.code} ({detail})")


def bad_request(request: HttpRequest, pk: int) -> HttpResponse:
    participant = Participant.objects.get(pk=pk)
    raise SuspiciousOperation(
        f"malformed request about {participant.code} kit {participant.kit_code}"
    )


urlpatterns = [
    *project.urlpatterns,
    path("sweep-raise/<int:pk>/", raising, name="sweep_raise"),
    path("sweep-bad-request/<int:pk>/", bad_request, name="sweep_bad_request"),
]

for _name in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(project, _name):
        globals()[_name] = getattr(project, _name)
