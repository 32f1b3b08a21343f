"""Working-day arithmetic on the 工作日历 (read side).

The database stores only the exceptions to the Monday–Friday week (see models/calendar.py):
a day is a working day when it is a stored make-up working day (调休上班), or a weekday that
is not a stored holiday. A year counts only when a CalendarYear row says its schedule was
loaded ("covered"). A day in an uncovered year is judged on the weekday alone and the result
is flagged ``provisional`` — a due date is never silently guessed.

Counting rules:

- Working days (行政许可法 §82): the start day is not counted (民法典 §201 "开始的当日不计入"),
  counting begins on the next day; 0 days gives the start day itself (即办件).
- Natural days: start + N calendar days, then 民法典 §203 applies (see ``add_natural_days``).

Performance: these functions sit on hot paths (due dates of many cases). The calendar is kept
per process as an immutable snapshot of three sets; each public call costs one cheap revision
query (count and newest ``updated_at`` of CalendarYear, which every edit function touches)
and no query per day iterated. A batch caller can take ``current_calendar()`` once and call
the methods of the snapshot with no query at all.

The functions that change the calendar live in ``calendar_actions``; they call
``invalidate_calendar_cache()``.
"""

from __future__ import annotations

import bisect
import datetime
import threading
from dataclasses import dataclass
from typing import Literal

from django.db.models import Count, Max

from .models import CalendarDay, CalendarYear, DayKind

ONE_DAY = datetime.timedelta(days=1)
UNITS = ("workday", "natural")
Unit = Literal["workday", "natural"]

# The revision of the stored calendar: number of CalendarYear rows and their newest
# updated_at. Every edit function saves the CalendarYear row of the year it touches, so any
# committed change (from any process) moves one of the two.
Revision = tuple[int, datetime.datetime | None]


MAX_DAYS = 3650  # ten years: longer than any statutory or promised limit


@dataclass(frozen=True)
class DueDate:
    start: datetime.date
    days: int
    unit: str
    due: datetime.date
    provisional: bool


@dataclass(frozen=True)
class WorkdayCount:
    workdays: int
    provisional: bool


class WorkCalendar:
    """An immutable snapshot of the stored calendar; every method is pure (no queries)."""

    def __init__(
        self,
        covered: frozenset[int],
        holidays: frozenset[datetime.date],
        workdays: frozenset[datetime.date],
        revision: Revision = (0, None),
    ) -> None:
        self.covered = covered
        self.holidays = holidays
        self.workdays = workdays
        self.revision = revision
        # For counting without iterating: the exceptions that change a day's status.
        self._weekday_holidays = sorted(
            d for d in holidays if d.weekday() < 5 and d.year in covered and d not in workdays
        )
        self._weekend_workdays = sorted(
            d for d in workdays if d.weekday() >= 5 and d.year in covered
        )

    def judge(self, day: datetime.date) -> tuple[bool, bool]:
        """(is a working day, judged from a covered year)."""
        if day.year not in self.covered:
            return day.weekday() < 5, False
        if day in self.workdays:
            return True, True
        if day in self.holidays:
            return False, True
        return day.weekday() < 5, True

    def is_working_day(self, day: datetime.date) -> bool:
        return self.judge(day)[0]

    def add_working_days(self, start: datetime.date, days: int) -> DueDate:
        _check_days(days)
        day = start
        remaining = days
        provisional = False
        try:
            while remaining > 0:
                day += ONE_DAY
                working, covered = self.judge(day)
                provisional = provisional or not covered
                if working:
                    remaining -= 1
        except OverflowError:
            raise ValueError("超出可计算的日期范围") from None
        return DueDate(start, days, "workday", day, provisional)

    def add_natural_days(self, start: datetime.date, days: int) -> DueDate:
        """Start + N calendar days; a period ending on a rest day ends on the next working day.

        民法典 §203: "期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日".
        Rest days here are weekends and holidays, but not make-up working days: the
        long-standing reading counts a weekend as a 法定休假日 and follows 调休 (the former
        民通意见 §198 said so explicitly), so a worked Saturday ends a period normally.
        0 days gives the start day itself, as for working days.
        """
        _check_days(days)
        provisional = False
        try:
            due = start + datetime.timedelta(days=days)
            if days > 0:
                while True:
                    working, covered = self.judge(due)
                    provisional = provisional or not covered
                    if working:
                        break
                    due += ONE_DAY
        except OverflowError:
            raise ValueError("超出可计算的日期范围") from None
        return DueDate(start, days, "natural", due, provisional)

    def due_date(self, start: datetime.date, days: int, unit: str = "workday") -> DueDate:
        if unit == "workday":
            return self.add_working_days(start, days)
        if unit == "natural":
            return self.add_natural_days(start, days)
        raise ValueError(f"未知的时限单位“{unit}”，应为 workday（工作日）或 natural（自然日）")

    def count_working_days(self, start: datetime.date, end: datetime.date) -> WorkdayCount:
        """Working days in (start, end]: the start day is not counted, the end day is.

        Computed arithmetically (weekdays, minus weekday holidays, plus weekend make-up
        days), so a long range costs no more than a short one.
        """
        if end < start:
            raise ValueError(f"结束日期 {end.isoformat()} 早于起算日期 {start.isoformat()}")
        if end == start:
            return WorkdayCount(0, False)
        count = _weekdays_through(end) - _weekdays_through(start)
        count -= _between(self._weekday_holidays, start, end)
        count += _between(self._weekend_workdays, start, end)
        first_year = (start + ONE_DAY).year
        provisional = any(y not in self.covered for y in range(first_year, end.year + 1))
        return WorkdayCount(count, provisional)


