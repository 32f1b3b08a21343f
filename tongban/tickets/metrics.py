"""12345 performance figures per lead department and month (domain-china.md §5, §9):

- 承办数: tickets ever dispatched to the department (merged duplicates excluded: they were
  handled as their master);
- 办结数: of those, closed; 办结率 = 办结 / 承办;
- 按期办结数: closed, and replied on or before the due date (local date of replied_at ≤
  due_on, the due date as finally extended); 按期办结率 = 按期办结 / 办结;
- 回访数: closed or replied tickets with a recorded 回访; 满意数: 满意 (plus 基本满意 when
  TONGBAN_SATISFIED_INCLUDES_BASIC); 满意率 = 满意 / 回访.

One aggregate query whatever the number of tickets or departments.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth

from tongban.core.rates import percentage

from .enums import Satisfaction, TicketState
from .models import Ticket


@dataclass(frozen=True)
class TicketMetrics:
    department: str
    department_name: str
    month: datetime.date | None
    undertaken: int  # 承办数
    closed: int  # 办结数
    on_time: int  # 按期办结数
    followed_up: int  # 回访数
    satisfied: int  # 满意数

    @property
    def closed_rate(self) -> Decimal | None:  # 办结率
        return percentage(self.closed, self.undertaken)

    @property
    def on_time_rate(self) -> Decimal | None:  # 按期办结率
        return percentage(self.on_time, self.closed)

    @property
    def satisfaction_rate(self) -> Decimal | None:  # 满意率
        return percentage(self.satisfied, self.followed_up)

    def as_dict(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "department": self.department,
            "department_name": self.department_name,
            "month": self.month.strftime("%Y-%m") if self.month else None,
            "undertaken": self.undertaken,
            "closed": self.closed,
            "closed_rate": text(self.closed_rate),
            "on_time": self.on_time,
            "on_time_rate": text(self.on_time_rate),
            "followed_up": self.followed_up,
            "satisfied": self.satisfied,
            "satisfaction_rate": text(self.satisfaction_rate),
        }


def _satisfied_levels() -> list[str]:
    levels = [str(Satisfaction.SATISFIED)]
    if getattr(settings, "TONGBAN_SATISFIED_INCLUDES_BASIC", False):
        levels.append(str(Satisfaction.BASIC))
    return levels


def ticket_metrics(
    tickets: QuerySet[Ticket] | None = None, *, by_month: bool = True
) -> list[TicketMetrics]:
    """The figures for `tickets` (default: all), per lead department (and month of
    receipt, in local time), ordered by department code and month."""
    base = Ticket.objects.all() if tickets is None else tickets
    rows = base.filter(dispatched_at__isnull=False, lead_department__isnull=False).exclude(
        state=TicketState.MERGED
    )
    keys = ["lead_department__code", "lead_department__name"]
    if by_month:
        rows = rows.annotate(month=TruncMonth("received_at"))
        keys.append("month")
    closed = Q(state=TicketState.CLOSED)
    # replied_at__date is the local date (USE_TZ, the current time zone).
    on_time = closed & Q(replied_at__isnull=False, replied_at__date__lte=F("due_on"))
    grouped = (
        rows.order_by()
        .values(*keys)
        .annotate(
            undertaken=Count("pk"),
            closed=Count("pk", filter=closed),
            on_time=Count("pk", filter=on_time),
            followed_up=Count("pk", filter=Q(followed_up_at__isnull=False)),
            satisfied=Count(
                "pk",
                filter=Q(followed_up_at__isnull=False, satisfaction__in=_satisfied_levels()),
            ),
        )
    )
    result = []
    for row in grouped:
        month = row.get("month")
        if isinstance(month, datetime.datetime):
            month = month.date()
        result.append(
            TicketMetrics(
                department=row["lead_department__code"],
                department_name=row["lead_department__name"],
                month=month,
                undertaken=row["undertaken"],
                closed=row["closed"],
                on_time=row["on_time"],
                followed_up=row["followed_up"],
                satisfied=row["satisfied"],
            )
        )
    return sorted(result, key=lambda m: (m.department, m.month or datetime.date.min))


def ticket_totals(figures: list[TicketMetrics]) -> TicketMetrics:
    """The figures of several rows together (合计), rates computed from the summed counts."""
    return TicketMetrics(
        department="",
        department_name="合计",
        month=None,
        undertaken=sum(f.undertaken for f in figures),
        closed=sum(f.closed for f in figures),
        on_time=sum(f.on_time for f in figures),
        followed_up=sum(f.followed_up for f in figures),
        satisfied=sum(f.satisfied for f in figures),
    )
