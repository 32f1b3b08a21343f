from django.contrib import admin

from .models import Rating, Rectification


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("stage", "level", "department", "channel", "anonymous", "created_at")
    list_filter = ("stage", "level", "channel")
    readonly_fields = [f.name for f in Rating._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False  # ratings come from raters only


@admin.register(Rectification)
class RectificationAdmin(admin.ModelAdmin):
    list_display = ("pk", "department", "state", "due_on", "finding")
    list_filter = ("state", "finding")
    readonly_fields = [f.name for f in Rectification._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False  # opened by a bad rating
