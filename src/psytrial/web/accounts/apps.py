from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "psytrial.web.accounts"
    label = "accounts"
    verbose_name = "Accounts"
