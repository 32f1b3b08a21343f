"""The supervisor dashboard (统计总览) and the department view, server-rendered.

One page for both: a supervisor sees their region, a department's approver their own
department (the title then names it). The figures come from the same functions the JSON API
uses (overview, item_figures, warning_list, the rating and ticket panels); this module only
parses the request, checks the scope (`request_filter`, shared with the export pages) and
shapes the figures for the template — cards with their definitions, chart data, tables.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tongban.cases.views_staff import domain_errors, error_messages, staff_nav, staff_user
from tongban.catalog.models import Bundle
from tongban.core.errors import DomainError
from tongban.core.models import Department, Region, Role, User
from tongban.core.rates import percent_text
from tongban.core.roles import supervised_prefixes

from .definitions import DEFINITIONS
from .filters import StatsFilter, require_statistics, statistics_filter
from .items import UNCLEAR_GUIDE_RATE, item_figures
from .overview import overview
from .panels import rating_panel, ticket_panel
from .warnings import PAGE_SIZE, parse_level, warning_list

DASHBOARD_WARNINGS = 20
EXPORT_TABLES = (
    ("series", "收件/受理/办结走势"),
    ("backlog", "各部门在办量"),
    ("channels", "收件渠道"),
    ("items", "分事项统计"),
    ("warnings", "黄牌/红牌办件"),
)


# --------------------------------------------------------------------------- request and scope


def stats_user(request: HttpRequest) -> User:
    return require_statistics(staff_user(request))


def request_filter(request: HttpRequest, user: User) -> StatsFilter:
    """The request's filter, narrowed to the user's scope (400 / 403 as a DomainError)."""
    return statistics_filter(request.GET, user)


def filter_query(stats: StatsFilter, **extra: str) -> str:
    return urlencode({**stats.as_params(), **{k: v for k, v in extra.items() if v}})


def scope_choices(user: User) -> dict[str, list[tuple[str, str]]]:
    """What the filter form offers: the regions and departments in scope, every bundle."""
    if user.has_role(Role.SUPERVISOR):
        prefixes = supervised_prefixes(user)
        regions = Region.objects.all()
        departments = Department.objects.all()
        if prefixes is not None:
            regions = regions.filter(reduce(or_, (Q(code__startswith=p) for p in prefixes), Q()))
            departments = departments.filter(
                reduce(or_, (Q(region__code__startswith=p) for p in prefixes), Q())
            )
        region_choices = [(r.code, f"{r.name}（{r.code}）") for r in regions.order_by("code")]
    else:
        own = [
            a.department_id
            for a in user.assignments_by_role().get(Role.APPROVER, [])
            if a.department_id is not None
        ]
        departments = Department.objects.filter(pk__in=own)
        region_choices = []  # the department view: the department is the scope
    bundles = Bundle.objects.select_related("published").order_by("code")
    return {
        "regions": region_choices,
        "departments": [(str(d.pk), d.name) for d in departments.order_by("region_id", "name")],
        "bundles": [(b.code, str(b)) for b in bundles],
    }


def _label(choices: list[tuple[str, str]], value: object) -> str | None:
    return next((label for key, label in choices if key == str(value)), None)


def page_title(user: User, stats: StatsFilter, choices: dict[str, Any]) -> str:
    department = _label(choices["departments"], stats.department) if stats.department else None
    if not user.has_role(Role.SUPERVISOR):
        return f"{department or '本部门'} · 统计（部门视图）"
    region = _label(choices["regions"], stats.region) if stats.region else None
    return " · ".join(x for x in ("统计总览", region, department) if x)


# --------------------------------------------------------------------------- shaping the figures


def _days(value: object) -> str:
    return "—" if value is None else f"{value}"


def headline_cards(figures: dict[str, Any]) -> list[dict[str, Any]]:
    totals, warned = figures["totals"], figures["warnings"]

    def card(key: str, value: str, *, keys: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
        definitions = [DEFINITIONS[k] for k in keys or (key,)]
        label = extra.pop("label", definitions[0].label)
        return {"key": key, "label": label, "value": value, "definitions": definitions, **extra}

    return [
        card("received", str(totals["received"])),
        card("accepted", str(totals["accepted"])),
        card("completed", str(totals["completed"])),
        card("completion_rate", percent_text(totals["completion_rate"])),
        card("on_time_rate_promised", percent_text(totals["on_time_rate_promised"])),
        card("on_time_rate_statutory", percent_text(totals["on_time_rate_statutory"])),
        card(
            "working_days",
            f"{_days(totals['average_working_days'])} / {_days(totals['p90_working_days'])}",
            keys=("average_working_days", "p90_working_days"),
            label="平均用时 / 90%用时",
            unit="工作日",
        ),
        card("backlog", str(totals["backlog"])),
        card("online_rate", percent_text(totals["online_rate"])),
        card("red", str(warned["red"]), tone="danger"),
        card("yellow", str(warned["yellow"]), tone="warning"),
    ]


def chart_data(figures: dict[str, Any]) -> dict[str, Any]:
    """The three charts' data, each embedded with json_script (the tables show the same)."""
    points = figures["series"]
    backlog = figures["backlog"]
    states = sorted({label for row in backlog for label in row["by_state"]})
    return {
        "series": {
            "kind": "line",
            "categories": [p["date"] for p in points],
            "series": [
                {"name": name, "data": [p[key] for p in points]}
                for key, name in (("received", "收件"), ("accepted", "受理"), ("completed", "办结"))
            ],
        },
        "backlog": {
            "kind": "bar",
            "categories": [row["name"] for row in backlog],
            "series": [
                {"name": state, "data": [row["by_state"].get(state, 0) for row in backlog]}
                for state in states
            ],
        },
        "channels": {
            "kind": "pie",
            "series": [
                {
                    "name": "收件渠道",
                    "data": [
                        {"name": c["label"], "value": c["received"]} for c in figures["channels"]
                    ],
                }
            ],
        },
    }


