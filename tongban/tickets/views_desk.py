"""The staff pages of 12345 工单: the hotline operator's desk (intake, dispatch, 回访,
办结 …), the lead department's queue (签收, 答复, 退单, 申请延期), one ticket with the forms
its available actions allow, and the supervisor's figures.

Views parse, authorise and call the use cases in actions.py / followup.py (which check the
role and the transition again); which forms a page offers comes from
`permissions.available_actions`. A ticket outside the user's scope is a 404 (an approver of
another department learns nothing, not even that the number exists); a DomainError is shown
in Chinese next to the form, which keeps what was typed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tongban.cases.views_staff import domain_errors, error_messages, staff_nav, staff_user
from tongban.core.errors import DomainError
from tongban.core.models import Role, User

from . import actions, followup
from .deadlines import is_overdue, signoff_overdue
from .dispatch import DispatchSuggestion, suggest_dispatch
from .enums import CLERK_CHANNELS, HOTLINE_CHANNELS, TicketChannel, TicketState, TicketType
from .forms import (
    ACTION_FORMS,
    ActionForm,
    DispatchForm,
    NewTicketForm,
    department_choices,
    form_errors,
    numbers,
)
from .metrics import ticket_metrics, ticket_totals
from .models import Ticket
from .permissions import is_operator, is_supervisor, unit_ids
from .queries import (
    filter_tickets,
    overdue_filter,
    signoff_overdue_filter,
    ticket_counts,
    ticket_for,
    ticket_history,
    visible_tickets,
)
from .serialize import is_staff, may_see_phone, ticket_dict
from .transitions import OPEN_STATES, TRANSITIONS

PAGE_SIZE = 30
OVERDUE_SHOWN = 100
STATE_STYLE = {
    TicketState.RECEIVED: "primary",
    TicketState.DISPATCHED: "info",
    TicketState.SIGNED: "warning",
    TicketState.RETURNED: "danger",
    TicketState.REPLIED: "secondary",
    TicketState.CLOSED: "success",
    TicketState.MERGED: "light",
}
STATE_FILTERS = [("", "未办结"), *TicketState.choices, ("all", "全部")]
TYPES_OFFERING_PROXY = frozenset({TicketType.HELP, TicketType.COMPLAINT})  # 转帮代办


def is_desk_user(user: User) -> bool:
    return is_operator(user) or is_supervisor(user)


def ticket_nav(user: User, current: str) -> dict[str, Any]:
    """The workbench tabs, plus the ticket pages this user may open."""
    tabs = []
    if is_desk_user(user):
        tabs.append(("desk", "工单列表", reverse("tickets:desk")))
    if is_operator(user) or user.has_role(Role.CLERK):
        tabs.append(("new", "受理工单", reverse("tickets:new")))
    if unit_ids(user):
        tabs.append(("queue", "本单位工单", reverse("tickets:queue")))
    if is_supervisor(user):
        tabs.append(("supervise", "工单统计", reverse("tickets:supervise")))
    return {**staff_nav(user, "tickets"), "ticket_tabs": tabs, "ticket_current": current}


def ticket_errors(exc: DomainError) -> list[str]:
    found = error_messages(exc)
    if exc.code == "illegal_transition":
        found[-1] = "该工单可能刚被其他人员处理，下面显示的是工单的最新状态，请核对后再操作。"
    return found


# ---------------------------------------------------------------- lists


@dataclass
class Row:
    ticket: Ticket
    overdue: bool
    signoff_overdue: bool
    assisting: bool  # the viewer's unit is a co-department, not the lead
    style: str


def rows_of(tickets: Any, now: datetime.datetime, units: set[int]) -> list[Row]:
    today = timezone.localdate(now)
    return [
        Row(
            t,
            is_overdue(t, today),
            signoff_overdue(t, now),
            bool(units) and t.lead_department_id not in units,
            STATE_STYLE[TicketState(t.state)],
        )
        for t in tickets
    ]


@dataclass
class Filters:
    state: str
    type: str
    overdue: bool
    signoff: bool
    q: str

    @classmethod
    def parse(cls, data: QueryDict) -> Filters:
        state = data.get("state", "")
        if state not in TicketState.values and state != "all":
            state = ""
        kind = data.get("type", "")
        return cls(
            state=state,
            type=kind if kind in TicketType.values else "",
            overdue=data.get("overdue") == "1",
            signoff=data.get("signoff") == "1",
            q=data.get("q", "").strip()[:100],
        )

    def apply(self, tickets: QuerySet[Ticket], user: User, now: datetime.datetime) -> Any:
        rows = filter_tickets(
            tickets,
            user,
            today=timezone.localdate(now),
            state=self.state if self.state != "all" else None,
            type=self.type or None,
            overdue=self.overdue,
            q=self.q,
        )
        if not self.state:
            rows = rows.filter(state__in=OPEN_STATES)
        if self.signoff:
            rows = rows.filter(signoff_overdue_filter(now))
        return rows

    def query(self) -> str:
        """The filters as a query string (for the pagination links)."""
        params = QueryDict(mutable=True)
        for key, value in (("state", self.state), ("type", self.type), ("q", self.q)):
            if value:
                params[key] = value
        if self.overdue:
            params["overdue"] = "1"
        if self.signoff:
            params["signoff"] = "1"
        return params.urlencode()


def _list(
    request: HttpRequest, user: User, tickets: QuerySet[Ticket], *, kind: str, units: set[int]
) -> HttpResponse:
    now = timezone.now()
    filters = Filters.parse(request.GET)
    rows = filters.apply(tickets, user, now).order_by("due_on", "id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **ticket_nav(user, kind),
        "kind": kind,
        "page": page,
        "rows": rows_of(page.object_list, now, units),
        "filters": filters,
        "state_filters": STATE_FILTERS,
        "types": TicketType.choices,
    }
    return render(request, "tickets/list.html", context)


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """The operator's (and the supervisor's) list of every ticket, due date first."""
    user = staff_user(request)
    if not is_desk_user(user):
        raise PermissionDenied("只有12345话务员和效能监督人员可以查看全部工单")
    return _list(request, user, visible_tickets(user), kind="desk", units=set())


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The department's queue: tickets its unit leads (or assists), due date first."""
    user = staff_user(request)
    units = unit_ids(user)
    if not units:
        raise PermissionDenied("只有承办单位的审批人员和窗口人员可以查看本单位工单")
    assisting = Ticket.co_departments.through.objects.filter(department_id__in=units)
    tickets = visible_tickets(user).filter(
        Q(lead_department_id__in=units) | Q(pk__in=assisting.values("ticket_id"))
    )
    return _list(request, user, tickets, kind="queue", units=units)


