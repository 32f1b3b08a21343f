"""Per-item figures: volume, time taken (average and 90th percentile), on-time rate, and the
补正 and refusal rates — a high one means the guide (办事指南) is unclear."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from tongban.catalog.models import ServiceItem
from tongban.core.rates import percentage

from .filters import StatsFilter
from .models import DurationDay, FlowItemDay
from .overview import DECISIONS, MEASURES, average, percentile, scoped_rows

# 补正率 or 不予受理率 at or above this (percent): the item's guide is probably unclear.
UNCLEAR_GUIDE_RATE = Decimal("20")


def _unclear(*rates: Decimal | None) -> bool:
    return any(rate is not None and rate >= UNCLEAR_GUIDE_RATE for rate in rates)


def item_figures(stats: StatsFilter, limit: int = 200) -> list[dict[str, Any]]:
    """One row per item with activity in the period, busiest first: three queries."""
    period = (stats.date_from, stats.date_to)
    grouped = (
        scoped_rows(FlowItemDay.objects.filter(day__range=period), stats)
        .order_by()
        .values("item_code", "flow")
        .annotate(**{m: Sum(m) for m in MEASURES})
    )
    flows: dict[str, Counter[str]] = defaultdict(Counter)
    measures: dict[str, Counter[str]] = defaultdict(Counter)
    for row in grouped:
        flows[row["item_code"]][row["flow"]] += row["n"]
        measures[row["item_code"]].update({m: row[m] or 0 for m in MEASURES if m != "n"})
    histograms: dict[str, dict[int, int]] = defaultdict(dict)
    durations = (
        scoped_rows(DurationDay.objects.filter(day__range=period), stats)
        .order_by()
        .values("item_code", "working_days")
        .annotate(t=Sum("n"))
    )
    for row in durations:
        histograms[row["item_code"]][row["working_days"]] = row["t"]
    ranked = sorted(flows, key=lambda code: (-flows[code]["receive"], code))[:limit]
    names = dict(ServiceItem.objects.filter(code__in=ranked).values_list("code", "published__name"))
    result = []
    for code in ranked:
        f, m = flows[code], measures[code]
        completed = sum(f[d] for d in DECISIONS)
        supplement_rate = percentage(f["request_supplement"], f["receive"])
        refusal_rate = percentage(f["refuse"], f["accept"] + f["refuse"])
        result.append(
            {
                "item_code": code,
                "name": names.get(code) or code,
                "received": f["receive"],
                "accepted": f["accept"],
                "completed": completed,
                "average_working_days": average(m["working_days"], m["timed"]),
                "p90_working_days": percentile(histograms[code], 90),
                "on_time_rate_promised": percentage(m["on_time_promised"], completed),
                "supplement_rate": supplement_rate,
                "refusal_rate": refusal_rate,
                "unclear_guide": _unclear(supplement_rate, refusal_rate),
                "denial_rate": percentage(f["deny"], completed),
            }
        )
    return result
