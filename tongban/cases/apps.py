from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tongban.cases"
    verbose_name = "申请与办件"
    default_auto_field = "django.db.models.BigAutoField"
