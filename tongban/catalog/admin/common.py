"""Shared pieces of the catalog admin: who may see it, auditing, draft-only editing, and the
publish confirmation page.

The catalog pages are for `catalog.edit_catalog` (a `rules` role: catalog administrators and
the system administrator), not for Django's per-model permissions. Only draft versions are
editable; published and superseded ones are shown read-only, children included. Publishing and
starting a draft go through the domain functions in `catalog.actions`.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db import models
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from pydantic import ValidationError as SpecInvalid

from tongban.core.admin import AuditedAdmin
from tongban.core.errors import DomainError
from tongban.core.models import Role, User
from tongban.core.validation_messages import chinese_message

from ..actions import LintFailed, changed_fields
from ..enums import VersionStatus
from ..lint import LintProblem
from ..spec import KEYWORD_MAX_CHARS, KEYWORDS_LABEL, MAX_KEYWORDS, check_keywords

EDIT_PERMISSION = "catalog.edit_catalog"

KEYWORD_SEPARATOR = "、"
_KEYWORD_SPLIT = re.compile(r"[、,，;；\n]+")


class KeywordsField(forms.CharField):
    """The everyday names (俗称) of an item or a bundle as one line of text, separated by
    “、” (commas and new lines are read too), checked by the same rule as catalog files."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", KEYWORDS_LABEL)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            f"群众、窗口和12345常用的叫法，用“、”分隔，如 疫苗本、接种本；"
            f"每个不超过{KEYWORD_MAX_CHARS}个字，最多{MAX_KEYWORDS}个。智能导办按它们查找。",
        )
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "cols": 60}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return KEYWORD_SEPARATOR.join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            parts = value
        else:
            parts = [p.strip() for p in _KEYWORD_SPLIT.split(str(value or "")) if p.strip()]
        try:
            return list(check_keywords(parts))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


WHEN_HELP = (
    'JSONLogic 条件，如 {"==": [{"var": "married"}, "yes"]}；'
    '多选题用 {"in": ["选项值", {"var": "问题标识"}]}。留空表示始终适用。'
)
OPTIONS_HELP = (
    '如 [{"value": "local", "label": "本市户籍"}, {"value": "other", "label": "外地户籍"}]'
)

# Spec keys (as in the YAML file) → the words an editor knows, for diffs and lint paths.
FIELD_LABELS = {
    "code": "编码",
    "basic_code": "基本编码",
    "department": "实施机关",
    "name": "名称",
    "type": "事项类型",
    "service_objects": "服务对象",
    "statutory_limit": "法定时限",
    "promised_limit": "承诺时限",
    "case_kind": "办件类型",
    "visits": "到现场次数",
    "visits_reason": "必须现场原因",
    "online_depth": "网上办理深度",
    "delivery": "送达方式",
    "cross_region": "通办范围",
    "legal_basis": "设定依据",
    "accept_conditions": "受理条件",
    "result": "办理结果",
    "approval": "审批方式",
    "location": "办理地点",
    "hours": "办理时间",
    "phone": "咨询电话",
    "steps": "办理环节",
    "fees": "收费项目",
    "questions": "情形问题",
    "materials": "申请材料",
    "fields": "表单字段",
    "audience": "服务对象",
    "theme": "主题",
    "lead_department": "牵头部门",
    "description": "简介",
    "items": "包含事项",
    "edges": "前后置关系",
    "short_name": "简称",
    "region": "行政区划",
    "uscc": "统一社会信用代码",
    "kind": "类别",
    "when": "适用条件",
    "options": "选项",
    "key": "标识",
    "days": "天数",
    "unit": "单位",
}


def field_label(key: str) -> str:
    return FIELD_LABELS.get(key, key)


def can_edit(request: HttpRequest) -> bool:
    return bool(request.user.has_perm(EDIT_PERMISSION))


def actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def is_draft(obj: Any) -> bool:
    """True for a draft version, and for no object yet (an add page)."""
    return obj is None or obj.status == VersionStatus.DRAFT


