"""政务公开 figures: monthly totals for the whole platform and per-department figures for a
year or a month — aggregates only, nothing personal (no case numbers, names or IDs).

Read from the month rollups (a public period is always whole months) plus the 好差评
figures of `tongban.feedback.metrics`; a bounded number of queries whatever the volume:
months (1), departments (1), department names (1), ratings by department (1) and in total (1).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from tongban.core.errors import DomainError
from tongban.core.models import Department
from tongban.core.rates import percentage
from tongban.feedback.forms import PublicPeriodForm
from tongban.feedback.metrics import RatingFigures, in_period, rating_figures, rating_totals
from tongban.feedback.models import Rating

from .filters import StatsFilter
from .models import FlowDepartmentMonth
from .overview import DECISIONS, MEASURES, flow_rows, totals_of

Row = dict[str, Any]


@dataclass(frozen=True)
class PublicPeriod:
    year: int
    month: int | None
    start: datetime.date
    end: datetime.date
    label: str


def parse_public_period(params: Mapping[str, str], today: datetime.date) -> PublicPeriod:
    """`year` (default this year) and optional `month`; anything else is a 400."""
    data = {"year": params.get("year") or str(today.year), "month": params.get("month") or ""}
    form = PublicPeriodForm(data, today=today)
    if not form.is_valid():
        first = min(int(v) for v, _ in form.fields["year"].choices)  # type: ignore[attr-defined]
        raise DomainError(
            "bad_period",
            f"年份应为 {first}–{today.year} 之间的年份，月份应为 1–12（或留空表示全年）",
            400,
        )
    start, end, label = form.period()
    return PublicPeriod(
        form.cleaned_data["year"], form.cleaned_data.get("month"), start, end, label
    )


def _figures(flows: Counter[str], on_time: int) -> Row:
    completed = sum(flows[d] for d in DECISIONS)
    return {
        "received": flows["receive"],
        "completed": completed,
        "on_time": on_time,
        "on_time_rate": percentage(on_time, completed),
    }


def monthly_totals(year: int) -> list[Row]:
    """收件, 办结, 按期办结率 for each month of the year, whole platform (one query)."""
    stats = StatsFilter(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    by_month: dict[int, list[Row]] = defaultdict(list)
    for row in flow_rows(stats, ("day", "flow")):
        by_month[row["day"].month].append(row)
    months = []
    for month in range(1, 13):
        totals = totals_of(by_month[month])
        months.append(
            {
                "month": f"{year}-{month:02d}",
                "label": f"{month}月",
                **_figures(totals.flows, totals.on_time_promised),
            }
        )
    return months


def department_figures(period: PublicPeriod) -> tuple[list[Row], Row]:
    """Per department: 收件量, 办结量, 按承诺时限办结率, 评价数, 满意率; and the totals."""
    grouped = (
        FlowDepartmentMonth.objects.filter(day__range=(period.start, period.end))
        .order_by()
        .values("department_id", "flow")
        .annotate(**{m: Sum(m) for m in MEASURES})
    )
    flows: dict[int, Counter[str]] = defaultdict(Counter)
    on_time: Counter[int] = Counter()
    for row in grouped:
        flows[row["department_id"]][row["flow"]] += row["n"] or 0
        on_time[row["department_id"]] += row["on_time_promised"] or 0
    departments = {
        pk: (code, name)
        for pk, code, name in Department.objects.filter(pk__in=list(flows)).values_list(
            "pk", "code", "name"
        )
    }
    ratings = in_period(Rating.objects.all(), period.start, period.end)
    by_code = {f.key: f for f in rating_figures(ratings, "department")}
    rows = []
    for pk in flows:
        code, name = departments.get(pk, (str(pk), str(pk)))
        rating = by_code.pop(code, None)
        rows.append(_department_row(code, name, flows[pk], on_time[pk], rating))
    for code, rating in by_code.items():  # rated, but no case in the period
        rows.append(_department_row(code, rating.label, Counter(), 0, rating))
    rows.sort(key=lambda r: (-r["received"], r["code"]))
    all_flows: Counter[str] = Counter()
    for counts in flows.values():
        all_flows.update(counts)
    total = rating_totals(ratings)
    totals = {
        **_figures(all_flows, on_time.total()),
        "ratings": total.ratings,
        "satisfaction_rate": total.satisfaction_rate,
    }
    return rows, totals


def _department_row(
    code: str, name: str, flows: Counter[str], on_time: int, rating: RatingFigures | None
) -> Row:
    return {
        "code": code,
        "name": name,
        **_figures(flows, on_time),
        "ratings": rating.ratings if rating is not None else 0,
        "satisfaction_rate": rating.satisfaction_rate if rating is not None else None,
    }


def month_chart(months: list[Row]) -> Row:
    return {
        "categories": [m["label"] for m in months],
        "received": [m["received"] for m in months],
        "completed": [m["completed"] for m in months],
        "on_time_rate": [
            None if m["on_time_rate"] is None else float(m["on_time_rate"]) for m in months
        ],
    }
