"""The public results page (好差评公示, GB/T 39734 附录B "公开评价指标值"): per department
评价数, 满意率, 差评数, 差评整改率 for a month or a year. No login, and nothing personal —
no names, comments or case numbers; the figures are aggregates only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .enums import Level
from .forms import PublicPeriodForm
from .metrics import in_period, rating_figures, rating_totals, satisfied_levels
from .models import Rating


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = PublicPeriodForm(request.GET or {"year": str(today.year)}, today=today)
    start, end, label = form.period()
    ratings = in_period(Rating.objects.all(), start, end)
    context = {
        "form": form,
        "period_label": label,
        "rows": rating_figures(ratings, "department"),
        "totals": rating_totals(ratings),
        "satisfied_labels": "、".join(
            str(Level(v).label) for v in sorted(satisfied_levels(), reverse=True)
        ),
    }
    return render(request, "feedback/public.html", context)
