"""Domain functions that change the working-day calendar (工作日历).

Each runs in one transaction, locks the CalendarYear row it changes, saves that row (its
``updated_at`` is the revision the read side's cache checks), appends one audit event per
changed year and drops this process's calendar cache.

Which source wins: a year the administrator imported from the State Council notice
(notice_import) or edited by hand (manual) is never overwritten by the chinesecalendar seed,
which only fills years that are missing or that it wrote itself.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from .audit import record_event
from .calendar_schedule import makeup_day_problem, parse_year_schedule
from .errors import DomainError
from .models import CalendarDay, CalendarSource, CalendarYear, DayKind, User
from .workcalendar import invalidate_calendar_cache

OBJECT_TYPE = "calendar_year"

# chinesecalendar names holidays in English; the platform shows them in Chinese.
PACKAGE_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

DayMap = dict[datetime.date, tuple[str, str]]


def _year_bounds(first: int, last: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(first, 1, 1), datetime.date(last, 12, 31)


def _stored_days(first: int, last: int) -> dict[int, DayMap]:
    """Stored exceptions of the years first..last, by year (one query)."""
    by_year: dict[int, DayMap] = {}
    rows = CalendarDay.objects.filter(date__range=_year_bounds(first, last))
    for day, kind, name in rows.values_list("date", "kind", "name"):
        by_year.setdefault(day.year, {})[day] = (kind, name)
    return by_year


def _state(row: CalendarYear | None, days: DayMap) -> dict[str, Any] | None:
    """A year as the audit trail records it (dates as ISO strings)."""
    if row is None and not days:
        return None
    return {
        "source": row.source if row else "",
        "notice": row.notice if row else "",
        "holidays": {d.isoformat(): n for d, (k, n) in sorted(days.items()) if k == "holiday"},
        "workdays": {d.isoformat(): n for d, (k, n) in sorted(days.items()) if k == "workday"},
    }


def _replace_days(new: DayMap, old: DayMap) -> None:
    """Turn the stored rows of a year (`old`) into `new`, touching only the rows that differ."""
    stale = [day for day, value in old.items() if new.get(day) != value]
    if stale:
        CalendarDay.objects.filter(date__in=stale).delete()
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=day, kind=kind, name=name)
            for day, (kind, name) in sorted(new.items())
            if old.get(day) != (kind, name)
        ]
    )


def _after_change() -> None:
    # Now, for reads later in this transaction; on commit, for reads after it. The revision
    # check would catch both anyway — this just avoids relying on timestamp resolution.
    invalidate_calendar_cache()
    transaction.on_commit(invalidate_calendar_cache)


def package_schedule() -> dict[int, DayMap]:
    """The chinesecalendar data by year (2004–2026 in version 1.11)."""
    import chinese_calendar

    by_year: dict[int, DayMap] = {}
    for kind, source in (
        (DayKind.HOLIDAY, chinese_calendar.holidays),
        (DayKind.WORKDAY, chinese_calendar.workdays),
    ):
        for day, english in source.items():
            name = PACKAGE_HOLIDAY_NAMES.get(english, english)
            by_year.setdefault(day.year, {})[day] = (str(kind), name)
    return by_year


def seed_calendar_from_chinesecalendar(
    years: range | None = None, actor: User | None = None
) -> list[int]:
    """Load the years the chinesecalendar package knows; return the years that changed.

    Idempotent: a year already equal to the package data is not touched and gets no audit
    event. Years edited by an administrator (notice_import, manual) are skipped, and years
    the package does not know (e.g. 2027 in version 1.11) are never marked covered.
    """
    import chinese_calendar

    data = package_schedule()
    wanted = sorted(data) if years is None else [y for y in years if y in data]
    if not wanted:
        return []
    notice = f"chinesecalendar {chinese_calendar.__version__}"
    changed: list[int] = []
    with transaction.atomic():
        rows = {
            row.year: row
            for row in CalendarYear.objects.select_for_update().filter(year__in=wanted)
        }
        stored = _stored_days(wanted[0], wanted[-1])
        for year in wanted:
            row = rows.get(year)
            if row is not None and row.source != CalendarSource.CHINESECALENDAR:
                continue
            old = stored.get(year, {})
            if row is not None and old == data[year]:
                continue
            before = _state(row, old)
            _replace_days(data[year], old)
            row = row or CalendarYear(year=year)
            row.source = CalendarSource.CHINESECALENDAR
            row.notice = notice
            row.save()
            record_event(
                action="calendar_seeded",
                object_type=OBJECT_TYPE,
                object_id=year,
                actor=actor,
                before=before,
                after=_state(row, data[year]),
            )
            changed.append(year)
        if changed:
            _after_change()
    return changed


def import_year_schedule(text: str, actor: User | None) -> CalendarYear:
    """Replace one year's exceptions with the administrator's transcription of the notice.

    The format is described in ``calendar_schedule``. The whole file is checked before
    anything is written; a bad file raises DomainError("calendar_import_invalid", ...)
    naming every bad line. Afterwards the year is covered with source notice_import.
    """
    parsed = parse_year_schedule(text)
    new: DayMap = {day: (str(kind), name) for day, (kind, name) in parsed.days.items()}
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=parsed.year).first()
        old = _stored_days(parsed.year, parsed.year).get(parsed.year, {})
        before = _state(row, old)
        _replace_days(new, old)
        row = row or CalendarYear(year=parsed.year)
        row.source = CalendarSource.NOTICE_IMPORT
        row.notice = parsed.notice
        row.save()
        record_event(
            action="calendar_imported",
            object_type=OBJECT_TYPE,
            object_id=parsed.year,
            actor=actor,
            before=before,
            after=_state(row, new),
        )
        _after_change()
    return row


def check_calendar_day(day: datetime.date, kind: str | None, name: str) -> None:
    """Raise DomainError when a single-day edit is not allowed (used by forms up front)."""
    if kind is not None and kind not in DayKind.values:
        raise DomainError("calendar_day_invalid", f"未知的日期类型“{kind}”")
    if len(name) > 32:
        raise DomainError("calendar_day_invalid", "节日名称不能超过32个字")
    problem = makeup_day_problem(day) if kind == DayKind.WORKDAY else None
    if problem:
        raise DomainError("calendar_day_invalid", problem)
    if not CalendarYear.objects.filter(year=day.year).exists():
        # Editing one day must not make a year look covered: the rest of it would be a
        # guess presented as fact.
        raise DomainError(
            "calendar_year_not_covered",
            f"{day.year}年的节假日安排尚未导入，请先导入国务院通知，再修改单日",
        )


def set_calendar_day(
    day: datetime.date, kind: str | None, name: str, actor: User | None
) -> CalendarDay | None:
    """Make `day` a holiday or a make-up working day, or (kind None) an ordinary day.

    Marks the year as manually maintained, so the seed will not overwrite it. Returns the
    stored row, or None when the day has no exception any more.
    """
    name = name.strip()
    check_calendar_day(day, kind, name)
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().get(year=day.year)
        current = CalendarDay.objects.filter(date=day).first()
        old = (current.kind, current.name) if current else None
        new = (str(kind), name) if kind is not None else None
        if old == new:
            return current
        before = {"date": day.isoformat(), "source": row.source, "kind": None, "name": ""}
        if current is not None:
            before.update(kind=current.kind, name=current.name)
        result: CalendarDay | None = None
        if kind is None:
            CalendarDay.objects.filter(date=day).delete()
        else:
            result, _ = CalendarDay.objects.update_or_create(
                date=day, defaults={"kind": str(kind), "name": name}
            )
        row.source = CalendarSource.MANUAL
        row.save()
        record_event(
            action="calendar_day_set",
            object_type=OBJECT_TYPE,
            object_id=day.year,
            actor=actor,
            before=before,
            after={
                "date": day.isoformat(),
                "source": row.source,
                "kind": kind if kind is None else str(kind),
                "name": name if kind is not None else "",
            },
        )
        _after_change()
    return result
