from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "tongban.registers"
    verbose_name = "数据核验"
    default_auto_field = "django.db.models.BigAutoField"
