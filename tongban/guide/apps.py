from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "tongban.guide"
    verbose_name = "智能导办"
    default_auto_field = "django.db.models.BigAutoField"
