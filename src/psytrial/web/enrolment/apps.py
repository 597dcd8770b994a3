from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "psytrial.web.enrolment"
    label = "enrolment"
    verbose_name = "Enrolment"
