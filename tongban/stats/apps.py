from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "tongban.stats"
    verbose_name = "统计监督"
    default_auto_field = "django.db.models.BigAutoField"