# ---------------------------------------------------------------- intake


def _intake_channels(user: User) -> list[tuple[str, str]]:
    allowed: set[str] = set()
    if is_operator(user):
        allowed |= {str(c) for c in HOTLINE_CHANNELS}
    if user.has_role(Role.CLERK):
        allowed |= {str(c) for c in CLERK_CHANNELS}
    return [(value, label) for value, label in TicketChannel.choices if value in allowed]


def prefill_from_url(request: HttpRequest) -> dict[str, str]:
    """`title` and `content` from the URL, cut to the forms' limits: 智能导办 links to a
    blank ticket form with what the person asked about."""
    initial = {}
    for name, limit in (("title", 200), ("content", 5000)):
        value = request.GET.get(name, "").strip()[:limit]
        if value:
            initial[name] = value
    return initial


def _intake_initial(request: HttpRequest, channels: list[tuple[str, str]]) -> dict[str, Any]:
    """The blank intake form; `type`, `title` and `content` may come from the URL."""
    kind = request.GET.get("type", "")
    return {
        "channel": channels[0][0],
        "type": kind if kind in TicketType.values else TicketType.CONSULT,
        **prefill_from_url(request),
    }


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """受理: the operator logs a call (or a web/app message); the clerk a window report.
    After saving, the ticket page offers 派单 with the catalogue's suggestion."""
    user = staff_user(request)
    channels = _intake_channels(user)
    if not channels:
        raise PermissionDenied("只有12345话务员和“办不成事”窗口人员可以受理工单")
    errors: list[str] = []
    suggestion = None
    if request.method == "POST":
        form = NewTicketForm(request.POST, channels=channels)
        if not form.is_valid():
            errors = form_errors(form)
        else:
            data = form.cleaned_data
            try:
                ticket = actions.ticket_create(user, **data)
            except DomainError as exc:
                errors = ticket_errors(exc)
            else:
                messages.success(request, f"已受理工单 {ticket.number}。")
                return redirect("tickets:detail", number=ticket.number)
        if is_desk_user(user):
            suggestion = _suggestion_of(request.POST)
    else:
        form = NewTicketForm(initial=_intake_initial(request, channels), channels=channels)
    context = {
        **ticket_nav(user, "new"),
        "form": form,
        "errors": errors,
        "suggestion": suggestion,
        "may_suggest": is_desk_user(user),
        # The 智能导办 box above the form: what the caller wants done, in their words.
        "guide_context": "hotline" if is_operator(user) else "clerk",
    }
    return render(request, "tickets/new.html", context, status=400 if errors else 200)


