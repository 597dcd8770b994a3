from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "psytrial.web.quality"
    label = "quality"
    verbose_name = "Data quality"
