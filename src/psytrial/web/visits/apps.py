from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "psytrial.web.visits"
    label = "visits"
    verbose_name = "Visits and trial conduct"
