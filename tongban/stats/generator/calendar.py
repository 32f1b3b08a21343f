"""The work calendar as arrays, for ten million cases.

Days are proleptic ordinals (`date.toordinal()`), times are seconds since local midnight of
ordinal 0 (Asia/Shanghai: the service centre's day). Whether a day is a working day comes
from the real calendar (`current_calendar().judge`), once per day of the range; due dates
come from the real calendar's own methods, memoised per (accepted day, limit) — the same
functions the case actions call, so a generated case has exactly the due dates a real one
would have.
"""

from __future__ import annotations

import datetime
from bisect import bisect_left
from functools import cache

from tongban.core.workcalendar import WorkCalendar, current_calendar

DAY = 86400


class FastCalendar:
    def __init__(self, first: datetime.date, last: datetime.date, cal: WorkCalendar | None = None):
        self.cal = cal or current_calendar()
        self.first = first.toordinal()
        self.last = last.toordinal()
        self.working: list[bool] = []
        self.holiday: list[bool] = []
        self.cum: list[int] = []  # working days in [first, day]
        self.workdays: list[int] = []  # ordinals of the working days, in order
        count = 0
        for o in range(self.first, self.last + 1):
            day = datetime.date.fromordinal(o)
            working = self.cal.judge(day)[0]
            self.working.append(working)
            self.holiday.append(day in self.cal.holidays and not working)
            if working:
                count += 1
                self.workdays.append(o)
            self.cum.append(count)
        self._dates: dict[int, str] = {}

    def is_working(self, o: int) -> bool:
        return self.working[o - self.first]

    def is_holiday(self, o: int) -> bool:
        return self.holiday[o - self.first]

    def count(self, a: int, b: int) -> int:
        """Working days in (a, b]."""
        return self.cum[b - self.first] - self.cum[a - self.first]

    def add(self, a: int, n: int) -> int:
        """The n-th working day after a (a itself for n = 0)."""
        if n <= 0:
            return a
        return self.workdays[self.cum[a - self.first] + n - 1]

    def next_working(self, o: int) -> int:
        """o if it is a working day, else the next one."""
        return self.workdays[bisect_left(self.workdays, o)]

    def iso(self, o: int) -> str:
        text = self._dates.get(o)
        if text is None:
            text = self._dates[o] = datetime.date.fromordinal(o).isoformat()
        return text

    def stamp(self, t: int) -> str:
        """A local time as PostgreSQL reads it: '2024-01-02 09:31:05+08'."""
        s = t % DAY
        return f"{self.iso(t // DAY)} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+08"

    @cache  # noqa: B019 - one instance per run, kept for its lifetime
    def due(self, accepted: int, days: int, natural: bool) -> tuple[int, bool]:
        """(due ordinal, provisional) exactly as tongban.cases.clock computes it."""
        start = datetime.date.fromordinal(accepted)
        result = (
            self.cal.add_natural_days(start, days)
            if natural
            else self.cal.add_working_days(start, days)
        )
        return result.due.toordinal(), result.provisional


def stamp_to_datetime(t: int) -> datetime.datetime:
    """The aware datetime of a local time in seconds (for the SQLite writer and tests)."""
    day = datetime.date.fromordinal(t // DAY)
    s = t % DAY
    tz = datetime.timezone(datetime.timedelta(hours=8))
    return datetime.datetime(
        day.year, day.month, day.day, s // 3600, s // 60 % 60, s % 60, tzinfo=tz
    )
