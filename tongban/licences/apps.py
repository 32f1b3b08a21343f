from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "tongban.licences"
    verbose_name = "电子证照"
    default_auto_field = "django.db.models.BigAutoField"
