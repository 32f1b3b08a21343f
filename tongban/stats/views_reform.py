"""改革成效 (reform results) pages for supervisors (their region) and department approvers
(their department): the catalog's planned figures beside the measured ones, per bundle with
its members and per single item. Queries live in `reform.py`; the view parses, authorises and
renders. A bad filter is a Chinese 400 page, a filter outside the user's scope a 403."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tongban.cases.views_staff import domain_errors
from tongban.catalog.models import Bundle
from tongban.core.errors import DomainError
from tongban.core.models import Role

from .filters import StatsFilter, statistics_filter
from .reform import REFORM_DEFINITIONS, bundle_reform, rate_chart, reform_report
from .views import form_values, scope_choices, stats_user


def _page(request: HttpRequest, **override: str) -> tuple[StatsFilter, dict[str, Any]]:
    """The scoped filter and the shared filter form's context (the dashboard's form)."""
    user = stats_user(request)
    stats = statistics_filter({**request.GET.dict(), **override}, user)
    form = {
        "choices": scope_choices(user),
        "values": form_values(request, stats),
        "supervisor": user.has_role(Role.SUPERVISOR),
        "filter_action": request.path,
    }
    return stats, form


def _charts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": f"reform-chart-{i}", "data": rate_chart(row)} for i, row in enumerate(rows)]


@login_required
@require_GET
@domain_errors
def reform(request: HttpRequest) -> HttpResponse:
    stats, form = _page(request)
    report = reform_report(stats)
    bundles = report["bundles"]
    for row, chart in zip(bundles, _charts(bundles), strict=True):
        row["chart"] = chart
    params = {k: v for k, v in stats.as_params().items() if k != "bundle"}
    context = {
        "stats": stats,
        "report": report,
        "query": urlencode(params),
        "definitions": list(REFORM_DEFINITIONS.values()),
        **form,
    }
    return render(request, "stats/reform.html", context)


@login_required
@require_GET
@domain_errors
def reform_bundle(request: HttpRequest, code: str) -> HttpResponse:
    if not Bundle.objects.filter(code=code).exists():
        raise DomainError("not_found", f"一件事“{code}”不存在", 404)
    stats, form = _page(request, bundle=code)
    row = bundle_reform(code, stats)
    if row is None:
        raise DomainError("not_found", f"一件事“{code}”尚未发布", 404)
    row["chart"] = _charts([row])[0]
    context = {
        "stats": stats,
        "row": row,
        "definitions": list(REFORM_DEFINITIONS.values()),
        **form,
    }
    return render(request, "stats/reform_bundle.html", context)
