from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "psytrial.web.forms"
    label = "forms"
    verbose_name = "Forms"
