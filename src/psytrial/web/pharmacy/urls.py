"""Pharmacy pages (pharmacists) and administration pages (session clinicians) of a study.

Included under `s/<code>/` by the project's URL map.
"""

from django.urls import path

from psytrial.web.pharmacy import views

app_name = "pharmacy"

urlpatterns = [
    path("pharmacy/", views.worklist, name="worklist"),
    path("pharmacy/<int:pid>/", views.participant, name="participant"),
    path("pharmacy/<int:pid>/prepare/", views.prepare, name="prepare"),
    path("pharmacy/preparations/<int:prep_id>/check/", views.check, name="check"),
    path("administration/", views.sessions, name="sessions"),
    path("administration/<int:pid>/", views.administer, name="administer"),
]
