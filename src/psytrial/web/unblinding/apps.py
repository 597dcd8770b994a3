from django.apps import AppConfig


class UnblindingConfig(AppConfig):
    name = "psytrial.web.unblinding"
    label = "unblinding"
    verbose_name = "Emergency unblinding"
