"""The supervisor dashboard's figures for one filter, from the rollups (and live warnings).

Each panel is one aggregate query on the coarsest rollup that has the filter's dimensions:
the summary grain (region × channel) unless a bundle or a department is asked for, the bundle
grain (by prefecture) for a bundle over a city or more, and the
month tables for the whole months of a long period (a year is 12 month rows plus the days at
either end, not 365 day rows).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Model, Q, QuerySet, Sum

from tongban.cases.enums import CaseState, Channel
from tongban.core.models import Department
from tongban.core.rates import percentage

from .filters import StatsFilter
from .fold import pending_events
from .models import (
    Backlog,
    DurationBundleDay,
    DurationBundleMonth,
    DurationDay,
    DurationSummaryDay,
    DurationSummaryMonth,
    FlowBundleDay,
    FlowBundleMonth,
    FlowDepartmentMonth,
    FlowItemDay,
    FlowMeasures,
    FlowRegionDay,
    FlowRegionMonth,
    FlowSummaryDay,
    FlowSummaryMonth,
    FoldCursor,
)
from .warnings import warning_counts

DECISIONS = ("approve", "approve_deficient", "deny")
ONLINE_CHANNELS = (Channel.WEB, Channel.MOBILE)
DAILY_SERIES_MAX_DAYS = 92  # longer periods are drawn by month
SERIES_FLOWS = {"received": ("receive",), "accepted": ("accept",), "completed": DECISIONS}
MEASURES = ("n", "on_time_promised", "on_time_statutory", "timed", "working_days")


@dataclass(frozen=True)
class Spans:
    """A period cut into whole months (read from the month tables) and loose days."""

    months: tuple[datetime.date, datetime.date] | None  # first days of the first/last month
    days: list[tuple[datetime.date, datetime.date]]


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def split_period(start: datetime.date, end: datetime.date) -> Spans:
    first_full = start if start.day == 1 else next_month(start)
    after_end = end + datetime.timedelta(days=1)
    last_full_end = month_start(after_end)  # exclusive end of the last whole month
    if first_full >= last_full_end:
        return Spans(None, [(start, end)])
    days = []
    if start < first_full:
        days.append((start, first_full - datetime.timedelta(days=1)))
    if last_full_end <= end:
        days.append((last_full_end, end))
    last_month = month_start(last_full_end - datetime.timedelta(days=1))
    return Spans((first_full, last_month), days)


def _flow_tables(stats: StatsFilter) -> tuple[type[FlowMeasures], type[FlowMeasures]]:
    """The coarsest day and month tables that still have the filter's dimensions."""
    if stats.department is not None:
        # One department's days are a few thousand item rows a month: no department-day
        # table is needed (at ten million cases it was 11 of the item grain's 15 million rows).
        return FlowItemDay, FlowDepartmentMonth
    if stats.bundle is not None:
        if stats.prefecture_or_wider:
            return FlowBundleDay, FlowBundleMonth
        return FlowRegionDay, FlowRegionMonth
    return FlowSummaryDay, FlowSummaryMonth


def scoped_rows(rows: QuerySet[Any], stats: StatsFilter) -> QuerySet[Any]:
    rows = rows.filter(stats.region_q())
    if stats.department is not None:
        rows = rows.filter(department_id=stats.department)
    if stats.bundle is not None:
        rows = rows.filter(bundle_code=stats.bundle)
    return rows


def period_rows(
    stats: StatsFilter, day_table: type[Model], month_table: type[Model] | None
) -> list[QuerySet[Any]]:
    """The filter's rows of a day table, with the month table standing in for the whole
    months of a period longer than `DAILY_SERIES_MAX_DAYS` (so grouping such rows by day
    gives a month's first day — the series is drawn by month for such periods anyway)."""
    if month_table is not None and series_by_month(stats):
        spans = split_period(stats.date_from, stats.date_to)
    else:
        spans = Spans(None, [(stats.date_from, stats.date_to)])
    period = Q()
    for start, end in spans.days:
        period |= Q(day__range=(start, end))
    querysets = []
    if spans.days:
        querysets.append(scoped_rows(day_table._default_manager.filter(period), stats))
    if spans.months and month_table is not None:
        querysets.append(
            scoped_rows(month_table._default_manager.filter(day__range=spans.months), stats)
        )
    return querysets


