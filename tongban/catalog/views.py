"""Public catalog pages (办事大厅, 办事指南, 情形引导, 一件事, 改革成效): no login needed.

Views only parse the request, call the query/checklist/metrics functions and render; the
shapes shown in templates are built in `pages.py` and `figures.py`. A DomainError (unknown code, bad
answers) becomes a Chinese error page with its own status, never a 500.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from tongban.core.errors import DomainError

from . import figures, pages
from .checklist import Checklist, InvalidAnswers, build_checklist
from .enums import Audience
from .forms import answers_query, input_name, parse_answers, question_rows
from .metrics import catalog_metrics, plan_metrics
from .plan import Plan
from .queries import (
    all_bundles,
    bundles_with_item,
    department_names,
    published_bundle,
    published_item,
    search_items,
)
from .store import published_item_specs

View = Callable[..., HttpResponse]

ERROR_TITLES = {400: "请求有误", 404: "未找到", 409: "无法办理"}


def _error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    if isinstance(exc, InvalidAnswers):
        messages = [p["message"] for p in exc.problems]
    else:
        messages = [str(exc.detail)]
    context = {
        "status": exc.status,
        "title": ERROR_TITLES.get(exc.status, "无法办理"),
        "messages": messages,
    }
    return render(request, "catalog/error.html", context, status=exc.status)


def domain_errors(view: View) -> View:
    """Turn a DomainError raised anywhere in the view into the Chinese error page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return _error_page(request, exc)

    return wrapper


# ---------------------------------------------------------------- 办事大厅


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    department = request.GET.get("department", "").strip()
    audience = request.GET.get("object", "")
    if audience not in Audience.values:
        audience = ""
    names = department_names()
    items = list(published_item_specs().values())
    searching = bool(q or department or audience)
    results = search_items(q, department, audience=audience) if searching else []
    bundles = all_bundles(q)
    context = {
        "q": q,
        "department": department,
        "audience": audience,
        "searching": searching,
        "results": [pages.item_row(i, names) for i in results],
        "sections": pages.bundle_sections(bundles, names),
        "department_options": pages.department_options(items, names),
        "audience_options": Audience.choices,
        "item_count": len(items),
    }
    return render(request, "catalog/index.html", context)


@require_GET
def departments(request: HttpRequest) -> HttpResponse:
    names = department_names()
    groups = pages.items_by_department(published_item_specs().values(), names)
    return render(request, "catalog/departments.html", {"groups": groups})


# ---------------------------------------------------------------- 办事指南


@require_GET
@domain_errors
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    item = published_item(code)
    names = department_names()
    context = {
        "item": item,
        "guide": pages.item_guide(item, names),
        "bundles": bundles_with_item(code),
    }
    return render(request, "catalog/item_detail.html", context)


# ---------------------------------------------------------------- 情形引导


def _submitted(request: HttpRequest) -> QueryDict:
    return request.POST if request.method == "POST" else request.GET


def _checklist_or_problems(plan: Plan, data: QueryDict) -> tuple[Checklist, list[dict[str, str]]]:
    """The checklist for the submitted answers; bad answers are reported and left out so
    the applicant sees the reason next to a form that still holds every good answer."""
    try:
        answers = parse_answers(plan, data)
    except InvalidAnswers as exc:
        bad = {p["question"] for p in exc.problems}
        answers = parse_answers(plan, _without(data, bad))
        problems = exc.problems
    else:
        problems = []
    try:
        return build_checklist(plan, answers), problems
    except InvalidAnswers as exc:
        bad = {p["question"] for p in exc.problems}
        good = {k: v for k, v in answers.items() if k not in bad}
        return build_checklist(plan, good), problems + exc.problems


def _without(data: QueryDict, keys: set[str]) -> QueryDict:
    kept = data.copy()
    for key in keys:
        kept.pop(input_name(key), None)
    return kept


