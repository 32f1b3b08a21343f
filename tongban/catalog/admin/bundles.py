"""Admin pages for bundles (一件事) and their versions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse

from tongban.core.errors import DomainError

from ..actions import catalog_publish_bundle, catalog_start_bundle_draft, lint_bundle_version
from ..enums import VersionStatus
from ..models import Bundle, BundleEdge, BundleMember, BundleQuestion, BundleVersion
from ..spec import KEYWORDS_LABEL
from ..store import bundle_spec, bundle_versions_with_content
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

STEP_SEPARATOR = "→"


def _version_url(version: BundleVersion) -> str:
    return reverse("admin:catalog_bundleversion_change", args=[version.pk])


def bundle_tools(bundle: Bundle, here: BundleVersion | None = None) -> list[dict[str, Any]]:
    draft = bundle.versions.filter(status=VersionStatus.DRAFT).first()
    tools = []
    if here is not None and here.is_draft:
        url = reverse("admin:catalog_bundleversion_publish", args=[here.pk])
        tools.append(tool("检查并发布…", url, primary=True))
    elif draft is not None:
        tools.append(tool(f"编辑草稿（第{draft.number}版）", _version_url(draft)))
    elif bundle.published_id is not None:
        url = reverse("admin:catalog_bundle_new_draft", args=[bundle.pk])
        tools.append(tool("创建新草稿", url, post=True, primary=True))
    else:
        url = reverse("admin:catalog_bundleversion_add") + f"?bundle={bundle.pk}"
        tools.append(tool("新建首个版本", url, primary=True))
    if bundle.published is not None and (here is None or here.pk != bundle.published_id):
        label = f"现行版本（第{bundle.published.number}版）"
        tools.append(tool(label, _version_url(bundle.published)))
    if here is not None:
        tools.append(tool("返回一件事", reverse("admin:catalog_bundle_change", args=[bundle.pk])))
    return tools


class BundleVersionListInline(VersionListInline):
    model = BundleVersion


@admin.register(Bundle)
class BundleAdmin(CatalogAuditedAdmin):
    list_display = ["code", "current_name", "lead_department", "published_number", "has_draft"]
    search_fields = ["code", "versions__name"]
    list_select_related = ["published__lead_department"]
    fields = ["code"]
    inlines = [BundleVersionListInline]
    change_form_template = "admin/catalog/change_form.html"
    change_list_template = "admin/catalog/bundle/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        latest = BundleVersion.objects.filter(bundle=OuterRef("pk")).order_by("-number")
        drafts = BundleVersion.objects.filter(bundle=OuterRef("pk"), status=VersionStatus.DRAFT)
        return (
            super()
            .get_queryset(request)
            .annotate(
                current=Coalesce("published__name", Subquery(latest.values("name")[:1])),
                draft_exists=Exists(drafts),
            )
        )

    @admin.display(description="名称", ordering="current")
    def current_name(self, obj: Any) -> str:
        return obj.current or "—"

    @admin.display(description="牵头部门")
    def lead_department(self, obj: Bundle) -> str:
        return str(obj.published.lead_department) if obj.published else "—"

    @admin.display(description="现行版本", ordering="published__number")
    def published_number(self, obj: Bundle) -> str:
        return f"第{obj.published.number}版" if obj.published else "未发布"

    @admin.display(description="有草稿", boolean=True, ordering="draft_exists")
    def has_draft(self, obj: Any) -> bool:
        return bool(obj.draft_exists)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
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
            context["catalog_tools"] = bundle_tools(obj)
        return super().render_change_form(request, context, *args, **kwargs)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        self.message_user(request, f"已添加一件事 {obj.code}，请填写它的首个版本。")
        url = reverse("admin:catalog_bundleversion_add") + f"?bundle={obj.pk}"
        return HttpResponseRedirect(url)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<path:object_id>/new-draft/",
                self.admin_site.admin_view(self.new_draft_view),
                name="catalog_bundle_new_draft",
            )
        ]
        return extra + super().get_urls()

    def new_draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not can_edit(request):
            raise PermissionDenied
        bundle = get_object_or_404(Bundle, pk=object_id)
        back = HttpResponseRedirect(reverse("admin:catalog_bundle_change", args=[bundle.pk]))
        if request.method != "POST":
            return back
        try:
            draft = catalog_start_bundle_draft(bundle, actor(request))
        except DomainError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
            return back
        self.message_user(request, f"草稿：{draft}。修改后点“检查并发布”。")
        return HttpResponseRedirect(_version_url(draft))


class BundleQuestionInline(DraftStackedInline):
    model = BundleQuestion
    fields = [("key", "text"), ("kind", "position"), "help", "options", "when"]


class BundleMemberInline(DraftChildInline):
    model = BundleMember
    fields = ["position", "item", "when"]
    autocomplete_fields = ["item"]


class BundleEdgeInline(DraftChildInline):
    model = BundleEdge
    fields = ["position", "upstream", "downstream", "satisfies"]
    autocomplete_fields = ["upstream", "downstream"]


class BundleVersionForm(forms.ModelForm):
    steps = forms.CharField(
        label="联办环节",
        required=False,
        help_text="按顺序用“→”连接，如 一窗受理→并联审批→统一出件；留空则按各事项自己的环节。",
        widget=forms.TextInput(attrs={"size": 60}),
    )
    keywords = KeywordsField()

    class Meta:
        model = BundleVersion
        fields = [
            "bundle",
            "name",
            "keywords",
            "audience",
            "theme",
            "lead_department",
            "description",
            "steps",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "steps" in self.fields:
            self.initial["steps"] = STEP_SEPARATOR.join(self.instance.steps or [])

    def clean_steps(self) -> list[str]:
        text = self.cleaned_data.get("steps") or ""
        return [
            s.strip() for s in text.replace("->", STEP_SEPARATOR).split(STEP_SEPARATOR) if s.strip()
        ]

    def clean_bundle(self) -> Bundle:
        bundle: Bundle = self.cleaned_data["bundle"]
        if self.instance.pk is None and bundle.versions.exists():
            raise ValidationError("该一件事已有版本：请在一件事页面点“创建新草稿”，再修改草稿。")
        return bundle


@admin.register(BundleVersion)
class BundleVersionAdmin(VersionAdmin):
    form = BundleVersionForm
    owner_field = "bundle"
    tools = staticmethod(bundle_tools)
    lint_version = staticmethod(lint_bundle_version)
    publish_version = staticmethod(catalog_publish_bundle)
    load_spec = staticmethod(bundle_spec)
    with_content = staticmethod(bundle_versions_with_content)
    list_display = ["bundle_code", "name", "number", "status", "published_at"]
    list_filter = ["status"]
    search_fields = ["bundle__code", "name"]
    list_select_related = ["bundle"]
    inlines = [BundleQuestionInline, BundleMemberInline, BundleEdgeInline]
    readonly_displays = {"steps": "steps_text", "keywords": "keyword_labels"}
    fieldsets = [
        (
            "一件事",
            {"fields": ["bundle", "number", "status", "name", "keywords", "audience", "theme"]},
        ),
        ("牵头与流程", {"fields": ["lead_department", "description", "steps"]}),
        ("记录", {"fields": ["created_at", "published_at", "published_by"]}),
    ]

    @admin.display(description="一件事标识", ordering="bundle__code")
    def bundle_code(self, obj: BundleVersion) -> str:
        return obj.bundle.code

    @admin.display(description="联办环节")
    def steps_text(self, obj: BundleVersion) -> str:
        return STEP_SEPARATOR.join(obj.steps) or "—"

    @admin.display(description=KEYWORDS_LABEL)
    def keyword_labels(self, obj: BundleVersion) -> str:
        return KEYWORD_SEPARATOR.join(obj.keywords) or "—"
