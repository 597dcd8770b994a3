from django.apps import AppConfig


class TrialConfig(AppConfig):
    name = "psytrial.web.trial"
    label = "trial"
    verbose_name = "Trial"