def _suggestion_of(data: QueryDict) -> DispatchSuggestion | None:
    text = f"{data.get('title', '')}\n{data.get('content', '')}"
    return suggest_dispatch(text, data.get("item_code", "").strip() or None)


@login_required
@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """htmx fragment: what the 派单目录 suggests for the text typed so far."""
    user = staff_user(request)
    if not is_desk_user(user):
        raise PermissionDenied("只有12345话务员或效能监督人员可以查看派单建议")
    context = {"suggestion": _suggestion_of(request.GET), "asked": True}
    return render(request, "tickets/partials/suggestion.html", context)


# ---------------------------------------------------------------- one ticket


@dataclass
class Panel:
    action: str
    label: str
    form: ActionForm
    errors: list[str]


LABELS = {a: t.label for a, t in TRANSITIONS.items()}
LABELS["review_extension"] = "审核延期申请"
LABELS["follow_up"] = "回访"


def _form(
    action: str,
    data: QueryDict | None,
    departments: list[tuple[str, str]],
    suggestion: DispatchSuggestion | None,
) -> ActionForm:
    form_class = ACTION_FORMS[action]
    if form_class is DispatchForm:
        initial: dict[str, Any] = {}
        if suggestion is not None:  # preselected: one click accepts it, any change overrides
            initial = {"lead": suggestion.lead.code, "co": [d.code for d in suggestion.co]}
        return DispatchForm(data, action=action, departments=departments, initial=initial)
    return form_class(data, action=action)


def _viewer_role(user: User, ticket: Ticket) -> str:
    if is_operator(user):
        return "operator"
    if ticket.lead_department_id is not None and ticket.lead_department_id in unit_ids(user):
        return "lead"
    if is_supervisor(user):
        return "supervisor"
    if unit_ids(user) & {d.pk for d in ticket.co_departments.all()}:
        return "co"
    return "other"


