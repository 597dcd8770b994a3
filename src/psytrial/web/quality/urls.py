"""Data-quality pages of a study. Included under `s/<code>/quality/` by the project's URL map."""

from django.urls import path

from psytrial.web.quality import views

app_name = "quality"

urlpatterns = [
    path("queries/", views.query_list, name="queries"),
    path("queries/<int:pk>/", views.query_detail, name="query"),
    path("queries/<int:pk>/answer/", views.answer, name="answer"),
    path("queries/<int:pk>/close/", views.close, name="close"),
    path("queries/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("participants/<int:pid>/", views.participant_forms, name="participant"),
    path("forms/<int:pk>/", views.form_quality, name="form"),
    path("forms/<int:pk>/queries/", views.raise_query, name="raise"),
    path("forms/<int:pk>/sign/", views.sign, name="sign"),
    path("forms/<int:pk>/lock/", views.lock_form, name="lock_form"),
    path("lock/", views.database_lock, name="lock"),
]
