"""改革成效 (reform results) pages for supervisors (their region) and department approvers
(their department): the catalog's planned figures beside the measured ones, per bundle with
its members and per single item. Queries live in `reform.py`; the view parses, authorises and
renders. A bad filter is a Chinese 400 page, a filter outside the user's scope a 403."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tongban.cases.views_staff import domain_errors, staff_user
from tongban.catalog.models import Bundle
from tongban.catalog.store import published_bundle_specs
from tongban.core.errors import DomainError
from tongban.core.models import Department, User

from .filters import StatsFilter, can_see_statistics, parse_filter, scoped
from .reform import REFORM_DEFINITIONS, bundle_reform, rate_chart, reform_report


def _stats(request: HttpRequest, **override: str) -> tuple[User, StatsFilter]:
    user = staff_user(request)
    if not can_see_statistics(user):
        raise PermissionDenied("只有效能监督人员和部门人员可以查看统计数据")
    params = {key: request.GET.get(key, "") for key in ("from", "to", "region", "department")}
    params["bundle"] = request.GET.get("bundle", "")
    params.update(override)
    return user, scoped(parse_filter(params, timezone.localdate()), user)


def _filter_options(stats: StatsFilter) -> dict[str, Any]:
    departments = Department.objects.order_by("region_id", "code").values_list("pk", "name")
    if stats.region is None and stats.department is not None:  # an approver: their own
        departments = departments.filter(pk=stats.department)
    elif stats.region_prefix:
        departments = departments.filter(stats.region_q())
    bundles = sorted(published_bundle_specs().values(), key=lambda b: b.code)
    return {
        "department_options": list(departments),
        "bundle_options": [(b.code, b.name) for b in bundles],
    }


def _charts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": f"reform-chart-{i}", "data": rate_chart(row)} for i, row in enumerate(rows)]


@login_required
@require_GET
@domain_errors
def reform(request: HttpRequest) -> HttpResponse:
    _, stats = _stats(request)
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
        **_filter_options(stats),
    }
    return render(request, "stats/reform.html", context)


@login_required
@require_GET
@domain_errors
def reform_bundle(request: HttpRequest, code: str) -> HttpResponse:
    if not Bundle.objects.filter(code=code).exists():
        raise DomainError("not_found", f"一件事“{code}”不存在", 404)
    _, stats = _stats(request, bundle=code)
    row = bundle_reform(code, stats)
    if row is None:
        raise DomainError("not_found", f"一件事“{code}”尚未发布", 404)
    row["chart"] = _charts([row])[0]
    context = {
        "stats": stats,
        "row": row,
        "definitions": list(REFORM_DEFINITIONS.values()),
        **_filter_options(stats),
    }
    return render(request, "stats/reform_bundle.html", context)
