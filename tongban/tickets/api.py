"""12345 工单 under /api/v1/tickets. Handlers parse, scope (through `visible_tickets`: a
ticket outside the caller's scope is 404) and call the use cases, which check roles."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tongban.core.api_auth import api_user
from tongban.core.errors import DomainError
from tongban.core.models import User

from . import actions, followup
from .dispatch import suggest_dispatch
from .metrics import ticket_metrics
from .models import Ticket
from .permissions import is_operator, is_supervisor
from .queries import filter_tickets, signoff_overdue_filter, ticket_for, visible_tickets
from .serialize import citizen_progress, is_staff, may_see_phone, ticket_dict

router = Router(tags=["12345工单"])
PAGE = 50


class TicketIn(Schema):
    type: str = Field(
        description="consult 咨询 / help 求助 / complaint 投诉 / suggestion 建议 / "
        "praise 表扬 / emergency 应急"
    )
    channel: str = Field(
        description="phone 12345热线 / web 网站 / app 移动端 / window 办不成事窗口"
    )
    title: str
    content: str
    caller_name: str = Field(default="", description="群众本人提交时默认为账号姓名")
    caller_phone: str = Field(default="", description="手机号码或带区号的固定电话")
    caller_id_number: str = Field(
        default="", description="话务员可填来电人身份证号以关联其账号（不保存）"
    )
    item_code: str = Field(default="", description="相关事项基本编码（12位），用于派单建议")


@router.post("/tickets", response={201: dict[str, Any]}, summary="受理工单")
def create_ticket(request: HttpRequest, body: TicketIn) -> Status[dict[str, Any]]:
    user = api_user(request)
    ticket = actions.ticket_create(user, **body.dict())
    return Status(201, ticket_dict(ticket, user, detail=True))


class TicketFilter(Schema):
    state: str | None = Field(default=None, description="状态，或 open（未办结）")
    type: str | None = None
    department: str | None = Field(default=None, description="承办单位代码")
    overdue: bool = Field(default=False, description="只看逾期")
    signoff_overdue: bool = Field(default=False, description="只看签收超时")
    mine: bool = Field(default=False, description="本人受理、本单位承办或本人的工单")
    q: str | None = Field(default=None, description="编号、标题或内容")
    offset: int = Field(default=0, ge=0)


@router.get("/tickets", summary="工单列表（按可见范围）")
def list_tickets(request: HttpRequest, filters: Query[TicketFilter]) -> dict[str, Any]:
    user = api_user(request)
    now = timezone.now()
    rows = filter_tickets(
        visible_tickets(user),
        user,
        today=timezone.localdate(now),
        state=filters.state,
        type=filters.type,
        department=filters.department,
        overdue=filters.overdue,
        mine=filters.mine,
        q=filters.q,
    )
    if filters.signoff_overdue:
        rows = rows.filter(signoff_overdue_filter(now))
    page = list(rows.order_by("due_on", "id")[filters.offset : filters.offset + PAGE])
    return {"count": rows.count(), "results": [ticket_dict(t, user, now=now) for t in page]}


@router.get("/tickets/dispatch/suggest", summary="派单建议（派单目录）")
def dispatch_suggestion(
    request: HttpRequest, text: str = "", item_code: str = ""
) -> dict[str, Any]:
    user = api_user(request)
    if not (is_operator(user) or is_supervisor(user)):
        raise DomainError("forbidden", "只有12345话务员或效能监督人员可以查看派单建议", 403)
    suggestion = suggest_dispatch(text, item_code or None)
    return {"suggestion": suggestion.as_dict() if suggestion else None}


@router.get(
    "/tickets/metrics",
    summary="12345统计：承办数、办结率、按期办结率、满意率（按承办部门，可按月）",
)
def ticket_figures(
    request: HttpRequest,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    by_month: bool = False,
) -> dict[str, Any]:
    user = api_user(request)
    if not (is_operator(user) or is_supervisor(user)):
        raise DomainError("forbidden", "只有12345话务员或效能监督人员可以查看统计", 403)
    tickets = Ticket.objects.all()
    if start:
        tickets = tickets.filter(received_at__date__gte=start)
    if end:
        tickets = tickets.filter(received_at__date__lte=end)
    return {"rows": [m.as_dict() for m in ticket_metrics(tickets, by_month=by_month)]}


@router.get("/tickets/{number}", summary="工单详情")
def get_ticket(request: HttpRequest, number: str) -> dict[str, Any]:
    user = api_user(request)
    ticket = ticket_for(user, number)
    if is_staff(user) and may_see_phone(user, ticket) and ticket.citizen_id != user.pk:
        actions.ticket_view_personal_data(user, actions.staff_role(user), ticket)
    return ticket_dict(ticket, user, detail=True)


@router.get("/tickets/{number}/progress", summary="办理进度（群众视图）")
def get_progress(request: HttpRequest, number: str) -> dict[str, Any]:
    return citizen_progress(ticket_for(api_user(request), number))


class TicketActionIn(Schema):
    lead: str | None = Field(
        default=None, description="dispatch/reassign：承办单位代码，空则按派单建议"
    )
    co: list[str] | None = Field(default=None, description="dispatch/reassign：协办单位代码")
    reply: str = Field(default="", description="reply/answer：答复内容")
    reason: str = Field(default="", description="return/request_extension：理由")
    days: int | None = Field(default=None, description="request_extension：延期工作日")
    approve: bool | None = Field(default=None, description="review_extension：是否同意")
    note: str = Field(default="", description="review_extension/remind/close：说明")
    into: str = Field(default="", description="merge：主工单编号")
    satisfaction: str = Field(default="", description="follow_up：satisfied / basic / dissatisfied")
    notes: str = Field(default="", description="follow_up：回访记录")
    redo: bool = Field(default=False, description="follow_up：不满意时退回重办")
    unreachable: bool = Field(default=False, description="close：无法联系来电人")
    applications: list[str] = Field(default_factory=list, description="link：申请编号")
    cases: list[str] = Field(default_factory=list, description="link：办件编号")


def _review(number: str, user: User, body: TicketActionIn) -> Any:
    if body.approve is None:
        raise DomainError("required", "请选择是否同意延期", 400)
    return followup.ticket_review_extension(number, user, approve=body.approve, note=body.note)


def _extension(number: str, user: User, body: TicketActionIn) -> Any:
    if body.days is None:
        raise DomainError("required", "请填写延期天数", 400)
    return followup.ticket_request_extension(number, user, days=body.days, reason=body.reason)


HANDLERS: dict[str, Callable[[str, User, TicketActionIn], Any]] = {
    "answer": lambda n, u, b: actions.ticket_answer(n, u, reply=b.reply),
    "dispatch": lambda n, u, b: actions.ticket_dispatch(n, u, lead=b.lead, co=b.co),
    "reassign": lambda n, u, b: actions.ticket_reassign(n, u, lead=b.lead, co=b.co),
    "sign": lambda n, u, b: actions.ticket_sign(n, u),
    "reply": lambda n, u, b: actions.ticket_reply(n, u, reply=b.reply),
    "return": lambda n, u, b: actions.ticket_return(n, u, reason=b.reason),
    "request_extension": _extension,
    "review_extension": _review,
    "remind": lambda n, u, b: followup.ticket_remind(n, u, note=b.note),
    "merge": lambda n, u, b: followup.ticket_merge(n, u, into=b.into),
    "follow_up": lambda n, u, b: followup.ticket_follow_up(
        n, u, satisfaction=b.satisfaction, notes=b.notes, redo=b.redo
    ),
    "close": lambda n, u, b: followup.ticket_close(n, u, unreachable=b.unreachable, note=b.note),
    "link": lambda n, u, b: followup.ticket_link(n, u, applications=b.applications, cases=b.cases),
}


@router.post(
    "/tickets/{number}/actions/{action}",
    summary="办理工单：" + " / ".join(HANDLERS),
)
def act_on_ticket(
    request: HttpRequest, number: str, action: str, body: TicketActionIn
) -> dict[str, Any]:
    user = api_user(request)
    handler = HANDLERS.get(action)
    if handler is None:
        raise DomainError("unknown_action", f"不支持的操作“{action}”", 404)
    ticket_for(user, number)  # 404 outside the caller's scope, before any role check
    handler(number, user, body)
    return ticket_dict(ticket_for(user, number), user, detail=True)
