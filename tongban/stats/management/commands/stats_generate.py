"""`manage.py stats_generate --cases 10000000`: the synthetic load of the statistics benchmark.

Writes applications, cases and the audit events a real run would have written (chain
"main"), with placeholder hashes: `audit_verify` means nothing on such a database.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.cases.models import Application, Case
from tongban.stats.generator import Options, generate


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from None


class Command(BaseCommand):
    help = "Generate synthetic cases, applications and audit events for the statistics benchmark."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cases", type=int, required=True, help="how many cases to generate")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--start", default="2024-01-01", help="first day received")
        parser.add_argument(
            "--end", default="2026-11-20", help="last day; later events not written"
        )
        parser.add_argument("--batch", type=int, default=200_000, help="cases per COPY batch")
        parser.add_argument("--pool", type=int, default=3000, help="applicants per region")
        parser.add_argument(
            "--append", action="store_true", help="add to a database that already has cases"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = _date(options["start"]), _date(options["end"])
        if end < start:
            raise CommandError("--end 早于 --start")
        if options["cases"] <= 0:
            raise CommandError("--cases 应为正整数")
        if not options["append"] and (Case.objects.exists() or Application.objects.exists()):
            raise CommandError("数据库中已有办件或申请：生成器只写入空库；确需追加请加 --append")
        summary = generate(
            Options(
                cases=options["cases"],
                seed=options["seed"],
                start=start,
                end=end,
                batch=options["batch"],
                pool=options["pool"],
                # Into empty tables: rebuild indexes once at the end instead of per row.
                bulk=not options["append"],
            ),
            say=self.stdout.write,
        )
        self.stdout.write("")
        self.stdout.write(
            f"完成：办件 {summary.cases:,}，申请 {summary.applications:,}，审计事件 "
            f"{summary.events:,}（序号 {summary.first_seq:,}…{summary.last_seq:,}），"
            f"特别程序 {summary.specials:,}，用时 {summary.elapsed:,.0f} 秒"
            f"（{summary.cases / max(summary.elapsed, 0.001):,.0f} 件/秒）"
        )
        self.stdout.write("办件状态：")
        for state, n in summary.states.most_common():
            self.stdout.write(f"  {state:<20} {n:>12,}  {100 * n / summary.cases:6.2f} %")
