from django.urls import path

from psytrial.web.randomization import views

app_name = "randomization"

urlpatterns = [
    path("s/<slug:code>/participants/<int:pk>/randomize/", views.randomize_view, name="randomize"),
    path("s/<slug:code>/randomization/", views.list_page, name="list"),
    path("s/<slug:code>/randomization/generate/", views.generate, name="generate"),
    path("s/<slug:code>/randomization/upload/", views.upload, name="upload"),
]
