from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "tongban.feedback"
    verbose_name = "好差评"
    default_auto_field = "django.db.models.BigAutoField"
