from django.apps import AppConfig


class RandomizationConfig(AppConfig):
    name = "psytrial.web.randomization"
    label = "randomization"
    verbose_name = "Randomization"
