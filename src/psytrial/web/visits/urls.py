"""Trial-conduct pages of a study; included at the site root by the project's URL map."""

from django.urls import path

from psytrial.web.visits import views

app_name = "visits"

_P = "s/<slug:code>/participants/<int:pk>/"

urlpatterns = [
    path(_P + "timeline/", views.timeline_page, name="timeline"),
    path(_P + "visits/<slug:visit_id>/missed/", views.mark_missed, name="mark_missed"),
    path(_P + "safety/", views.safety_page, name="safety"),
    path(_P + "withdrawal/", views.withdrawal, name="withdrawal"),
    path(
        _P + "visit-forms/<slug:instrument_id>/<slug:visit>/<int:occurrence>/",
        views.entry,
        name="entry",
    ),
    path(
        "s/<slug:code>/adverse-events/<int:record_id>/reported/",
        views.sae_reported,
        name="sae_reported",
    ),
    path("s/<slug:code>/worklist/", views.worklist_page, name="worklist"),
    path("s/<slug:code>/dashboard/", views.dashboard_page, name="dashboard"),
]
