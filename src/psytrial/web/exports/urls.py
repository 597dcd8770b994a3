"""Export pages of a study. Included under `s/<code>/exports/` by the project's URL map."""

from django.urls import path

from psytrial.web.exports import views

app_name = "exports"

urlpatterns = [
    path("", views.index, name="index"),
    path("instruments/<slug:instrument_id>.csv", views.instrument_csv, name="instrument"),
    path("dictionary.csv", views.dictionary_csv, name="dictionary"),
    path("analysis.zip", views.analysis_zip, name="analysis"),
]