def _guide(
    request: HttpRequest, plan: Plan, subject: dict[str, Any], print_url: str
) -> HttpResponse:
    checklist, problems = _checklist_or_problems(plan, _submitted(request))
    names = department_names()
    query = answers_query(checklist.answers)
    context = {
        **subject,
        "plan": plan,
        "checklist": checklist,
        "problems": problems,
        "questions": question_rows(plan, checklist),
        "result": pages.checklist_view(plan, checklist, names),
        "action": request.path,
        "print_url": f"{print_url}?{query}" if query else print_url,
    }
    status = 400 if problems else 200
    if _htmx_swap(request):
        response = render(request, "catalog/partials/checklist.html", context, status=status)
        # The address bar follows the answers, so a reload or a shared link (a plain GET)
        # shows the same checklist — still without any session state.
        response["HX-Replace-Url"] = f"{request.path}?{query}" if query else request.path
    else:
        response = render(request, "catalog/guide.html", context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _htmx_swap(request: HttpRequest) -> bool:
    """An htmx request for the checklist fragment (a history restore wants the page)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
    )


@require_http_methods(["GET", "POST"])
@domain_errors
def bundle_guide(request: HttpRequest, code: str) -> HttpResponse:
    view = published_bundle(code)
    subject = {"bundle": view.spec, "title": view.spec.name}
    return _guide(request, view.plan, subject, reverse("catalog:bundle_print", args=[code]))


@require_http_methods(["GET", "POST"])
@domain_errors
def item_guide(request: HttpRequest, code: str) -> HttpResponse:
    item = published_item(code)
    subject = {"item": item, "title": item.name}
    return _guide(request, Plan.for_item(item), subject, reverse("catalog:item_print", args=[code]))


def _print(request: HttpRequest, plan: Plan, subject: dict[str, Any]) -> HttpResponse:
    checklist = build_checklist(plan, parse_answers(plan, request.GET))
    context = {
        **subject,
        "checklist": checklist,
        "questions": question_rows(plan, checklist),
        "result": pages.checklist_view(plan, checklist, department_names()),
    }
    return render(request, "catalog/print.html", context)


@require_GET
@domain_errors
def bundle_print(request: HttpRequest, code: str) -> HttpResponse:
    view = published_bundle(code)
    guide = reverse("catalog:bundle_guide", args=[code])
    return _print(request, view.plan, {"title": view.spec.name, "guide_url": guide})


@require_GET
@domain_errors
def item_print(request: HttpRequest, code: str) -> HttpResponse:
    item = published_item(code)
    guide = reverse("catalog:item_guide", args=[code])
    return _print(request, Plan.for_item(item), {"title": item.name, "guide_url": guide})


# ---------------------------------------------------------------- 一件事 and 改革成效


@require_GET
@domain_errors
def bundle_detail(request: HttpRequest, code: str) -> HttpResponse:
    # Lazy: cases sits above the catalog and must not be imported when the catalog loads.
    from tongban.cases.paperless import bundle_paperless

    view = published_bundle(code)
    names = department_names()
    reform = plan_metrics(view.plan)
    context = {
        "bundle": view.spec,
        "audience": Audience(view.spec.audience).label,
        "lead_department": names.get(view.spec.lead_department, view.spec.lead_department),
        "members": figures.member_rows(view.plan, names, set(reform.critical_path)),
        "graph": figures.graph_data(view.plan, reform.critical_path),
        "reform": reform,
        "metric_rows": figures.metric_rows(reform),
        "metric_chart": figures.metric_chart(reform),
        "critical_names": pages.item_names(view.plan, reform.critical_path),
        "measured": figures.measured_figures(bundle_paperless([code])[code]),
    }
    return render(request, "catalog/bundle_detail.html", context)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    from tongban.cases.paperless import bundle_paperless, catalog_paperless  # lazy, as above

    items = published_item_specs()
    bundles = all_bundles()
    measured = bundle_paperless([bundle.code for bundle in bundles])
    rows = figures.bundle_metric_rows(bundles, items, measured)
    overall = catalog_metrics(items.values())
    context = {
        "overall": overall,
        "rates": figures.catalog_rates(overall),
        "measured": figures.measured_figures(catalog_paperless()),
        "rows": rows,
        "chart": figures.bundle_time_chart(rows),
        "chart_height": max(240, 44 * len(rows) + 80),
    }
    return render(request, "catalog/metrics.html", context)