# --------------------------------------------------------------------------- views


def form_values(request: HttpRequest, stats: StatsFilter | None) -> dict[str, str]:
    if stats is None:  # the request as typed, to show it back beside the error
        return {k: request.GET.get(k, "") for k in ("from", "to", "region", "department", "bundle")}
    return {"region": "", "department": "", "bundle": "", **stats.as_params()}


@login_required
@require_GET
@domain_errors
def dashboard(request: HttpRequest) -> HttpResponse:
    user = stats_user(request)
    choices = scope_choices(user)
    base = {
        **staff_nav(user, "stats"),
        "choices": choices,
        "supervisor": user.has_role(Role.SUPERVISOR),
    }
    try:
        stats = request_filter(request, user)
    except DomainError as exc:
        if exc.status != 400:
            raise
        context = {**base, "title": "统计总览", "errors": error_messages(exc)}
        context["values"] = form_values(request, None)
        return render(request, "stats/dashboard.html", context, status=400)
    today = timezone.localdate()
    figures = overview(stats, today)
    context = {
        **base,
        "title": page_title(user, stats, choices),
        "values": form_values(request, stats),
        "stats": stats,
        "query": filter_query(stats),
        "figures": figures,
        "cards": headline_cards(figures),
        "charts": chart_data(figures),
        "items": item_figures(stats),
        "unclear_rate": UNCLEAR_GUIDE_RATE,
        "warnings": warning_list(
            stats, today, limit=DASHBOARD_WARNINGS, counts=figures["warnings"]
        ),
        "ratings": rating_panel(stats),
        "tickets": ticket_panel(stats),
        "exports": EXPORT_TABLES,
    }
    return render(request, "stats/dashboard.html", context)


@login_required
@require_GET
@domain_errors
def warnings(request: HttpRequest) -> HttpResponse:
    """Every 黄牌 / 红牌 case in scope, most overdue first, paged by keyset (`after`)."""
    user = stats_user(request)
    stats = request_filter(request, user)
    level = parse_level(request.GET.get("level"))
    after = request.GET.get("after") or None
    listing = warning_list(stats, timezone.localdate(), level=level, limit=PAGE_SIZE, after=after)
    query = filter_query(stats)
    context = {
        **staff_nav(user, "stats"),
        "title": page_title(user, stats, scope_choices(user)),
        "stats": stats,
        "query": query,
        "level": level or "",
        "listing": listing,
        "levels": [("", "全部"), ("red", "红牌"), ("yellow", "黄牌")],
        "next_url": (
            "?" + filter_query(stats, level=level or "", after=listing["next"])
            if listing["next"]
            else None
        ),
        "first_page_url": "?" + filter_query(stats, level=level or ""),
        "first_page": after is None,
    }
    return render(request, "stats/warnings.html", context)