def flow_rows(stats: StatsFilter, by: tuple[str, ...]) -> list[dict[str, Any]]:
    """Summed measures grouped by `by` (e.g. ("flow",) or ("day", "flow")) over the period.

    Rows of the day and month tables with the same key are added together. The rows are
    the database's own dicts, merged in place: on the hot path (thousands of rows for a
    month of days) building a Counter per row cost more than the query.
    """
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for queryset in period_rows(stats, *_flow_tables(stats)):
        grouped = queryset.order_by().values(*by).annotate(**{m: Sum(m) for m in MEASURES})
        for row in grouped:
            for m in MEASURES:
                row[m] = row[m] or 0
            key = tuple(row[name] for name in by)
            seen = merged.get(key)
            if seen is None:
                merged[key] = row
            else:
                for m in MEASURES:
                    seen[m] += row[m]
    return list(merged.values())


def series_by_month(stats: StatsFilter) -> bool:
    return (stats.date_to - stats.date_from).days + 1 > DAILY_SERIES_MAX_DAYS


@dataclass(frozen=True)
class Totals:
    flows: Counter[str]
    on_time_promised: int
    on_time_statutory: int
    timed: int
    working_days: int

    def count(self, *flows: str) -> int:
        return sum(self.flows[f] for f in flows)

    @property
    def received(self) -> int:
        return self.flows["receive"]

    @property
    def accepted(self) -> int:
        return self.flows["accept"]

    @property
    def completed(self) -> int:
        return self.count(*DECISIONS)

    def as_dict(self) -> dict[str, Any]:
        completed = self.completed
        return {
            "received": self.received,
            "accepted": self.accepted,
            "completed": completed,
            "approved": self.count("approve", "approve_deficient"),
            "denied": self.flows["deny"],
            "refused": self.flows["refuse"],
            "withdrawn": self.flows["withdraw"],
            "supplement_requests": self.flows["request_supplement"],
            "delivered": self.count("deliver", "deliver_pickup"),
            "completion_rate": percentage(completed, self.accepted),
            "on_time_rate_promised": percentage(self.on_time_promised, completed),
            "on_time_rate_statutory": percentage(self.on_time_statutory, completed),
            "average_working_days": average(self.working_days, self.timed),
            "supplement_rate": percentage(self.flows["request_supplement"], self.received),
            "refusal_rate": percentage(self.flows["refuse"], self.accepted + self.flows["refuse"]),
            "denial_rate": percentage(self.flows["deny"], completed),
        }


