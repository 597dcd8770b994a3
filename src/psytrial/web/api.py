"""The JSON API (Django Ninja), with token authentication and the same blind as the pages.

Routers are added per area; each operation authorizes with the same permission helpers as the
views and never returns sealed data to a blinded user.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI, Schema

from psytrial import __version__
from psytrial.web.accounts.auth import TokenAuth
from psytrial.web.quality.api.errors import ApiError
from psytrial.web.quality.api.errors import install as install_error_handlers
from psytrial.web.trial.models import Membership

api = NinjaAPI(title="psytrial API", version=__version__, auth=TokenAuth(),
               urls_namespace="api")


class MembershipOut(Schema):
    study: str
    role: str
    site: str | None


class MeOut(Schema):
    username: str
    memberships: list[MembershipOut]


@api.get("/me", response={200: MeOut, 401: ApiError}, tags=["accounts"])
def me(request: HttpRequest) -> MeOut:
    """The authenticated user and their roles."""
    rows = Membership.objects.filter(user=request.user, active=True).select_related("study", "site")
    return MeOut(
        username=request.user.get_username(),
        memberships=[MembershipOut(study=m.study.code, role=m.role,
                                   site=m.site.code if m.site else None) for m in rows],
    )


# Routers: one per area. Each authorizes with the same helpers as the pages and never returns
# sealed data to a blinded user.
api.add_router("/pharmacy", "psytrial.web.pharmacy.api.router")
api.add_router("/unblinding", "psytrial.web.unblinding.api.router")
api.add_router("/forms", "psytrial.web.forms.api.router")
api.add_router("/enrolment", "psytrial.web.enrolment.api.router")
api.add_router("/randomization", "psytrial.web.randomization.api.router")
api.add_router("/quality", "psytrial.web.quality.api.queries.router")
api.add_router("/exports", "psytrial.web.exports.api.router")
api.add_router("/visits", "psytrial.web.visits.api.router")
install_error_handlers(api)  # one error shape for every router: {"detail", "field_errors"}
