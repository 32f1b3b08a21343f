from django.contrib import admin

from .models import RegisterRecord


@admin.register(RegisterRecord)
class RegisterRecordAdmin(admin.ModelAdmin):
    list_display = ("register", "subject_name", "subject_masked", "source", "updated_at")
    list_filter = ("register",)
    search_fields = ("subject_name",)
    readonly_fields = ("subject_digest", "subject_masked", "updated_at")
