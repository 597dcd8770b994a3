"""JSON API of exports: what the caller may export, and the files (audited like the pages).

GET /exports/{code}/instruments              the instruments the caller may export
GET /exports/{code}/instruments/{id}         tidy CSV of one instrument (text/csv)
GET /exports/{code}/dictionary               the data dictionary (text/csv)
GET /exports/{code}/analysis?unblinded=      the six analysis tables as a zip of CSV files;
                                             blinded unless asked and allowed
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from psytrial.web.exports import access, actions
from psytrial.web.exports.views import analysis_archive, zip_response
from psytrial.web.forms.apikit import member_study
from psytrial.web.forms.permissions import may_see
from psytrial.web.permissions import roles_of
from psytrial.web.quality.api.errors import ERRORS

router = Router(tags=["exports"])


class InstrumentOut(Schema):
    id: str
    label: str
    kind: str


def _csv(file: actions.ExportFile) -> HttpResponse:
    response = HttpResponse(file.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    return response


@router.get("/{code}/instruments", response={200: list[InstrumentOut], **ERRORS})
@paginate(LimitOffsetPagination)
def instruments(request: HttpRequest, code: str) -> list[InstrumentOut]:
    study = member_study(request.user, code)
    access.require_exporter(request.user, study)
    roles = roles_of(request.user, study)
    return [
        InstrumentOut(id=d.id, label=d.label, kind=d.kind)
        for d in study.protocol.instruments
        if may_see(roles, d, "")
    ]


@router.get("/{code}/instruments/{instrument_id}", response={200: None, **ERRORS})
def instrument_csv(request: HttpRequest, code: str, instrument_id: str) -> HttpResponse:
    """One row per form entry with its current values (see the data dictionary)."""
    study = member_study(request.user, code)
    if instrument_id not in {d.id for d in study.protocol.instruments}:
        raise Http404(f"expected an instrument of study {study.code}, got {instrument_id!r}")
    return _csv(actions.export_instrument(request.user, study, instrument_id))


@router.get("/{code}/dictionary", response={200: None, **ERRORS})
def dictionary(request: HttpRequest, code: str) -> HttpResponse:
    study = member_study(request.user, code)
    return _csv(actions.export_dictionary(request.user, study))


@router.get("/{code}/analysis", response={200: None, **ERRORS})
def analysis(request: HttpRequest, code: str, unblinded: bool = False) -> HttpResponse:
    """The tidy tables of psytrial.stats.tables (load them back with `load_tables`)."""
    study = member_study(request.user, code)
    return zip_response(analysis_archive(request.user, study, unblinded))
