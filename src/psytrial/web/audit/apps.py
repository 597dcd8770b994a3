from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "psytrial.web.audit"
    label = "audit"
    verbose_name = "Audit trail"
