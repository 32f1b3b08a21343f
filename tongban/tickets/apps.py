from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tongban.tickets"
    verbose_name = "12345工单"
    default_auto_field = "django.db.models.BigAutoField"
