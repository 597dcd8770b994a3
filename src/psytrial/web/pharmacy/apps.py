from django.apps import AppConfig


class PharmacyConfig(AppConfig):
    name = "psytrial.web.pharmacy"
    label = "pharmacy"
    verbose_name = "Pharmacy and administration"
