from django.urls import path

from psytrial.web.forms import views

app_name = "forms"

_ENTRY = (
    "s/<slug:code>/participants/<int:pk>/forms/<slug:instrument_id>/<slug:visit>/<int:occurrence>/"
)

urlpatterns = [
    path(_ENTRY, views.entry, name="entry"),
    path(_ENTRY + "as/<slug:variant>/", views.entry, name="entry_variant"),
    path(_ENTRY + "lock/", views.lock, name="lock"),
    path(_ENTRY + "as/<slug:variant>/lock/", views.lock, name="lock_variant"),
]
