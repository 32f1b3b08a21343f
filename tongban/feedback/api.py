"""好差评 under /api/v1: rate, read ratings, and work rectifications. Handlers parse,
authorise (through the queries' visibility and the actions' own checks) and call."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tongban.core.api_auth import api_user
from tongban.core.errors import DomainError
from tongban.core.models import Role

from .actions import (
    rating_submit,
    rectification_appeal,
    rectification_close,
    rectification_follow_up,
    rectification_resolve,
    rectification_review_appeal,
)
from .metrics import GROUPINGS, in_period, rating_figures, rating_totals
from .queries import overdue, visible_ratings, visible_rectifications
from .serialize import rating_dict, rectification_dict

router = Router(tags=["好差评"])
PAGE = 50


class RatingIn(Schema):
    stage: str = Field(description="accept 受理阶段 / complete 办结阶段 / window 窗口服务")
    case_no: str | None = Field(default=None, description="评价办件时必填")
    application_number: str | None = Field(default=None, description="评价窗口服务时必填")
    level: int = Field(description="5 非常满意 … 1 非常不满意")
    indicators: dict[str, int] = Field(default_factory=dict, description="分项评分 1–5")
    comment: str = ""
    channel: str = Field(default="web", description="web / app / window_pad / sms / hotline")
    anonymous: bool = False


@router.post("/ratings", response={201: dict[str, Any]}, summary="评价（差评自动生成整改单）")
def create_rating(request: HttpRequest, body: RatingIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    rating = rating_submit(user, **body.dict())
    return Status(201, rating_dict(rating, user))


class RatingFilter(Schema):
    stage: str | None = None
    level: int | None = None
    department: str | None = Field(default=None, description="部门代码")
    offset: int = Field(default=0, ge=0)


@router.get("/ratings", summary="评价列表（本人、本单位或监督人员可见范围）")
def list_ratings(request: HttpRequest, filters: Query[RatingFilter]) -> dict[str, Any]:
    user = api_user(request)
    ratings = visible_ratings(user)
    if filters.stage:
        ratings = ratings.filter(stage=filters.stage)
    if filters.level:
        ratings = ratings.filter(level=filters.level)
    if filters.department:
        ratings = ratings.filter(department__code=filters.department)
    page = list(ratings.order_by("-created_at", "-id")[filters.offset : filters.offset + PAGE])
    return {"count": ratings.count(), "results": [rating_dict(r, user) for r in page]}


class FiguresFilter(Schema):
    by: str = Field(default="department", description="department / item / month")
    start: datetime.date | None = Field(default=None, description="评价日期起（含）")
    end: datetime.date | None = Field(default=None, description="评价日期止（含）")


@router.get(
    "/ratings/figures",
    summary="好差评统计：评价数、满意率、差评数、差评整改率、回访率（按部门/事项/月份）",
)
def rating_figures_api(request: HttpRequest, filters: Query[FiguresFilter]) -> dict[str, Any]:
    user = api_user(request)
    if not user.has_role(Role.SUPERVISOR):
        raise DomainError("forbidden", "只有效能监督人员可以查看统计", 403)
    if filters.by not in GROUPINGS:
        raise DomainError("bad_request", f"by 须为 {' / '.join(GROUPINGS)}", 400)
    ratings = in_period(visible_ratings(user), filters.start, filters.end)
    return {
        "basic_counts_as_satisfied": settings.TONGBAN_SATISFIED_INCLUDES_BASIC,
        "totals": rating_totals(ratings).as_dict(),
        "rows": [row.as_dict() for row in rating_figures(ratings, filters.by)],
    }


class RectificationFilter(Schema):
    state: str | None = None
    overdue: bool = False
    offset: int = Field(default=0, ge=0)


@router.get("/rectifications", summary="差评整改列表（本单位或监督人员；overdue=true 只看逾期）")
def list_rectifications(
    request: HttpRequest, filters: Query[RectificationFilter]
) -> dict[str, Any]:
    user = api_user(request)
    today = timezone.localdate()
    rows = visible_rectifications(user)
    if filters.state:
        rows = rows.filter(state=filters.state)
    if filters.overdue:
        rows = overdue(rows, today)
    page = list(rows.order_by("due_on", "id")[filters.offset : filters.offset + PAGE])
    return {
        "count": rows.count(),
        "results": [rectification_dict(r, user, today) for r in page],
    }


@router.get("/rectifications/{pk}", summary="差评整改详情")
def get_rectification(request: HttpRequest, pk: int) -> dict[str, Any]:
    user = api_user(request)
    found = visible_rectifications(user).filter(pk=pk).first()
    if found is None:
        raise DomainError("not_found", "差评整改不存在", 404)
    return rectification_dict(found, user, timezone.localdate())


class RectificationActionIn(Schema):
    method: str = Field(default="", description="follow_up：phone / visit / sms / none（仅匿名）")
    notes: str = ""
    finding: str = Field(default="", description="resolve：immediate / deadline / explain")
    fix: str = ""
    reply: str = ""
    reason: str = Field(default="", description="appeal：申诉理由")
    uphold: bool = Field(default=False, description="review_appeal：申诉是否成立")
    decision: str = ""
    re_level: int | None = Field(default=None, description="close：评价人的二次评价 1–5")


@router.post(
    "/rectifications/{pk}/actions/{action}",
    summary="办理差评整改：follow_up / resolve / appeal / review_appeal / close",
)
def act_on_rectification(
    request: HttpRequest, pk: int, action: str, body: RectificationActionIn
) -> dict[str, Any]:
    user = api_user(request)
    if not visible_rectifications(user).filter(pk=pk).exists():
        raise DomainError("not_found", "差评整改不存在", 404)
    if action == "follow_up":
        rectification_follow_up(pk, user, method=body.method, notes=body.notes)
    elif action == "resolve":
        rectification_resolve(pk, user, finding=body.finding, fix=body.fix, reply=body.reply)
    elif action == "appeal":
        rectification_appeal(pk, user, reason=body.reason)
    elif action == "review_appeal":
        rectification_review_appeal(pk, user, uphold=body.uphold, decision=body.decision)
    elif action == "close":
        rectification_close(pk, user, re_level=body.re_level)
    else:
        raise DomainError("unknown_action", f"不支持的操作“{action}”", 404)
    return get_rectification(request, pk)
