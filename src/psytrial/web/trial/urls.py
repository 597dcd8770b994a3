from django.urls import path

from psytrial.web.trial import views

app_name = "trial"

urlpatterns = [
    path("", views.home, name="home"),
    path("s/<slug:code>/", views.study_home, name="study"),
    path("s/<slug:code>/notifications/read/", views.mark_notifications_read,
         name="notifications_read"),
]