class CatalogAccess:
    """Visible to `catalog.edit_catalog` holders; nobody deletes catalog rows in bulk."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_edit(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit(request)

    def get_actions(self, request: HttpRequest) -> Any:
        actions = super().get_actions(request)  # type: ignore[misc]
        actions.pop("delete_selected", None)  # a queryset delete skips the draft-only guard
        return actions


class CatalogAuditedAdmin(CatalogAccess, AuditedAdmin):
    """AuditedAdmin, recording the editor's catalog role rather than the sysadmin role."""

    def audit_role(self, request: HttpRequest) -> str:
        user = actor(request)
        return Role.CATALOG_ADMIN if user and user.has_role(Role.CATALOG_ADMIN) else Role.SYSADMIN

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # One by one, so the draft-only guard on each row applies.
        for obj in queryset:
            self.delete_model(request, obj)


# --- children of a version -------------------------------------------------------------


class ChildForm(forms.ModelForm):
    def clean_options(self) -> Any:
        # An emptied text area means "no options", not JSON null.
        return self.cleaned_data.get("options") or []


class PositionedFormSet(BaseInlineFormSet):
    """New rows left at position 0 go after the existing ones, in the order entered."""

    def save_new(self, form: ModelForm, commit: bool = True) -> Any:
        obj = super().save_new(form, commit=False)
        if not obj.position:
            positions = [f.instance.position for f in self.initial_forms]
            taken = getattr(self, "_next_position", max(positions, default=-1) + 1)
            obj.position, self._next_position = taken, taken + 1
        if commit:
            obj.save()
        return obj


class JSONText(forms.JSONField):
    """JSON in a text area; an empty condition shows as an empty box, not as `null`."""

    def prepare_value(self, value: Any) -> Any:
        return "" if value is None else super().prepare_value(value)


