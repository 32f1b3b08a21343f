"""The rectification desk (差评整改台账) of the rated unit's approvers and clerks, and the
supervisor's 好差评 page: figures, what is late, appeals to review.

Views parse, authorise and call the rectification actions; which forms a page offers comes
from the one transition table (transitions.TRANSITIONS) and the user's part in it. Staff of
another unit get a 404 (they learn nothing), non-staff a 403.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tongban.cases.views_staff import domain_errors, error_messages, staff_user
from tongban.core.errors import DomainError
from tongban.core.models import Role, User

from .actions import (
    is_responsible,
    rectification_appeal,
    rectification_close,
    rectification_follow_up,
    rectification_resolve,
    rectification_review_appeal,
)
from .enums import Level, RectificationState
from .forms import DESK_FORMS, REVIEW_ACTIONS, PeriodForm, ReviewForm, form_errors
from .metrics import in_period, rating_figures, rating_totals, satisfied_levels
from .models import Rectification
from .queries import overdue, overdue_first, unit_ids, unit_rectifications, visible_ratings
from .transitions import OPEN_STATES, TRANSITIONS

OVERDUE_SHOWN = 100
DEPARTMENT_ACTIONS = ("follow_up", "resolve", "appeal", "close")
STATE_FILTERS = [
    ("", "待办（未办结）"),
    ("overdue", "已逾期"),
    *RectificationState.choices,
    ("all", "全部"),
]
STATE_STYLE = {
    RectificationState.OPEN: "danger",
    RectificationState.FOLLOWED_UP: "warning",
    RectificationState.REPLIED: "info",
    RectificationState.APPEALED: "secondary",
    RectificationState.VOIDED: "light",
    RectificationState.CLOSED: "success",
}


def _desk_user(request: HttpRequest) -> User:
    """Approvers and clerks (their units) and supervisors (every unit)."""
    user = staff_user(request)
    if not unit_ids(user) and not user.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有被评价单位的审批、窗口人员和效能监督人员可以查看差评整改")
    return user


def is_late(rectification: Rectification, today: datetime.date) -> bool:
    return rectification.state in OPEN_STATES and rectification.due_on < today


@dataclass
class Row:
    rectification: Rectification
    late: bool
    style: str


def rows_of(rectifications: Any, today: datetime.date) -> list[Row]:
    return [
        Row(r, is_late(r, today), STATE_STYLE[RectificationState(r.state)]) for r in rectifications
    ]


# ---------------------------------------------------------------- the list


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """差评整改台账: the user's units' rectifications, late ones first, then by deadline."""
    user = _desk_user(request)
    today = timezone.localdate()
    chosen = request.GET.get("state", "")
    rectifications = unit_rectifications(user)
    if chosen == "overdue":
        rectifications = overdue(rectifications, today)
    elif chosen in RectificationState.values:
        rectifications = rectifications.filter(state=chosen)
    elif chosen != "all":
        chosen = ""
        rectifications = rectifications.filter(state__in=OPEN_STATES)
    page = Paginator(overdue_first(rectifications, today), 30).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": rows_of(page.object_list, today),
        "filters": STATE_FILTERS,
        "chosen": chosen,
        "supervisor": user.has_role(Role.SUPERVISOR),
        "today": today,
    }
    return render(request, "feedback/desk.html", context)


# ---------------------------------------------------------------- one rectification


@dataclass
class Panel:
    action: str
    label: str
    form: forms.Form
    errors: list[str]


def offered_actions(user: User, rectification: Rectification) -> list[str]:
    """The transitions allowed from the current state that this user takes part in: the
    unit's staff work it, a supervisor reviews appeals."""
    state = rectification.state
    names = []
    if is_responsible(user, rectification.department_id):
        names += [a for a in DEPARTMENT_ACTIONS if state in TRANSITIONS[a].sources]
    if user.has_role(Role.SUPERVISOR) and any(
        state in TRANSITIONS[a].sources for a in REVIEW_ACTIONS
    ):
        names.append("review_appeal")
    return names


ACTION_LABELS = {**{a: t.label for a, t in TRANSITIONS.items()}, "review_appeal": "申诉复核"}


def _panels(
    actions: list[str], failed: str, posted: QueryDict | None, errors: list[str]
) -> list[Panel]:
    panels = []
    for action in actions:
        form_class = DESK_FORMS[action]
        form = form_class(posted) if action == failed and posted is not None else form_class()
        panels.append(
            Panel(action, ACTION_LABELS[action], form, errors if action == failed else [])
        )
    return panels


