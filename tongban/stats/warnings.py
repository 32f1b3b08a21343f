"""Live 黄牌 / 红牌 lists and counts, straight from the cases (never from a rollup: a warning
is about today), scoped by the statistics filter.

Both use the (state, promised_due) index, or for one bundle the partial index of cases under
review by (bundle_code, promised_due): a warned case is one under review whose promised date is
near or past, so the count and the first page read a narrow index range however many cases
there are.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from tongban.cases.clock import yellow_limit
from tongban.cases.enums import CaseState, WarningLevel
from tongban.cases.models import Case
from tongban.core.errors import DomainError
from tongban.core.workcalendar import WorkCalendar, current_calendar

from .filters import StatsFilter

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
LEVELS = (WarningLevel.RED, WarningLevel.YELLOW)


def _scoped_cases(stats: StatsFilter) -> QuerySet[Case]:
    cases = Case.objects.filter(stats.region_q("department__region"))
    if stats.department is not None:
        cases = cases.filter(department_id=stats.department)
    if stats.bundle is not None:
        cases = cases.filter(bundle_code=stats.bundle)
    return cases


def _level_q(level: str, today: datetime.date, cal: WorkCalendar) -> Q:
    if level == WarningLevel.RED:
        return Q(promised_due__lt=today)
    return Q(promised_due__gte=today, promised_due__lte=yellow_limit(today, cal))


def warning_counts(
    stats: StatsFilter, today: datetime.date, cal: WorkCalendar | None = None
) -> dict[str, int]:
    """How many cases carry each card today: one query."""
    cal = cal or current_calendar()
    counted = (
        _scoped_cases(stats)
        .filter(state=CaseState.IN_REVIEW, promised_due__lte=yellow_limit(today, cal))
        .aggregate(
            red=Count("pk", filter=_level_q(WarningLevel.RED, today, cal)),
            yellow=Count("pk", filter=_level_q(WarningLevel.YELLOW, today, cal)),
        )
    )
    return {"red": counted["red"], "yellow": counted["yellow"]}


def parse_level(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw not in LEVELS:
        raise DomainError("bad_level", "level 应为 red（红牌）或 yellow（黄牌）", 400)
    return raw


def warning_list(
    stats: StatsFilter,
    today: datetime.date,
    *,
    level: str | None = None,
    limit: int = PAGE_SIZE,
    after: str | None = None,
    counts: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Warned cases, most overdue first (keyset paging on promised_due, id). Pass `counts`
    when the caller has them already (the dashboard's overview), to save the count query."""
    cal = current_calendar()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    cases = _scoped_cases(stats).filter(state=CaseState.IN_REVIEW)
    cases = (
        cases.filter(_level_q(level, today, cal))
        if level
        else cases.filter(promised_due__lte=yellow_limit(today, cal))
    )
    if after:
        due, _, pk = after.partition("~")
        try:
            cursor_due, cursor_pk = datetime.date.fromisoformat(due), int(pk)
        except ValueError:
            raise DomainError("bad_cursor", "翻页参数 after 无效", 400) from None
        cases = cases.filter(
            Q(promised_due__gt=cursor_due) | Q(promised_due=cursor_due, pk__gt=cursor_pk)
        )
    page = list(
        cases.select_related("department")
        .order_by("promised_due", "pk")
        .only(
            "case_no",
            "item_name",
            "item_code",
            "promised_due",
            "statutory_due",
            "accepted_on",
            "department__name",
        )[: limit + 1]
    )
    more = len(page) > limit
    page = page[:limit]
    rows = [
        {
            "case_no": case.case_no,
            "item_code": case.item_code,
            "item_name": case.item_name,
            "department": case.department.name,
            "accepted_on": case.accepted_on,
            "promised_due": case.promised_due,
            "statutory_due": case.statutory_due,
            "level": WarningLevel.RED
            if case.promised_due and case.promised_due < today
            else WarningLevel.YELLOW,
            "overdue_working_days": _overdue(case, today, cal),
        }
        for case in page
    ]
    last = page[-1] if more else None
    return {
        "results": rows,
        "next": f"{last.promised_due}~{last.pk}" if last else None,
        "counts": counts if counts is not None else warning_counts(stats, today, cal),
    }


def _overdue(case: Case, today: datetime.date, cal: WorkCalendar) -> int:
    if case.promised_due is None or case.promised_due >= today:
        return 0
    return cal.count_working_days(case.promised_due, today).workdays
