"""Synonym editing for catalog administrators (the `catalog.edit_catalog` permission, as for
the catalog itself). Saves go through `guide_save_synonym` (audit event, index rebuild);
rows are switched off, never deleted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from tongban.catalog.admin.common import CatalogAccess, actor, can_edit

from .actions import InvalidSynonym, clean_synonym, guide_save_synonym
from .models import Synonym


class SynonymForm(forms.ModelForm):
    class Meta:
        model = Synonym
        fields = ("phrase", "terms", "note", "is_active")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("phrase") and data.get("terms"):
            try:
                clean_synonym(data["phrase"], data["terms"])
            except InvalidSynonym as error:
                raise forms.ValidationError(str(error.detail)) from error
        return data


@admin.register(Synonym)
class SynonymAdmin(CatalogAccess, admin.ModelAdmin):
    form = SynonymForm
    list_display = ("phrase", "terms", "is_active", "note", "updated_by", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("phrase", "terms", "note")
    readonly_fields = ("updated_by", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch a row off instead: the audit trail keeps what it said

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = guide_save_synonym(
            phrase=data["phrase"],
            terms=data["terms"],
            note=data.get("note", ""),
            is_active=data.get("is_active", True),
            actor=actor(request),
            synonym=Synonym.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk = saved.pk
