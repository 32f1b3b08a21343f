"""Statistics API: what the dashboard draws, for supervisors (their region) and department
staff (their department)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from tongban.catalog.models import Bundle
from tongban.core.api_auth import api_user
from tongban.core.errors import DomainError
from tongban.core.models import User

from .definitions import definitions_payload
from .filters import StatsFilter, statistics_filter
from .items import item_figures
from .overview import overview
from .panels import rating_panel, ticket_panel
from .reform import bundle_reform
from .warnings import PAGE_SIZE, parse_level, warning_list

router = Router(tags=["统计监督"])


class StatsQuery(Schema):
    from_: str | None = Field(
        default=None, alias="from", description="起始日期 YYYY-MM-DD（默认截止日前 29 天）"
    )
    to: str | None = Field(default=None, description="截止日期 YYYY-MM-DD（默认今天）")
    region: str | None = Field(default=None, description="行政区划代码（含下级）")
    department: str | None = Field(default=None, description="部门 ID")
    bundle: str | None = Field(default=None, description="一件事标识")


def _filter(request: HttpRequest, query: StatsQuery) -> tuple[User, StatsFilter]:
    user = api_user(request)
    params = {
        "from": query.from_ or "",
        "to": query.to or "",
        "region": query.region or "",
        "department": query.department or "",
        "bundle": query.bundle or "",
    }
    return user, statistics_filter(params, user)


@router.get(
    "/stats/overview",
    summary="统计总览：收件、受理、办结、按期办结率、在办、渠道、预警、好差评、工单",
)
def stats_overview(request: HttpRequest, query: Query[StatsQuery]) -> dict[str, Any]:
    _, stats = _filter(request, query)
    figures = overview(stats, timezone.localdate())
    figures["ratings"] = rating_panel(stats)
    figures["tickets"] = ticket_panel(stats)
    figures["definitions"] = definitions_payload()
    return figures


@router.get("/stats/items", summary="分事项统计：用时（平均、90%）、按期办结率、补正率、不予受理率")
def stats_items(request: HttpRequest, query: Query[StatsQuery]) -> dict[str, Any]:
    _, stats = _filter(request, query)
    return {"filter": stats.as_params(), "results": item_figures(stats)}


@router.get("/stats/bundles/{code}", summary="一件事统计：总量、成员事项与改革成效（计划与实测）")
def stats_bundle(request: HttpRequest, code: str, query: Query[StatsQuery]) -> dict[str, Any]:
    bundle = Bundle.objects.filter(code=code).first()
    if bundle is None:
        raise DomainError("not_found", f"一件事“{code}”不存在", 404)
    query.bundle = code
    _, stats = _filter(request, query)
    figures = overview(stats, timezone.localdate())
    return {
        "bundle": {"code": bundle.code, "name": str(bundle)},
        "filter": stats.as_params(),
        "totals": figures["totals"],
        "series": figures["series"],
        "channels": figures["channels"],
        "items": item_figures(stats),
        "reform": bundle_reform(code, stats),
    }


class WarningQuery(StatsQuery):
    level: str | None = Field(default=None, description="red 红牌 / yellow 黄牌（默认两者）")
    limit: int = Field(default=PAGE_SIZE, ge=1, le=200)
    after: str | None = Field(default=None, description="翻页：上一页返回的 next")


@router.get("/stats/warnings", summary="黄牌/红牌办件列表（实时，最超期的在前）")
def stats_warnings(request: HttpRequest, query: Query[WarningQuery]) -> dict[str, Any]:
    _, stats = _filter(request, query)
    level = parse_level(query.level)
    listing = warning_list(
        stats, timezone.localdate(), level=level, limit=query.limit, after=query.after
    )
    return {"filter": stats.as_params(), "level": level, **listing}
