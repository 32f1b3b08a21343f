"""政务公开 page: platform-wide monthly totals and per-department figures, no login.

Aggregates only — no case numbers, names or IDs. A bad year or month is a Chinese 400 page.
The 好差评 details per department are on the ratings' own public page (/feedback/public/).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tongban.core.errors import DomainError
from tongban.feedback.enums import Level
from tongban.feedback.forms import PublicPeriodForm
from tongban.feedback.metrics import satisfied_levels

from .public import department_figures, month_chart, monthly_totals, parse_public_period


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        period = parse_public_period(request.GET, today)
    except DomainError as exc:
        context = {"status": exc.status, "title": "请求有误", "text": str(exc.detail)}
        return render(request, "error.html", context, status=exc.status)
    months = monthly_totals(period.year)
    rows, totals = department_figures(period)
    form = PublicPeriodForm(
        {"year": str(period.year), "month": str(period.month or "")}, today=today
    )
    context = {
        "form": form,
        "period": period,
        "months": months,
        "chart": month_chart(months),
        "rows": rows,
        "totals": totals,
        "satisfied_labels": "、".join(
            str(Level(v).label) for v in sorted(satisfied_levels(), reverse=True)
        ),
    }
    return render(request, "stats/public.html", context)
