"""The working-day calendar (工作日历): only the exceptions to the Monday–Friday week are stored.

A day is a working day when it is a stored make-up working day (调休上班), or when it is a
weekday that is not a stored holiday. A year is *covered* only when a CalendarYear row says
its schedule was loaded; days in uncovered years are computed on weekdays and flagged
provisional by the calendar functions, never silently guessed.
"""

from __future__ import annotations

from django.db import models


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "节假日（休息）"
    WORKDAY = "workday", "调休上班日"


class CalendarSource(models.TextChoices):
    CHINESECALENDAR = "chinesecalendar", "chinesecalendar 数据包"
    NOTICE_IMPORT = "notice_import", "国务院通知导入"
    MANUAL = "manual", "手工维护"


class CalendarYear(models.Model):
    year = models.PositiveSmallIntegerField("年份", primary_key=True)
    source = models.CharField("数据来源", max_length=32, choices=CalendarSource.choices)
    notice = models.CharField("依据文件", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "日历年度"
        verbose_name_plural = "日历年度"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}年"


class CalendarDay(models.Model):
    date = models.DateField("日期", primary_key=True)
    kind = models.CharField("类型", max_length=16, choices=DayKind.choices)
    name = models.CharField("节日名称", max_length=32, blank=True)

    class Meta:
        verbose_name = "日历特殊日"
        verbose_name_plural = "日历特殊日"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()
