"""Case clocks: statutory and promised due dates, pauses, warning levels.

Pure functions over a WorkCalendar snapshot (no queries). The rules (domain-china.md §7):
- both limits count from the day after 受理 (the start day is not counted), in working
  days or in natural days as the item says; a 即办件 is due on the day of acceptance;
- 补正 happens before 受理, so it never touches the clock;
- a special procedure (行政许可法 §45) is not counted: the days in (start, end] are added
  to both due dates — working days to a working-day limit, natural days to a natural one;
- a due date that falls in a year the calendar does not cover is provisional.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings

from tongban.catalog.enums import CaseKind, LimitUnit
from tongban.catalog.spec import ItemSpec, Limit
from tongban.core.workcalendar import WorkCalendar

from .enums import CaseState, WarningLevel


def _unit(limit: Limit) -> str:
    return "natural" if limit.unit == LimitUnit.NATURAL else "workday"


@dataclass(frozen=True)
class Clocks:
    statutory_due: datetime.date
    promised_due: datetime.date
    provisional: bool


def start_clocks(item: ItemSpec, accepted_on: datetime.date, cal: WorkCalendar) -> Clocks:
    statutory = cal.due_date(accepted_on, item.statutory_limit.days, _unit(item.statutory_limit))
    if item.case_kind == CaseKind.IMMEDIATE:
        promised = cal.due_date(accepted_on, 0)
    else:
        promised = cal.due_date(accepted_on, item.promised_limit.days, _unit(item.promised_limit))
    return Clocks(statutory.due, promised.due, statutory.provisional or promised.provisional)


@dataclass(frozen=True)
class Pause:
    working_days: int
    natural_days: int
    provisional: bool


def pause_between(started_on: datetime.date, ended_on: datetime.date, cal: WorkCalendar) -> Pause:
    """The time a special procedure takes out of the clock: the days in (start, end]."""
    counted = cal.count_working_days(started_on, ended_on)
    return Pause(counted.workdays, (ended_on - started_on).days, counted.provisional)


def due_after_pauses(
    accepted_on: datetime.date,
    limit: Limit,
    paused_working_days: int,
    paused_natural_days: int,
    cal: WorkCalendar,
) -> tuple[datetime.date, bool]:
    """A due date with every pause so far added to the limit, counted again from acceptance.

    Counting from acceptance (not from the old due date) matters for natural-day limits: a due
    date already rolled off a holiday must not carry that roll into the next pause.
    """
    if limit.unit == LimitUnit.NATURAL:
        due = cal.add_natural_days(accepted_on, limit.days + paused_natural_days)
    else:
        due = cal.add_working_days(accepted_on, limit.days + paused_working_days)
    return due.due, due.provisional


def yellow_days() -> int:
    return int(getattr(settings, "TONGBAN_YELLOW_DAYS", 2))


def yellow_limit(today: datetime.date, cal: WorkCalendar) -> datetime.date:
    """The last due date that is 黄牌 today: at most `yellow_days()` working days left."""
    return cal.add_working_days(today, yellow_days()).due


def warning_level(
    state: str, promised_due: datetime.date | None, today: datetime.date, cal: WorkCalendar
) -> str:
    """正常 / 黄牌 / 红牌 for an open case whose clock runs; a paused clock does not warn."""
    if state != CaseState.IN_REVIEW or promised_due is None:
        return WarningLevel.NORMAL
    if promised_due < today:
        return WarningLevel.RED
    if promised_due <= yellow_limit(today, cal):
        return WarningLevel.YELLOW
    return WarningLevel.NORMAL


@dataclass(frozen=True)
class DecisionTiming:
    """How long a decided case took, recorded on its decision event for the statistics."""

    working_days: int  # working days in (accepted_on, decided_on], less special procedures
    on_time_promised: bool
    on_time_statutory: bool

    def as_details(self) -> dict[str, int | bool]:
        return {
            "working_days": self.working_days,
            "on_time_promised": self.on_time_promised,
            "on_time_statutory": self.on_time_statutory,
        }


def decision_timing(
    accepted_on: datetime.date | None,
    promised_due: datetime.date | None,
    statutory_due: datetime.date | None,
    paused_working_days: int,
    decided_on: datetime.date,
    cal: WorkCalendar,
) -> DecisionTiming | None:
    """None for a case decided without acceptance (no clock ran)."""
    if accepted_on is None or promised_due is None or statutory_due is None:
        return None
    elapsed = cal.count_working_days(accepted_on, max(accepted_on, decided_on)).workdays
    return DecisionTiming(
        working_days=max(0, elapsed - paused_working_days),
        on_time_promised=decided_on <= promised_due,
        on_time_statutory=decided_on <= statutory_due,
    )
