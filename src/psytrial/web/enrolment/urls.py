from django.urls import path

from psytrial.web.enrolment import views

app_name = "enrolment"

urlpatterns = [
    path("s/<slug:code>/participants/", views.participant_list, name="list"),
    path("s/<slug:code>/participants/<int:pk>/", views.participant, name="participant"),
    path("s/<slug:code>/screening/", views.screening, name="screening"),
]
