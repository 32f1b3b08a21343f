"""Catalog import (YAML file or Excel workbook, previewed before anything is written) and
export (YAML, Excel) pages, hung off the service-item admin.

Import is two steps: the upload is parsed and dry-run (`catalog_import(..., dry_run=True)`)
to show what would change; the page carries the file back in a signed hidden field, and
“确认导入” parses it again and applies it in one transaction. Any problem — a parse error
located by line/column (or sheet/row/column), a lint error — writes nothing.
"""

from __future__ import annotations

import base64
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from ..actions import ImportReport, LintFailed, catalog_export, catalog_import
from ..catalog_file import CatalogFileError, FileProblem, dump_catalog_text, parse_catalog_text
from ..enums import VersionStatus
from ..excel import CONTENT_TYPE, export_workbook, parse_catalog_workbook
from ..lint import LintProblem
from ..models import BundleVersion, ItemVersion
from ..report import KIND_LABELS
from ..spec import CatalogSpec
from .common import actor, can_edit, field_label, path_label

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
PAYLOAD_SALT = "tongban.catalog.import"
PAYLOAD_MAX_AGE = 3600  # seconds between preview and confirmation


class CatalogUploadForm(forms.Form):
    file = forms.FileField(
        label="目录文件",
        help_text="YAML 目录文件（.yaml，格式见 docs/catalog-format.md）或 Excel 工作簿（.xlsx，"
        "先导出一份作为模板）。",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(f"文件过大（不超过 {MAX_UPLOAD_BYTES // 1024 // 1024}MB）")
        return upload


def parse_upload(name: str, data: bytes) -> CatalogSpec:
    if name.lower().endswith((".xlsx", ".xls")) or data[:4] == b"PK\x03\x04":
        return parse_catalog_workbook(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = "文件不是 UTF-8 编码的文本：请上传 YAML 目录文件或 .xlsx 工作簿"
        raise CatalogFileError([FileProblem(message)]) from None
    return parse_catalog_text(text)


def _pack(name: str, data: bytes) -> str:
    content = {"name": name, "data": base64.b64encode(data).decode("ascii")}
    return signing.dumps(content, salt=PAYLOAD_SALT, compress=True)


def _unpack(payload: str) -> tuple[str, bytes]:
    content = signing.loads(payload, salt=PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE)
    return str(content["name"]), base64.b64decode(content["data"])


def _file_rows(problems: list[FileProblem]) -> list[dict[str, Any]]:
    return [
        {
            "sheet": p.sheet,
            "line": p.line or "",
            # Spreadsheet users look for column letters; YAML editors for numbers.
            "column": (get_column_letter(p.column) if p.sheet else p.column) if p.column else "",
            "path": p.path,
            "message": p.message,
        }
        for p in problems
    ]


def _lint_rows(problems: list[LintProblem]) -> list[dict[str, Any]]:
    return [{"problem": p, "where": path_label(p.path)} for p in problems]


def _change_groups(report: ImportReport) -> list[dict[str, Any]]:
    groups = []
    for kind, label in KIND_LABELS.items():
        rows = [
            {"change": c, "fields": "、".join(field_label(f) for f in c.fields)}
            for c in report.changes
            if c.kind == kind
        ]
        if rows:
            groups.append({"label": label, "rows": rows})
    return groups


def _drafts_replaced(report: ImportReport) -> list[str]:
    """Drafts that applying the file throws away (an imported item gets a fresh version)."""
    touched = {(c.kind, c.code) for c in report.changes if c.action != "unchanged"}
    items = [code for kind, code in touched if kind == "item"]
    bundles = [code for kind, code in touched if kind == "bundle"]
    drafts = [
        str(v) for v in ItemVersion.objects.filter(status=VersionStatus.DRAFT, item__code__in=items)
    ]
    drafts += [
        str(v)
        for v in BundleVersion.objects.filter(status=VersionStatus.DRAFT, bundle__code__in=bundles)
    ]
    return sorted(drafts)


class TransferViews:
    """Mixed into the service-item admin: its import page and export downloads."""

    admin_site: Any
    model: Any

    def transfer_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="catalog_serviceitem_import"),
            path("export/yaml/", wrap(self.export_yaml), name="catalog_serviceitem_export_yaml"),
            path("export/xlsx/", wrap(self.export_xlsx), name="catalog_serviceitem_export_xlsx"),
        ]

    def export_yaml(self, request: HttpRequest) -> HttpResponse:
        if not can_edit(request):
            raise PermissionDenied
        text = dump_catalog_text(catalog_export())
        return _download(text.encode("utf-8"), "application/yaml; charset=utf-8", "yaml")

    def export_xlsx(self, request: HttpRequest) -> HttpResponse:
        if not can_edit(request):
            raise PermissionDenied
        return _download(export_workbook(), CONTENT_TYPE, "xlsx")

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not can_edit(request):
            raise PermissionDenied("只有事项管理员可以导入目录")
        context: dict[str, Any] = {}
        form = CatalogUploadForm()
        if request.method == "POST" and "payload" in request.POST:
            try:
                name, data = _unpack(request.POST["payload"])
            except signing.BadSignature:
                context["refused"] = "预览已失效（超过一小时或内容不完整），请重新上传文件。"
            else:
                report = self._try_import(context, name, data, request, dry_run=False)
                if report is not None:
                    messages.success(
                        request,
                        f"已导入 {name}：新增 {report.count('added')}，修改 "
                        f"{report.count('changed')}，不变 {report.count('unchanged')}。",
                    )
                    return HttpResponseRedirect(reverse("admin:catalog_serviceitem_changelist"))
        elif request.method == "POST":
            form = CatalogUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                name, data = upload.name, upload.read()
                report = self._try_import(context, name, data, request, dry_run=True)
                if report is not None:
                    self._preview(context, report, name, data)
        context.update(
            {
                **self.admin_site.each_context(request),
                "title": "导入事项目录",
                "opts": self.model._meta,
                "form": form,
            }
        )
        return TemplateResponse(request, "admin/catalog/import.html", context)

    def _try_import(
        self, context: dict[str, Any], name: str, data: bytes, request: HttpRequest, dry_run: bool
    ) -> ImportReport | None:
        context["file_name"] = name
        try:
            return catalog_import(parse_upload(name, data), actor(request), dry_run=dry_run)
        except CatalogFileError as exc:
            context["refused"] = "文件有错误，未导入任何内容。请按下列位置修改后重新上传。"
            context["file_problems"] = _file_rows(exc.problems)
        except LintFailed as exc:
            context["refused"] = "目录检查未通过，未导入任何内容。"
            context["lint_errors"] = _lint_rows([p for p in exc.problems if p.is_error])
            context["lint_warnings"] = _lint_rows([p for p in exc.problems if not p.is_error])
        return None

    def _preview(
        self, context: dict[str, Any], report: ImportReport, name: str, data: bytes
    ) -> None:
        payload = _pack(name, data)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        context.update(
            {
                "report": report,
                "groups": _change_groups(report),
                "counts": {a: report.count(a) for a in ("added", "changed", "unchanged")},
                "lint_warnings": _lint_rows(report.warnings),
                "drafts_replaced": _drafts_replaced(report),
                "anything_to_do": report.count("added") + report.count("changed") > 0,
            }
        )
        if limit is not None and len(payload) > limit - 64 * 1024:
            context["too_large"] = True  # use `manage.py catalog_import` for such a file
        else:
            context["payload"] = payload


def _download(content: bytes, content_type: str, extension: str) -> HttpResponse:
    stamp = timezone.localdate().strftime("%Y%m%d")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="tongban-catalog-{stamp}.{extension}"'
    return response
