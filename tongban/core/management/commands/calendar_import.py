from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.core.calendar_actions import import_year_schedule
from tongban.core.calendar_schedule import decode_schedule_bytes
from tongban.core.errors import DomainError
from tongban.core.models import CalendarDay, DayKind, User


class Command(BaseCommand):
    help = (
        "Import one year's holiday schedule typed from the State Council notice "
        "(format: docs/calendar.md; example: docs/examples/calendar-2027-example.txt)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="UTF-8 text file with the year's schedule")
        parser.add_argument("--user", help="username recorded as the actor in the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"用户“{options['user']}”不存在")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取文件 {path}：{error.strerror}") from None
        try:
            row = import_year_schedule(decode_schedule_bytes(data), actor=actor)
        except DomainError as error:
            raise CommandError(f"导入失败，未做任何修改：\n{error.detail}") from None
        days = CalendarDay.objects.filter(date__year=row.year)
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {row.year} 年节假日安排：放假 {days.filter(kind=DayKind.HOLIDAY).count()} 天，"
                f"调休上班 {days.filter(kind=DayKind.WORKDAY).count()} 天"
                + (f"（依据：{row.notice}）" if row.notice else "")
            )
        )
