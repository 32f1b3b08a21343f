"""Import a catalog YAML file: shows what would change, then applies it atomically."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.catalog.actions import LintFailed, catalog_import
from tongban.catalog.catalog_file import CatalogFileError, parse_catalog_files
from tongban.catalog.report import format_import_report


class Command(BaseCommand):
    help = "导入事项目录 YAML 文件（先显示差异；--dry-run 只检查不写入）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="一个或多个目录文件（合并为一个目录）")
        parser.add_argument("--dry-run", action="store_true", help="只检查并显示差异，不写入")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            catalog = parse_catalog_files(options["paths"])
            report = catalog_import(catalog, actor=None, dry_run=options["dry_run"])
        except CatalogFileError as exc:
            raise CommandError("目录文件有错误，未导入任何内容：\n" + str(exc)) from exc
        except LintFailed as exc:
            lines = [f"[{p['subject']}] {p['message']}" for p in exc.detail]
            raise CommandError("目录检查未通过，未导入任何内容：\n" + "\n".join(lines)) from exc
        self.stdout.write(format_import_report(report))
