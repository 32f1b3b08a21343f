from django.contrib import admin

from .models import DispatchRule, Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: every change to a ticket goes through its use cases (and the audit)."""

    list_display = ("number", "type", "state", "lead_department", "due_on", "received_at")
    list_filter = ("state", "type", "channel")
    search_fields = ("number", "title")
    readonly_fields = [f.name for f in Ticket._meta.fields if f.name != "caller_phone"] + [
        "co_departments",
        "applications",
        "cases",
    ]
    exclude = ("caller_phone",)  # personal data: read through the audited API/pages

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # view only: a save here would bypass the use cases and the audit

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    """Read-only here too: the catalogue is seeded and changed by its maintainers' tools."""

    list_display = ("name", "item_code", "lead_department", "priority", "is_active")
    list_filter = ("is_active",)
    readonly_fields = [f.name for f in DispatchRule._meta.fields] + ["co_departments"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # view only: a save here would bypass the use cases and the audit

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