def _weekdays_through(day: datetime.date) -> int:
    """Mondays–Fridays from 0001-01-01 (a Monday) up to and including `day`."""
    ordinal = day.toordinal()
    return 5 * (ordinal // 7) + min(ordinal % 7, 5)


def _between(days: list[datetime.date], start: datetime.date, end: datetime.date) -> int:
    """How many of the sorted `days` fall in (start, end]."""
    return bisect.bisect_right(days, end) - bisect.bisect_right(days, start)


def _check_days(days: int) -> None:
    if days < 0:
        raise ValueError("天数不能为负数")
    if days > MAX_DAYS:
        raise ValueError(f"天数不能超过{MAX_DAYS}")


# --- the per-process cache -------------------------------------------------------------

_lock = threading.Lock()
_cached: WorkCalendar | None = None


def _current_revision() -> Revision:
    row = CalendarYear.objects.aggregate(count=Count("year"), latest=Max("updated_at"))
    return (row["count"], row["latest"])


def _load() -> WorkCalendar:
    # Years first, days second: under READ COMMITTED a change committed in between shows in
    # the days but not in the revision, so the next call reloads — never the reverse.
    years = list(CalendarYear.objects.values_list("year", "updated_at"))
    covered = frozenset(year for year, _ in years)
    revision: Revision = (len(years), max((at for _, at in years), default=None))
    holidays: set[datetime.date] = set()
    workdays: set[datetime.date] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        # Rows of an uncovered year are ignored: such a year is judged on weekdays only and
        # flagged provisional, so a stray row must not make it look half-known.
        if day.year not in covered:
            continue
        (workdays if kind == DayKind.WORKDAY else holidays).add(day)
    return WorkCalendar(covered, frozenset(holidays), frozenset(workdays), revision)


def current_calendar() -> WorkCalendar:
    """The calendar as stored now: one revision query, a reload only when it changed."""
    global _cached
    revision = _current_revision()
    cached = _cached
    if cached is not None and cached.revision == revision:
        return cached
    with _lock:
        if _cached is None or _cached.revision != revision:
            _cached = _load()
        return _cached


def invalidate_calendar_cache() -> None:
    """Drop this process's snapshot (the revision check covers other processes)."""
    global _cached
    with _lock:
        _cached = None


# --- the public functions used by views, API and other apps ------------------------------


def is_working_day(day: datetime.date) -> bool:
    """Whether `day` is a working day; in an uncovered year, whether it is Monday–Friday."""
    return current_calendar().is_working_day(day)


def add_working_days(start: datetime.date, days: int) -> DueDate:
    """The day on which `days` working days counted from the day after `start` are done."""
    return current_calendar().add_working_days(start, days)


def add_natural_days(start: datetime.date, days: int) -> DueDate:
    """Start + `days` calendar days, rolled forward to a working day (民法典 §203)."""
    return current_calendar().add_natural_days(start, days)


def due_date(start: datetime.date, days: int, unit: str = "workday") -> DueDate:
    """Due date of a limit of `days` in `unit` ("workday" 工作日 or "natural" 自然日)."""
    return current_calendar().due_date(start, days, unit)


def count_working_days(start: datetime.date, end: datetime.date) -> WorkdayCount:
    """Working days in (start, end]; ValueError when `end` is before `start`."""
    return current_calendar().count_working_days(start, end)


def covered_years() -> set[int]:
    return set(current_calendar().covered)


def missing_upcoming_year(today: datetime.date) -> int | None:
    """The earliest of this year and next year without a loaded schedule, else None.

    The State Council publishes next year's schedule around November; the sysadmin home
    page uses this to remind the administrator to import it.
    """
    covered = current_calendar().covered
    for year in (today.year, today.year + 1):
        if year not in covered:
            return year
    return None
