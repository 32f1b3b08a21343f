"""The ratings (好差评) and tickets (12345) panels of the dashboard, for the same filter.

Both tables are small beside the cases (one row per rating or ticket), so they are counted
directly with the metrics functions of their own apps — one aggregate query each.
"""

from __future__ import annotations

from typing import Any

from tongban.feedback.metrics import in_period, rating_totals
from tongban.feedback.models import Rating
from tongban.tickets.metrics import ticket_metrics, ticket_totals
from tongban.tickets.models import Ticket

from .filters import StatsFilter


def rating_panel(stats: StatsFilter) -> dict[str, Any]:
    ratings = in_period(Rating.objects.all(), stats.date_from, stats.date_to)
    ratings = ratings.filter(stats.region_q("department__region"))
    if stats.department is not None:
        ratings = ratings.filter(department_id=stats.department)
    if stats.bundle is not None:
        ratings = ratings.filter(case__bundle_code=stats.bundle)
    return rating_totals(ratings).as_dict()


def ticket_panel(stats: StatsFilter) -> dict[str, Any]:
    tickets = Ticket.objects.filter(
        received_at__date__range=(stats.date_from, stats.date_to)
    ).filter(stats.region_q("lead_department__region"))
    if stats.department is not None:
        tickets = tickets.filter(lead_department_id=stats.department)
    return ticket_totals(ticket_metrics(tickets, by_month=False)).as_dict()
