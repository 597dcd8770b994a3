from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "psytrial.web.exports"
    label = "exports"
    verbose_name = "Exports"
