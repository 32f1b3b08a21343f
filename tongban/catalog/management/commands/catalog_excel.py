"""Items and materials as an Excel workbook: `export PATH.xlsx`, `import PATH.xlsx [--dry-run]`.

Import shows what would change (新增/修改/不变) and applies it atomically; any problem in the
workbook — located by sheet, row and column — or any lint error refuses the whole file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.catalog.actions import LintFailed, catalog_import
from tongban.catalog.catalog_file import CatalogFileError
from tongban.catalog.excel import describe_problem, export_workbook, parse_catalog_workbook
from tongban.catalog.report import format_import_report

MAX_BYTES = 20 * 1024 * 1024


class Command(BaseCommand):
    help = "以 Excel 工作簿导出或导入事项与申请材料"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="export|import")
        export = actions.add_parser("export", help="导出现行事项与材料")
        export.add_argument("path", help="输出的 .xlsx 文件")
        load = actions.add_parser("import", help="导入事项与材料（先显示差异）")
        load.add_argument("path", help="要导入的 .xlsx 文件")
        load.add_argument("--dry-run", action="store_true", help="只检查并显示差异，不写入")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if options["action"] == "export":
            path.write_bytes(export_workbook())
            self.stdout.write(f"已导出到 {path}")
            return
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(f"文件过大（不超过 {MAX_BYTES // 1024 // 1024}MB）")
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from exc
        try:
            catalog = parse_catalog_workbook(data)
            report = catalog_import(catalog, actor=None, dry_run=options["dry_run"])
        except CatalogFileError as exc:
            lines = [describe_problem(p) for p in exc.problems]
            raise CommandError("工作簿有错误，未导入任何内容：\n" + "\n".join(lines)) from exc
        except LintFailed as exc:
            lines = [f"[{p['subject']}] {p['message']}" for p in exc.detail]
            raise CommandError("目录检查未通过，未导入任何内容：\n" + "\n".join(lines)) from exc
        self.stdout.write(format_import_report(report))
