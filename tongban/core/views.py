"""Login landing, role home pages and the due-date calculator widget."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import workcalendar
from .identifiers import mask_identifier, mask_phone
from .models import (
    AuditChainHead,
    AuditEvent,
    CalendarYear,
    Department,
    Region,
    Role,
    RoleAssignment,
    User,
)
from .roles import primary_role


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = primary_role(_user(request))
    if role is None:
        return render(request, "core/home_no_role.html", status=403)
    return redirect("role_home", role=role)


def _departments_of(user: User, role: str) -> list[Department]:
    assignments = user.assignments_by_role().get(role, [])
    return [a.department for a in assignments if a.department is not None]


def _regions_of(user: User, role: str) -> list[Region]:
    return [a.region for a in user.assignments_by_role().get(role, []) if a.region is not None]


def _people_context(user: User, role: str) -> dict[str, Any]:
    from tongban.cases.views_citizen import latest_applications
    from tongban.feedback.invitations import open_invitations

    return {
        "masked_id_number": mask_identifier(user.id_number) if user.id_number else "",
        "masked_phone": mask_phone(user.phone) if user.phone else "",
        "applications": latest_applications(user),
        "invitations": list(open_invitations(user.pk)[:5]),
    }


def _staff_context(user: User, role: str) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "departments": _departments_of(user, role),
        "regions": _regions_of(user, role),
        "today": today,
        "today_is_workday": workcalendar.is_working_day(today),
    }


def _catalog_admin_context(user: User, role: str) -> dict[str, Any]:
    context = _staff_context(user, role)
    context["all_departments"] = Department.objects.select_related("region").order_by(
        "region_id", "name"
    )
    return context


def _supervisor_context(user: User, role: str) -> dict[str, Any]:
    context = _staff_context(user, role)
    context["recent_events"] = AuditEvent.objects.order_by("-occurred_at", "-seq")[:15]
    return context


def _sysadmin_context(user: User, role: str) -> dict[str, Any]:
    today = timezone.localdate()
    context = _staff_context(user, role)
    context.update(
        {
            "calendar_years": list(CalendarYear.objects.order_by("-year")[:5]),
            "missing_year": workcalendar.missing_upcoming_year(today),
            "role_counts": [
                {"label": Role(row["role"]).label, "count": row["count"]}
                for row in RoleAssignment.objects.values("role")
                .annotate(count=Count("id"))
                .order_by("role")
            ],
            "department_count": Department.objects.count(),
            "audit_heads": list(AuditChainHead.objects.order_by("chain")),
        }
    )
    return context


def _with_case_counts(
    base: Callable[[User, str], dict[str, Any]],
) -> Callable[[User, str], dict[str, Any]]:
    """A staff home context plus the workbench figures (queue size, 黄牌/红牌 counts)."""

    def context(user: User, role: str) -> dict[str, Any]:
        from tongban.cases.views_queue import home_counts

        values = base(user, role)
        values["case_counts"] = home_counts(user, role)
        return values

    return context


def _with_rectifications(
    base: Callable[[User, str], dict[str, Any]],
) -> Callable[[User, str], dict[str, Any]]:
    """A unit's home plus its open 差评整改 (and how many are late): one query."""

    def context(user: User, role: str) -> dict[str, Any]:
        from tongban.feedback.queries import open_rectification_counts

        values = base(user, role)
        units = [d.pk for d in _departments_of(user, role)]
        values["rectification_counts"] = open_rectification_counts(units, timezone.localdate())
        return values

    return context


def _with_rating_figures(
    base: Callable[[User, str], dict[str, Any]],
) -> Callable[[User, str], dict[str, Any]]:
    """The supervisor's 好差评 figures of the current year and the late rectifications:
    two aggregate queries."""

    def context(user: User, role: str) -> dict[str, Any]:
        from tongban.feedback.metrics import in_period, rating_totals
        from tongban.feedback.models import Rating, Rectification
        from tongban.feedback.queries import overdue

        values = base(user, role)
        today = timezone.localdate()
        year = in_period(Rating.objects.all(), datetime.date(today.year, 1, 1), today)
        values["rating_year"] = today.year
        values["rating_totals"] = rating_totals(year)
        values["overdue_rectifications"] = overdue(Rectification.objects.all(), today).count()
        return values

    return context


def _with_tickets(
    base: Callable[[User, str], dict[str, Any]],
) -> Callable[[User, str], dict[str, Any]]:
    """A home plus its 12345 工单 figures, in one aggregate query: every ticket for the
    hotline and the supervisor, the unit's (as lead) for approvers and clerks."""

    def context(user: User, role: str) -> dict[str, Any]:
        from tongban.tickets.models import Ticket
        from tongban.tickets.queries import ticket_counts

        values = base(user, role)
        tickets = Ticket.objects.all()
        if role in (Role.APPROVER, Role.CLERK):
            units = [d.pk for d in _departments_of(user, role)]
            tickets = tickets.filter(lead_department_id__in=units)
        values["ticket_counts"] = ticket_counts(tickets, timezone.now())
        return values

    return context


HOME_CONTEXT: dict[str, Callable[[User, str], dict[str, Any]]] = {
    Role.CITIZEN: _people_context,
    Role.COMPANY: _people_context,
    Role.CLERK: _with_tickets(_with_rectifications(_with_case_counts(_staff_context))),
    Role.APPROVER: _with_tickets(_with_rectifications(_with_case_counts(_staff_context))),
    Role.CATALOG_ADMIN: _catalog_admin_context,
    Role.SUPERVISOR: _with_tickets(_with_rating_figures(_with_case_counts(_supervisor_context))),
    Role.HOTLINE: _with_tickets(_staff_context),
    Role.SYSADMIN: _sysadmin_context,
}


@login_required
def role_home(request: HttpRequest, role: str) -> HttpResponse:
    user = _user(request)
    if role not in HOME_CONTEXT or not user.has_role(role):
        raise PermissionDenied("您没有该角色的权限")
    context = HOME_CONTEXT[role](user, role)
    context["role"] = role
    context["role_label"] = Role(role).label
    return render(request, f"core/home_{role}.html", context)


@login_required
@require_GET
def due_date_widget(request: HttpRequest) -> HttpResponse:
    """htmx fragment: the due date for a start date and a number of working or natural days."""
    error = ""
    result = None
    try:
        start = datetime.date.fromisoformat(request.GET.get("start", ""))
        days = int(request.GET.get("days", ""))
        result = workcalendar.due_date(start, days, request.GET.get("unit", "workday"))
    except ValueError:
        error = f"请填写有效的起算日期和0至{workcalendar.MAX_DAYS}之间的天数"
    return render(request, "core/partials/due_date.html", {"result": result, "error": error})
