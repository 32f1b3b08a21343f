"""Admin pages for the system administrator (系统管理员)."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import models
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from . import admin_calendar  # noqa: F401  (registers the calendar pages)
from .audit import record_event, snapshot
from .models import AuditEvent, Department, Region, Role, RoleAssignment, User

# Never copied into the audit trail: secrets, and fields that change on every login.
UNAUDITED_FIELDS = ("password", "last_login")


def _audit(
    request: HttpRequest,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None,
    role: str = Role.SYSADMIN,
) -> None:
    after = None if action.endswith("deleted") else snapshot(obj, UNAUDITED_FIELDS)
    if before == after:
        return
    actor = request.user if isinstance(request.user, User) else None
    record_event(
        action=action,
        object_type=obj._meta.model_name or "",
        # A deleted row has lost its pk by now; its snapshot still has it.
        object_id=str(obj.pk if obj.pk is not None else (before or {}).get("id", "")),
        actor=actor,
        role=role,
        before=before,
        after=after,
    )


def _stored(obj: models.Model) -> dict[str, Any] | None:
    stored = type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk else None
    return snapshot(stored, UNAUDITED_FIELDS) if stored is not None else None


class AuditedAdmin(admin.ModelAdmin):
    """Admin saves and deletes append an audit event inside the admin's own transaction
    (Django wraps each change view in one), so the edit and its record commit together."""

    def audit_role(self, request: HttpRequest) -> str:
        """The role recorded on this admin's audit events (subclasses for other roles)."""
        return Role.SYSADMIN

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        before = _stored(obj) if change else None
        super().save_model(request, obj, form, change)
        _audit(
            request,
            "admin_changed" if change else "admin_created",
            obj,
            before,
            self.audit_role(request),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = _stored(obj)
        _audit(request, "admin_deleted", obj, before, self.audit_role(request))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            _audit(request, "admin_deleted", obj, _stored(obj), self.audit_role(request))
        super().delete_queryset(request, queryset)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        befores = {id(f.instance): _stored(f.instance) for f in formset.forms if f.instance.pk}
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            _audit(request, "admin_created", obj, None, self.audit_role(request))
        for obj, _fields in formset.changed_objects:
            _audit(request, "admin_changed", obj, befores.get(id(obj)), self.audit_role(request))
        for obj in formset.deleted_objects:
            _audit(request, "admin_deleted", obj, befores.get(id(obj)), self.audit_role(request))


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["department", "region"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "full_name", "phone", "is_active", "is_staff"]
    search_fields = ["username", "full_name", "phone"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("实名信息", {"fields": ("full_name", "phone", "id_number", "uscc")}),
    )


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
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