def average(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"))


def totals_of(rows: list[dict[str, Any]]) -> Totals:
    flows: Counter[str] = Counter()
    promised = statutory = timed = working_days = 0
    for row in rows:  # plain additions: thousands of rows per request
        flows[row["flow"]] += row["n"]
        promised += row["on_time_promised"]
        statutory += row["on_time_statutory"]
        timed += row["timed"]
        working_days += row["working_days"]
    return Totals(flows, promised, statutory, timed, working_days)


def series(rows: list[dict[str, Any]], stats: StatsFilter) -> list[dict[str, Any]]:
    """Received / accepted / completed per day (or per month for a long period)."""
    by_month = series_by_month(stats)
    points: dict[datetime.date, Counter[str]] = defaultdict(Counter)
    for row in rows:
        day = month_start(row["day"]) if by_month else row["day"]
        for name, flows in SERIES_FLOWS.items():
            if row["flow"] in flows:
                points[day][name] += row["n"]
    if by_month:
        keys, day = [], month_start(stats.date_from)
        while day <= stats.date_to:
            keys.append(day)
            day = next_month(day)
    else:
        span = (stats.date_to - stats.date_from).days + 1
        keys = [stats.date_from + datetime.timedelta(days=i) for i in range(span)]
    return [
        {
            "date": key.isoformat()[: 7 if by_month else 10],
            **{name: points[key][name] for name in SERIES_FLOWS},
        }
        for key in keys
    ]


def percentile(histogram: dict[int, int], percent: int) -> int | None:
    """Nearest-rank percentile of a {value: count} histogram (integers: no float drift)."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, -(-total * percent // 100))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def duration_histogram(stats: StatsFilter) -> dict[int, int]:
    """Decisions per working days taken: the summary tables without a department or bundle,
    the bundle tables for a bundle alone, else the item grain through its department or
    bundle index."""
    if stats.department is None and stats.bundle is None:
        querysets = period_rows(stats, DurationSummaryDay, DurationSummaryMonth)
    elif stats.department is None and stats.prefecture_or_wider:
        querysets = period_rows(stats, DurationBundleDay, DurationBundleMonth)
    else:
        querysets = period_rows(stats, DurationDay, None)
    histogram: Counter[int] = Counter()
    for rows in querysets:
        grouped = rows.order_by().values("working_days").annotate(t=Sum("n"))
        histogram.update(dict(grouped.values_list("working_days", "t")))
    return dict(histogram)


def backlog_by_department(stats: StatsFilter, limit: int = 15) -> list[dict[str, Any]]:
    """Open cases now per department, largest first, with the split by state."""
    grouped = (
        scoped_rows(Backlog.objects.all(), stats)
        .order_by()
        .values("department_id", "state")
        .annotate(t=Sum("n"))
    )
    by_department: dict[int, Counter[str]] = defaultdict(Counter)
    for row in grouped:
        if row["t"]:
            by_department[row["department_id"]][row["state"]] += row["t"]
    ranked = sorted(by_department.items(), key=lambda kv: (-kv[1].total(), kv[0]))[:limit]
    names = dict(
        Department.objects.filter(pk__in=[pk for pk, _ in ranked]).values_list("pk", "name")
    )
    return [
        {
            "department": pk,
            "name": names.get(pk, str(pk)),
            "open": states.total(),
            "by_state": {CaseState(s).label: n for s, n in sorted(states.items())},
        }
        for pk, states in ranked
    ]


def channel_mix(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Receipts per channel (rows grouped by flow and channel), largest first."""
    received: Counter[str] = Counter()
    for row in rows:
        if row["flow"] == "receive":
            received[row["channel"]] += row["n"]
    total = received.total()
    return [
        {
            "channel": channel,
            "label": Channel(channel).label if channel in Channel.values else channel,
            "received": count,
            "share": percentage(count, total),
        }
        for channel, count in received.most_common()
    ]


def overview(stats: StatsFilter, today: datetime.date) -> dict[str, Any]:
    """Everything the dashboard's first screen draws, for one filter."""
    rows = flow_rows(stats, ("day", "flow", "channel"))
    totals = totals_of(rows)
    histogram = duration_histogram(stats)
    channels = channel_mix(rows)
    received = sum(c["received"] for c in channels)
    online = sum(c["received"] for c in channels if c["channel"] in ONLINE_CHANNELS)
    cursor = FoldCursor.objects.filter(chain="main").first()
    return {
        "filter": stats.as_params(),
        "granularity": "month" if series_by_month(stats) else "day",
        "as_of": cursor.folded_at if cursor else None,
        "pending_events": pending_events(),
        "totals": {
            **totals.as_dict(),
            "online_rate": percentage(online, received),
            "p90_working_days": percentile(histogram, 90),
            "backlog": scoped_rows(Backlog.objects.all(), stats).aggregate(t=Sum("n"))["t"] or 0,
        },
        "series": series(rows, stats),
        "channels": channels,
        "backlog": backlog_by_department(stats),
        "warnings": warning_counts(stats, today),
    }
