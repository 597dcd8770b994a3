"""Export pages: the list of what the user may export, and the downloads themselves.

A download is an audited export action (`actions`); no role here is 403. Included under
`s/<code>/exports/` by the project's URL map.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from psytrial.core.errors import BlindingError
from psytrial.web.exports import access, actions
from psytrial.web.forms.permissions import may_see
from psytrial.web.forms.viewkit import denied_is_403, study_or_404
from psytrial.web.permissions import ActionDenied, memberships, roles_of
from psytrial.web.trial.models import Study


def _blind_is_403(error: BlindingError) -> ActionDenied:
    return ActionDenied(str(error))


@login_required
@require_GET
@denied_is_403
def index(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    access.require_exporter(request.user, study)
    roles = roles_of(request.user, study)
    study_wide = {m.role_enum for m in memberships(request.user, study) if m.site_id is None}
    return render(
        request,
        "exports/index.html",
        {
            "study": study,
            "instruments": [d for d in study.protocol.instruments if may_see(roles, d, "")],
            "analysis": bool(study_wide & access.ANALYSIS_EXPORTERS),
            "unblinded": access.may_export_unblinded(request.user, study),
        },
    )


def _csv(file: actions.ExportFile) -> HttpResponse:
    response = HttpResponse(file.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    return response


@login_required
@require_GET
@denied_is_403
def instrument_csv(request: HttpRequest, code: str, instrument_id: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    return _csv(actions.export_instrument(request.user, study, instrument_id))


@login_required
@require_GET
@denied_is_403
def dictionary_csv(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    return _csv(actions.export_dictionary(request.user, study))


@login_required
@require_GET
@denied_is_403
def analysis_zip(request: HttpRequest, code: str) -> HttpResponse:
    study = study_or_404(request.user, code)
    unblinded = request.GET.get("unblinded") in ("1", "true", "yes")
    return zip_response(analysis_archive(request.user, study, unblinded))


def analysis_archive(user: object, study: Study, unblinded: bool) -> tuple[str, bytes]:
    """The analysis export as (file name, zip bytes); a blind user asking unblinded is denied."""
    with tempfile.TemporaryDirectory(prefix="psytrial-export-") as tmp:
        try:
            result = actions.export_analysis(
                user,
                study,
                tmp,  # type: ignore[arg-type]
                unblinded=unblinded,
            )
        except BlindingError as exc:
            raise _blind_is_403(exc) from None
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(result.files):
                archive.write(Path(tmp) / name, arcname=name)
    return f"{study.code}_analysis_{result.mode}.zip", buffer.getvalue()


def zip_response(named: tuple[str, bytes]) -> HttpResponse:
    name, content = named
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
