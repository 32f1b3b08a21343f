"""Admin pages for the system administrator (系统管理员)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import admin_calendar  # noqa: F401  (registers the calendar pages)
from .models import AuditEvent, Department, Region, RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["department", "region"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "full_name", "phone", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "phone"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("实名信息", {"fields": ("full_name", "phone", "id_number", "uscc")}),
    )


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region", "uscc", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code", "uscc"]
    autocomplete_fields = ["region"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only, even for administrators."""

    list_display = [
        "seq",
        "chain",
        "occurred_at",
        "actor_name",
        "role",
        "action",
        "object_type",
        "object_id",
    ]
    list_filter = ["chain", "action", "object_type"]
    search_fields = ["object_id", "actor_name", "request_id"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
