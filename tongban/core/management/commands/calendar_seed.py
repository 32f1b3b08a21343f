from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tongban.core import workcalendar
from tongban.core.calendar_actions import package_schedule, seed_calendar_from_chinesecalendar
from tongban.core.models import CalendarSource, CalendarYear


class Command(BaseCommand):
    help = (
        "Load holidays and make-up working days from the chinesecalendar package. "
        "Idempotent; never overwrites a year imported from the State Council notice or edited by hand."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--from-year", type=int, help="first year to seed (default: all)")
        parser.add_argument("--to-year", type=int, help="last year to seed (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        known = sorted(package_schedule())
        first = options["from_year"] or known[0]
        last = options["to_year"] or known[-1]
        if first > last:
            raise CommandError(f"起始年份 {first} 晚于结束年份 {last}")
        changed = seed_calendar_from_chinesecalendar(range(first, last + 1))
        if changed:
            years = "、".join(str(y) for y in changed)
            self.stdout.write(self.style.SUCCESS(f"已写入 {len(changed)} 个年度：{years}"))
        else:
            self.stdout.write("日历已是最新，没有变化")
        kept = CalendarYear.objects.filter(year__range=(first, last)).exclude(
            source=CalendarSource.CHINESECALENDAR
        )
        for row in kept.order_by("year"):
            self.stdout.write(
                f"保留管理员维护的 {row.year} 年（{row.get_source_display()}），未覆盖"
            )
        unknown = [y for y in range(first, last + 1) if y not in known]
        if unknown:
            self.stdout.write(
                self.style.WARNING(
                    f"chinesecalendar 数据包没有 {unknown[0]}–{unknown[-1]} 年的数据"
                    if len(unknown) > 1
                    else f"chinesecalendar 数据包没有 {unknown[0]} 年的数据"
                )
            )
        missing = workcalendar.missing_upcoming_year(timezone.localdate())
        if missing is not None:
            self.stdout.write(
                self.style.WARNING(
                    f"提醒：{missing} 年的节假日安排尚未导入，该年的到期日将标为“暂估”。"
                    "国务院通知发布后请用 calendar_import 导入。"
                )
            )
