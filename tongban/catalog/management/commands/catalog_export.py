"""Export the published catalog as one YAML file (to a path, or to standard output)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tongban.catalog.actions import catalog_export
from tongban.catalog.catalog_file import dump_catalog_text


class Command(BaseCommand):
    help = "导出现行事项目录为 YAML 文件"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="输出文件；省略则写到标准输出")
        parser.add_argument("--note", default="", help="写入文件的说明")

    def handle(self, *args: Any, **options: Any) -> None:
        text = dump_catalog_text(catalog_export(note=options["note"]))
        if options["path"]:
            with open(options["path"], "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