def _visible(user: User, pk: int) -> Rectification:
    found = unit_rectifications(user).select_related("rating__rater").filter(pk=pk).first()
    if found is None:
        raise Http404("差评整改不存在")
    return found


def _render_detail(
    request: HttpRequest,
    user: User,
    rectification: Rectification,
    *,
    failed: str = "",
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    actions = offered_actions(user, rectification)
    posted = request.POST if request.method == "POST" else None
    orphans = errors if failed and failed not in actions else []
    rating = rectification.rating
    context = {
        "rectification": rectification,
        "rating": rating,
        "rater_name": "" if rating.anonymous else rating.rater.full_name,
        "late": is_late(rectification, today),
        "style": STATE_STYLE[RectificationState(rectification.state)],
        "panels": _panels(actions, failed, posted, errors or []),
        "orphan_errors": orphans,
        "supervisor": user.has_role(Role.SUPERVISOR),
    }
    return render(request, "feedback/desk_detail.html", context, status=status)


@login_required
@require_GET
def desk_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _desk_user(request)
    return _render_detail(request, user, _visible(user, pk))


def _perform(user: User, pk: int, action: str, data: dict[str, Any]) -> None:
    if action == "follow_up":
        rectification_follow_up(pk, user, method=data["method"], notes=data["notes"])
    elif action == "resolve":
        rectification_resolve(
            pk, user, finding=data["finding"], fix=data["fix"], reply=data["reply"]
        )
    elif action == "appeal":
        rectification_appeal(pk, user, reason=data["reason"])
    elif action == "close":
        rectification_close(pk, user)
    elif action == "review_appeal":
        rectification_review_appeal(pk, user, uphold=data["uphold"], decision=data["decision"])


DONE = {
    "follow_up": "已记录回访，请按核实情况整改并答复评价人。",
    "resolve": "已答复评价人。",
    "appeal": "已提交误评申诉，等待效能监督复核。",
    "close": "差评整改已办结。",
    "review_appeal": "复核意见已记录。",
}


@login_required
@require_POST
@domain_errors
def desk_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _desk_user(request)
    rectification = _visible(user, pk)
    if action not in DESK_FORMS:
        raise Http404("没有这个操作")
    form = DESK_FORMS[action](request.POST)
    if not form.is_valid():
        return _render_detail(
            request, user, rectification, failed=action, errors=form_errors(form), status=400
        )
    try:
        _perform(user, pk, action, form.cleaned_data)
    except DomainError as exc:
        if exc.status == 404:
            raise
        # Show the rectification as it is now (someone else may have moved it on).
        return _render_detail(
            request,
            user,
            _visible(user, pk),
            failed=action,
            errors=error_messages(exc),
            status=exc.status,
        )
    messages.success(request, DONE[action])
    if request.POST.get("back") == "supervise" and user.has_role(Role.SUPERVISOR):
        return redirect("feedback:supervise")
    return redirect("feedback:desk_detail", pk=pk)


# ---------------------------------------------------------------- the supervisor


@login_required
@require_GET
def supervise(request: HttpRequest) -> HttpResponse:
    """好差评 figures for a period, the late rectifications (escalated here), the appeals
    waiting for review."""
    user = staff_user(request)
    if not user.has_role(Role.SUPERVISOR):
        raise PermissionDenied("只有效能监督人员可以查看好差评统计")
    today = timezone.localdate()
    period = PeriodForm(request.GET or None)
    start = end = None
    if period.is_bound and period.is_valid():
        start, end = period.cleaned_data.get("start"), period.cleaned_data.get("end")
    ratings = in_period(visible_ratings(user), start, end)
    scope = unit_rectifications(user)
    context = {
        "period": period,
        "period_errors": form_errors(period) if period.is_bound else [],
        "start": start,
        "end": end,
        "totals": rating_totals(ratings),
        "groupings": [
            ("department", "按部门", rating_figures(ratings, "department")),
            ("item", "按事项", rating_figures(ratings, "item")),
            ("month", "按月份", rating_figures(ratings, "month")),
        ],
        "satisfied_labels": "、".join(
            str(Level(v).label) for v in sorted(satisfied_levels(), reverse=True)
        ),
        "overdue_rows": rows_of(
            overdue(scope, today).order_by("due_on", "pk")[:OVERDUE_SHOWN], today
        ),
        "overdue_count": overdue(scope, today).count(),
        "appeals": list(scope.filter(state=RectificationState.APPEALED).order_by("due_on", "pk")),
        "review_form": ReviewForm(),
        "today": today,
    }
    return render(request, "feedback/supervise.html", context)
