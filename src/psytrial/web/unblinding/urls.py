"""Emergency unblinding pages of a study; included under `s/<code>/unblinding/`."""

from django.urls import path

from psytrial.web.unblinding import views

app_name = "unblinding"

urlpatterns = [
    path("", views.log, name="log"),
    path("participants/<int:pid>/", views.request_view, name="request"),
    path("grants/<int:event_id>/", views.grant, name="grant"),
]