def _render_detail(
    request: HttpRequest,
    user: User,
    ticket: Ticket,
    *,
    failed: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    data = ticket_dict(ticket, user, now=now, detail=True)
    offered = data["actions"]
    posted = request.POST if request.method == "POST" else None
    departments: list[tuple[str, str]] = []
    suggestion = None
    if {"dispatch", "reassign"} & set(offered):
        departments = department_choices()
        suggestion = suggest_dispatch(f"{ticket.title}\n{ticket.content}", ticket.item_code)
    panels = [
        Panel(
            action,
            LABELS[action],
            _form(action, posted if action == failed else None, departments, suggestion),
            (errors or []) if action == failed else [],
        )
        for action in offered
    ]
    context = {
        **ticket_nav(user, "queue" if not is_desk_user(user) else "desk"),
        "ticket": ticket,
        "t": data,
        "style": STATE_STYLE[TicketState(ticket.state)],
        "viewer": _viewer_role(user, ticket),
        "panels": panels,
        "orphan_errors": errors if failed and failed not in offered else [],
        "history": ticket_history(ticket),
        "suggestion": suggestion,
        "offer_proxy": ticket.type in TYPES_OFFERING_PROXY
        and (is_operator(user) or user.has_role(Role.CLERK)),
    }
    return render(request, "tickets/detail.html", context, status=status)


def _staff_ticket(user: User, number: str) -> Ticket:
    try:
        return ticket_for(user, number)
    except DomainError as exc:
        raise Http404(str(exc.detail)) from exc


@login_required
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    user = staff_user(request)
    if not is_staff(user):
        # A caller following their own ticket gets the public progress page.
        if Ticket.objects.filter(number=number, citizen=user).exists():
            return redirect("tickets:progress", number=number)
        raise Http404("工单不存在")
    ticket = _staff_ticket(user, number)
    if may_see_phone(user, ticket) and ticket.citizen_id != user.pk:
        actions.ticket_view_personal_data(user, actions.staff_role(user), ticket)
    return _render_detail(request, user, ticket)


def _perform(user: User, number: str, action: str, data: dict[str, Any]) -> None:
    if action == "answer":
        actions.ticket_answer(number, user, reply=data["reply"])
    elif action in ("dispatch", "reassign"):
        send = actions.ticket_dispatch if action == "dispatch" else actions.ticket_reassign
        lead = data["lead"] or None
        co = list(data["co"]) if (lead or data["co"]) else None
        send(number, user, lead=lead, co=co)
    elif action == "sign":
        actions.ticket_sign(number, user)
    elif action == "reply":
        actions.ticket_reply(number, user, reply=data["reply"])
    elif action == "return":
        actions.ticket_return(number, user, reason=data["reason"])
    elif action == "request_extension":
        days = data["days"] if data["days"] is not None else 0
        followup.ticket_request_extension(number, user, days=days, reason=data["reason"])
    elif action == "review_extension":
        followup.ticket_review_extension(number, user, approve=data["approve"], note=data["note"])
    elif action == "remind":
        followup.ticket_remind(number, user, note=data["note"])
    elif action == "merge":
        followup.ticket_merge(number, user, into=data["into"].strip().upper())
    elif action == "follow_up":
        followup.ticket_follow_up(
            number, user, satisfaction=data["satisfaction"], notes=data["notes"], redo=data["redo"]
        )
    elif action == "close":
        followup.ticket_close(number, user, unreachable=data["unreachable"], note=data["note"])
    elif action == "link":
        followup.ticket_link(
            number,
            user,
            applications=numbers(data["applications"]),
            cases=numbers(data["cases"]),
        )


DONE = {
    "answer": "已即时答复并办结。",
    "dispatch": "已派单，等待承办单位签收。",
    "reassign": "已改派，等待承办单位签收。",
    "sign": "已签收，请在办理期限内答复。",
    "reply": "已答复，等待12345回访。",
    "return": "已退单，等待12345改派。",
    "request_extension": "已提交延期申请，等待审核。",
    "review_extension": "延期审核意见已记录。",
    "remind": "已催办。",
    "merge": "已并单。",
    "follow_up": "回访已记录。",
    "close": "工单已办结。",
    "link": "已关联。",
}


@login_required
@require_POST
@domain_errors
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    user = staff_user(request)
    if not is_staff(user):
        raise Http404("工单不存在")
    ticket = _staff_ticket(user, number)
    if action not in ACTION_FORMS:
        raise Http404("没有这个操作")
    departments = department_choices() if action in ("dispatch", "reassign") else []
    if action in ("dispatch", "reassign"):
        form: ActionForm = DispatchForm(request.POST, action=action, departments=departments)
    else:
        form = ACTION_FORMS[action](request.POST, action=action)
    if not form.is_valid():
        return _render_detail(
            request, user, ticket, failed=action, errors=form_errors(form), status=400
        )
    try:
        _perform(user, number, action, form.cleaned_data)
    except DomainError as exc:
        if exc.status == 404 and exc.code == "not_found" and action not in ("merge", "link"):
            raise Http404(str(exc.detail)) from exc
        # Show the ticket as it is now (someone else may have moved it on).
        return _render_detail(
            request,
            user,
            _staff_ticket(user, number),
            failed=action,
            errors=ticket_errors(exc),
            status=exc.status,
        )
    messages.success(request, DONE[action])
    try:
        ticket_for(user, number)
    except DomainError:  # e.g. returned and reassigned away: back to the list
        return redirect("tickets:queue" if unit_ids(user) else "tickets:desk")
    return redirect("tickets:detail", number=number)


# ---------------------------------------------------------------- the supervisor


@login_required
@require_GET
def supervise(request: HttpRequest) -> HttpResponse:
    """工单统计: 承办数, 办结率, 按期办结率, 满意率 per lead department, and what is late."""
    user = staff_user(request)
    if not is_supervisor(user):
        raise PermissionDenied("只有效能监督人员可以查看工单统计")
    now = timezone.now()
    today = timezone.localdate(now)
    figures = ticket_metrics(by_month=False)
    late = Ticket.objects.filter(overdue_filter(today) | signoff_overdue_filter(now))
    overdue_rows = rows_of(
        late.select_related("lead_department").order_by("due_on", "id")[:OVERDUE_SHOWN],
        now,
        set(),
    )
    context = {
        **ticket_nav(user, "supervise"),
        "figures": figures,
        "totals": ticket_totals(figures),
        "overdue_rows": overdue_rows,
        "counts": ticket_counts(Ticket.objects.all(), now),
    }
    return render(request, "tickets/supervise.html", context)
