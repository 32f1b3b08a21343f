from django.contrib import admin

from .models import Licence, LicenceType, LicenceUse


@admin.register(LicenceType)
class LicenceTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "code", "holder_kind", "validity_years")
    search_fields = ("name", "key", "code")


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    """Read only: licences change through the issuing department's revoke/correct actions."""

    list_display = ("identifier", "licence_type", "holder_name", "issuer_name", "status")
    list_filter = ("status", "licence_type")
    search_fields = ("identifier", "number")
    exclude = ("holder_id",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(LicenceUse)
class LicenceUseAdmin(admin.ModelAdmin):
    list_display = ("licence", "material_name", "department", "used_at")

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