class DraftChildInline(admin.TabularInline):
    """Rows of a version: editable while it is a draft, read-only afterwards."""

    form = ChildForm
    formset = PositionedFormSet
    extra = 0

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, models.JSONField):
            kwargs["form_class"] = JSONText
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 48})
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in ("when", "options"):
            field.help_text = WHEN_HELP if db_field.name == "when" else OPTIONS_HELP
        if field is not None and db_field.name in ("position", "copies", "days"):
            field.widget.attrs["style"] = "width: 4em"
        return field

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit(request) and is_draft(obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit(request) and is_draft(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit(request) and is_draft(obj)


class DraftStackedInline(DraftChildInline):
    """For rows with many fields (materials, questions, form fields), grouped in lines."""

    template = "admin/edit_inline/stacked.html"

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(field.widget, forms.TextInput):
            # Short codes three to a line; sentences get room.
            wide = db_field.name in ("name", "text", "label", "help", "standard")
            field.widget.attrs.setdefault("style", "width: 24em" if wide else "width: 13em")
        return field


def tool(label: str, url: str, *, post: bool = False, primary: bool = False) -> dict[str, Any]:
    """A button above a change form: a link, or a one-click POST form."""
    return {"label": label, "url": url, "post": post, "primary": primary}


class VersionListInline(admin.TabularInline):
    """An item's or bundle's versions, newest first, each linking to its own page."""

    fields = readonly_fields = (
        "number",
        "status",
        "name",
        "created_at",
        "published_at",
        "published_by",
    )
    show_change_link = True
    extra = 0
    verbose_name_plural = "版本"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class VersionAdmin(CatalogAuditedAdmin):
    """Item and bundle versions: drafts are edited here, anything else is read-only."""

    change_form_template = "admin/catalog/change_form.html"
    # Readonly stand-ins for JSON lists (shown as labels, not as raw JSON).
    readonly_displays: dict[str, str] = {}
    always_readonly = ["number", "status", "created_at", "published_at", "published_by"]
    owner_field = ""  # the item or bundle: chosen when adding, fixed afterwards

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit(request) and is_draft(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a draft discards it; published versions stay for the cases pinned to them.
        return can_edit(request) and obj is not None and is_draft(obj)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if is_draft(obj):
            return fieldsets
        swap = self.readonly_displays
        return [
            (name, {**options, "fields": [_swap(f, swap) for f in options["fields"]]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if not is_draft(obj):
            return flatten_fieldsets(self.get_fieldsets(request, obj))
        owner = [] if obj is None else [self.owner_field]
        return [*owner, *self.always_readonly]

    # Per-model hooks, set by the item and bundle version admins.
    tools: Any = None  # (owner, version) -> the buttons above the form
    lint_version: Any = None
    publish_version: Any = None
    load_spec: Any = None
    with_content: Any = None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            # Added here only as the first version of a new item or bundle; later versions
            # come from "创建新草稿" (the catalog_start_*_draft actions).
            obj.number = 1
            obj.status = VersionStatus.DRAFT
        super().save_model(request, obj, form, change)

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        obj = kwargs.get("obj")
        if obj is not None:
            context["catalog_tools"] = self.tools(getattr(obj, self.owner_field), obj)
        return super().render_change_form(request, context, *args, **kwargs)

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        extra = [
            path(
                "<path:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name=f"{opts.app_label}_{opts.model_name}_publish",
            )
        ]
        return extra + super().get_urls()

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not can_edit(request):
            raise PermissionDenied
        version = get_object_or_404(
            self.model.objects.select_related(self.owner_field), pk=object_id
        )

        def content(pk: int) -> Any:
            return self.load_spec(self.with_content().get(pk=pk))

        def lint(version: Any) -> Any:
            return self.lint_version(self.with_content().get(pk=version.pk))

        def changes(version: Any) -> list[str]:
            published = getattr(version, self.owner_field).published
            if published is None:
                return []
            return changed_fields(content(version.pk), content(published.pk))

        return publish_page(
            self, request, version, lint=lint, publish=self.publish_version, changes=changes
        )


def _swap(field: Any, swap: dict[str, str]) -> Any:
    if isinstance(field, (list, tuple)):
        return tuple(swap.get(f, f) for f in field)
    return swap.get(field, field)


# --- publishing ------------------------------------------------------------------------


def spec_problems(error: SpecInvalid) -> list[LintProblem]:
    """A draft whose content does not make a valid spec (e.g. malformed options JSON)."""
    return [
        LintProblem(
            "error",
            "invalid",
            chinese_message(dict(item)),
            "",
            ".".join(str(part) for part in item.get("loc", ())),
        )
        for item in error.errors()
    ]


def publish_page(
    model_admin: Any,
    request: HttpRequest,
    version: Any,
    *,
    lint: Any,
    publish: Any,
    changes: Any,
) -> HttpResponse:
    """GET: the lint results (errors block, warnings are shown) and what changed.
    POST: publish through the domain function, which lints again under a lock."""
    opts = model_admin.model._meta
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[version.pk])
    if not is_draft(version):
        model_admin.message_user(request, "只有草稿版本可以发布", messages.ERROR)
        return HttpResponseRedirect(change_url)
    refused = ""
    if request.method == "POST":
        try:
            published = publish(version, actor(request))
        except LintFailed as exc:
            problems, refused = exc.problems, "检查未通过，未发布。请修改下列错误后再发布。"
        except SpecInvalid as exc:
            problems, refused = spec_problems(exc), "草稿内容不完整，未发布。"
        except DomainError as exc:
            model_admin.message_user(request, str(exc.detail), messages.ERROR)
            return HttpResponseRedirect(change_url)
        else:
            model_admin.message_user(
                request, f"已发布：{published}。此前的版本已被取代，已受理的办件仍按原版本办理。"
            )
            return HttpResponseRedirect(change_url)
    else:
        try:
            problems = lint(version)
        except SpecInvalid as exc:
            problems = spec_problems(exc)
    try:
        changed = [field_label(key) for key in changes(version)]
    except SpecInvalid:
        changed = []
    rows: list[dict[str, Any]] = [{"problem": p, "where": path_label(p.path)} for p in problems]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"发布 {version}",
        "opts": opts,
        "version": version,
        "change_url": change_url,
        "errors": [row for row in rows if row["problem"].is_error],
        "warnings": [row for row in rows if not row["problem"].is_error],
        "changed": changed,
        "refused": refused,
    }
    return TemplateResponse(
        request, "admin/catalog/publish.html", context, status=409 if refused else 200
    )


def path_label(path: str) -> str:
    """“materials[2].when” → “申请材料第3项 · 适用条件”."""
    parts = []
    for segment in filter(None, path.split(".")):
        match = re.fullmatch(r"(\w+)\[(\d+)\]", segment)
        if match:
            parts.append(f"{field_label(match[1])}第{int(match[2]) + 1}项")
        else:
            parts.append(field_label(segment))
    return " · ".join(parts)
