"""Admin pages for service items (政务服务事项) and their versions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse

from tongban.core.errors import DomainError

from ..actions import catalog_publish_item, catalog_start_item_draft, lint_item_version
from ..enums import Delivery, ServiceObject, VersionStatus
from ..models import Fee, FormField, ItemQuestion, ItemVersion, Material, ReviewStep, ServiceItem
from ..spec import KEYWORDS_LABEL
from ..store import item_spec, item_versions_with_content
from .common import (
    KEYWORD_SEPARATOR,
    CatalogAuditedAdmin,
    DraftChildInline,
    DraftStackedInline,
    KeywordsField,
    VersionAdmin,
    VersionListInline,
    actor,
    can_edit,
    tool,
)
from .transfer import TransferViews


def _version_url(version: ItemVersion) -> str:
    return reverse("admin:catalog_itemversion_change", args=[version.pk])


def item_tools(item: ServiceItem, here: ItemVersion | None = None) -> list[dict[str, Any]]:
    """Buttons for an item's page or one of its versions' pages."""
    draft = item.versions.filter(status=VersionStatus.DRAFT).first()
    tools = []
    if here is not None and here.is_draft:
        url = reverse("admin:catalog_itemversion_publish", args=[here.pk])
        tools.append(tool("检查并发布…", url, primary=True))
    elif draft is not None:
        tools.append(tool(f"编辑草稿（第{draft.number}版）", _version_url(draft)))
    elif item.published_id is not None:
        url = reverse("admin:catalog_serviceitem_new_draft", args=[item.pk])
        tools.append(tool("创建新草稿", url, post=True, primary=True))
    else:
        url = reverse("admin:catalog_itemversion_add") + f"?item={item.pk}"
        tools.append(tool("新建首个版本", url, primary=True))
    if item.published is not None and (here is None or here.pk != item.published_id):
        tools.append(tool(f"现行版本（第{item.published.number}版）", _version_url(item.published)))
    if here is not None:
        tools.append(tool("返回事项", reverse("admin:catalog_serviceitem_change", args=[item.pk])))
    return tools


class ItemVersionListInline(VersionListInline):
    model = ItemVersion


@admin.register(ServiceItem)
class ServiceItemAdmin(TransferViews, CatalogAuditedAdmin):
    list_display = ["code", "current_name", "department", "published_number", "has_draft"]
    list_filter = [("department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "versions__name"]
    list_select_related = ["department", "published"]
    fields = ["code", "basic_code", "department"]
    inlines = [ItemVersionListInline]
    actions = ["start_drafts"]
    change_form_template = "admin/catalog/change_form.html"
    change_list_template = "admin/catalog/serviceitem/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        latest = ItemVersion.objects.filter(item=OuterRef("pk")).order_by("-number")
        drafts = ItemVersion.objects.filter(item=OuterRef("pk"), status=VersionStatus.DRAFT)
        return (
            super()
            .get_queryset(request)
            .annotate(
                current=Coalesce("published__name", Subquery(latest.values("name")[:1])),
                draft_exists=Exists(drafts),
            )
        )

    @admin.display(description="事项名称", ordering="current")
    def current_name(self, obj: Any) -> str:
        return obj.current or "—"

    @admin.display(description="现行版本", ordering="published__number")
    def published_number(self, obj: ServiceItem) -> str:
        return f"第{obj.published.number}版" if obj.published else "未发布"

    @admin.display(description="有草稿", boolean=True, ordering="draft_exists")
    def has_draft(self, obj: Any) -> bool:
        return bool(obj.draft_exists)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Code, basic code and department are part of every published version's content:
        # they change by importing a catalog file, not in place.
        return can_edit(request) and obj is None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else []  # no versions on the add page

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        obj = kwargs.get("obj")
        if obj is not None:
            context["catalog_tools"] = item_tools(obj)
        return super().render_change_form(request, context, *args, **kwargs)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        self.message_user(request, f"已添加事项 {obj.code}，请填写它的首个版本。")
        return HttpResponseRedirect(reverse("admin:catalog_itemversion_add") + f"?item={obj.pk}")

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<path:object_id>/new-draft/",
                self.admin_site.admin_view(self.new_draft_view),
                name="catalog_serviceitem_new_draft",
            ),
            *self.transfer_urls(),
        ]
        return extra + super().get_urls()

    def new_draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not can_edit(request):
            raise PermissionDenied
        item = get_object_or_404(ServiceItem, pk=object_id)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:catalog_serviceitem_change", args=[item.pk]))
        try:
            draft = catalog_start_item_draft(item, actor(request))
        except DomainError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:catalog_serviceitem_change", args=[item.pk]))
        self.message_user(request, f"草稿：{draft}。修改后点“检查并发布”。")
        return HttpResponseRedirect(_version_url(draft))

    @admin.action(description="为所选事项创建新草稿（复制现行版本）")
    def start_drafts(self, request: HttpRequest, queryset: QuerySet[ServiceItem]) -> None:
        started, refused = 0, []
        for item in queryset:
            try:
                catalog_start_item_draft(item, actor(request))
                started += 1
            except DomainError:
                refused.append(item.code)
        self.message_user(request, f"已为 {started} 个事项准备草稿。")
        if refused:
            self.message_user(
                request, f"以下事项没有现行版本，未创建：{'、'.join(refused)}", messages.WARNING
            )


# --- versions --------------------------------------------------------------------------


class MaterialInline(DraftStackedInline):
    model = Material
    fields = [
        ("key", "name"),
        ("form", "format", "copies"),
        ("necessity", "source", "position"),
        ("licence_type", "register"),
        ("standard", "commitment"),
        "when",
    ]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 26})},
    }


class ItemQuestionInline(DraftStackedInline):
    model = ItemQuestion
    fields = [("key", "text"), ("kind", "position"), "help", "options", "when"]


class FormFieldInline(DraftStackedInline):
    model = FormField
    fields = [("key", "label"), ("kind", "required", "position"), "help", "options", "when"]


class ReviewStepInline(DraftChildInline):
    model = ReviewStep
    fields = ["position", "name", "days"]


class FeeInline(DraftChildInline):
    model = Fee
    fields = ["position", "name", "standard", "basis", "reducible"]


class ItemVersionForm(forms.ModelForm):
    service_objects = forms.MultipleChoiceField(
        label="服务对象", choices=ServiceObject.choices, widget=forms.CheckboxSelectMultiple
    )
    delivery = forms.MultipleChoiceField(
        label="送达方式",
        choices=Delivery.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    keywords = KeywordsField()

    class Meta:
        model = ItemVersion
        fields = [
            "item",
            "name",
            "keywords",
            "item_type",
            "service_objects",
            "statutory_limit",
            "statutory_unit",
            "promised_limit",
            "promised_unit",
            "case_kind",
            "visits",
            "visits_reason",
            "online_depth",
            "delivery",
            "cross_region",
            "legal_basis",
            "accept_conditions",
            "result_type",
            "result_name",
            "result_licence_type",
            "approval_mode",
            "approval_rule",
            "approval_rule_text",
            "verify_days",
            "location",
            "hours",
            "phone",
        ]

    def clean_item(self) -> ServiceItem:
        item: ServiceItem = self.cleaned_data["item"]
        if self.instance.pk is None and item.versions.exists():
            raise ValidationError("该事项已有版本：请在事项页面点“创建新草稿”，再修改草稿。")
        return item


def _labels(choices: Any, values: list[Any]) -> str:
    names = dict(choices)
    return "、".join(str(names.get(v, v)) for v in values) or "—"


@admin.register(ItemVersion)
class ItemVersionAdmin(VersionAdmin):
    form = ItemVersionForm
    owner_field = "item"
    tools = staticmethod(item_tools)
    lint_version = staticmethod(lint_item_version)
    publish_version = staticmethod(catalog_publish_item)
    load_spec = staticmethod(item_spec)
    with_content = staticmethod(item_versions_with_content)
    list_display = ["item_code", "name", "number", "status", "published_at"]
    list_filter = ["status", "item__department"]
    search_fields = ["item__code", "name"]
    list_select_related = ["item"]
    autocomplete_fields = ["item"]
    inlines = [MaterialInline, ItemQuestionInline, FormFieldInline, ReviewStepInline, FeeInline]
    readonly_displays = {
        "service_objects": "service_object_labels",
        "delivery": "delivery_labels",
        "keywords": "keyword_labels",
    }
    fieldsets = [
        (
            "事项",
            {
                "fields": [
                    "item",
                    "number",
                    "status",
                    "name",
                    "keywords",
                    "item_type",
                    "service_objects",
                ]
            },
        ),
        (
            "办结时限",
            {
                "fields": [
                    ("statutory_limit", "statutory_unit"),
                    ("promised_limit", "promised_unit"),
                    "case_kind",
                ]
            },
        ),
        (
            "办理方式",
            {"fields": ["visits", "visits_reason", "online_depth", "delivery", "cross_region"]},
        ),
        (
            "依据与结果",
            {
                "fields": [
                    "legal_basis",
                    "accept_conditions",
                    ("result_type", "result_name", "result_licence_type"),
                ]
            },
        ),
        (
            "审批方式",
            {
                "fields": [
                    "approval_mode",
                    "approval_rule",
                    "approval_rule_text",
                    "verify_days",
                ]
            },
        ),
        ("办理地点与咨询", {"fields": ["location", "hours", "phone"]}),
        ("记录", {"fields": ["created_at", "published_at", "published_by"]}),
    ]

    @admin.display(description="实施编码", ordering="item__code")
    def item_code(self, obj: ItemVersion) -> str:
        return obj.item.code

    @admin.display(description="服务对象")
    def service_object_labels(self, obj: ItemVersion) -> str:
        return _labels(ServiceObject.choices, obj.service_objects)

    @admin.display(description="送达方式")
    def delivery_labels(self, obj: ItemVersion) -> str:
        return _labels(Delivery.choices, obj.delivery)

    @admin.display(description=KEYWORDS_LABEL)
    def keyword_labels(self, obj: ItemVersion) -> str:
        return KEYWORD_SEPARATOR.join(obj.keywords) or "—"
