"""Reads: which tickets a user sees, the list filters, and a ticket's recorded history."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tongban.core.errors import DomainError
from tongban.core.models import AuditEvent, Role, User

from .enums import TicketState, TicketType
from .models import Ticket
from .permissions import unit_ids
from .transitions import OPEN_STATES


def visible_tickets(user: User) -> QuerySet[Ticket]:
    """The hotline and the supervisor see every ticket (one region per deployment, kept
    simple); department staff the tickets their unit currently leads or assists; the
    clerk who logged one at the window; the caller their own. A department that returned
    a ticket no longer sees it once it is reassigned elsewhere."""
    tickets = Ticket.objects.select_related(
        "lead_department", "received_by", "citizen", "merged_into"
    ).prefetch_related("co_departments")
    if user.has_role(Role.SUPERVISOR) or user.has_role(Role.HOTLINE):
        return tickets
    scope = Q(citizen=user) | Q(received_by=user)
    units = unit_ids(user)
    if units:
        # A subquery, not a join: the M2M join would repeat rows (and need DISTINCT).
        assisting = Ticket.co_departments.through.objects.filter(department_id__in=units).values(
            "ticket_id"
        )
        scope |= Q(lead_department_id__in=units) | Q(pk__in=assisting)
    return tickets.filter(scope)


def ticket_for(user: User, number: str) -> Ticket:
    """One ticket the user may see; 404 — not 403 — otherwise, so numbers do not leak."""
    found = visible_tickets(user).filter(number=number).first()
    if found is None:
        raise DomainError("not_found", f"工单“{number}”不存在", 404)
    return found


def overdue_filter(today: datetime.date) -> Q:
    """逾期: still open after the due date."""
    return Q(state__in=OPEN_STATES, due_on__lt=today)


def signoff_overdue_filter(now: datetime.datetime) -> Q:
    """签收超时: dispatched more than TONGBAN_TICKET_SIGNOFF_HOURS ago and not signed."""
    limit = datetime.timedelta(hours=settings.TONGBAN_TICKET_SIGNOFF_HOURS)
    return Q(state=TicketState.DISPATCHED, dispatched_at__lt=now - limit)


def filter_tickets(
    tickets: QuerySet[Ticket],
    user: User,
    *,
    today: datetime.date,
    state: str | None = None,
    type: str | None = None,
    department: str | None = None,
    overdue: bool = False,
    mine: bool = False,
    q: str | None = None,
) -> QuerySet[Ticket]:
    """The list filters of the API and the pages (all optional, combined with AND)."""
    if state:
        if state == "open":
            tickets = tickets.filter(state__in=OPEN_STATES)
        elif state in TicketState.values:
            tickets = tickets.filter(state=state)
        else:
            raise DomainError("bad_state", f"未知的工单状态“{state}”", 400)
    if type:
        if type not in TicketType.values:
            raise DomainError("bad_type", f"未知的诉求类型“{type}”", 400)
        tickets = tickets.filter(type=type)
    if department:
        tickets = tickets.filter(lead_department__code=department)
    if overdue:
        tickets = tickets.filter(overdue_filter(today))
    if mine:
        # The operator's own intake, the unit's own queue, the caller's own tickets.
        tickets = tickets.filter(
            Q(received_by=user) | Q(citizen=user) | Q(lead_department_id__in=unit_ids(user))
        )
    text = (q or "").strip()
    if text:
        tickets = tickets.filter(
            Q(number__icontains=text) | Q(title__icontains=text) | Q(content__icontains=text)
        )
    return tickets


# Reads recorded for accountability; not steps of the ticket.
NOT_IN_HISTORY = ("ticket.view_personal_data",)


def ticket_history(ticket: Ticket) -> list[AuditEvent]:
    """The ticket's audit events in the order they happened."""
    return list(
        AuditEvent.objects.filter(object_type="ticket", object_id=ticket.number)
        .exclude(action__in=NOT_IN_HISTORY)
        .order_by("occurred_at", "chain", "seq")
    )


def ticket_counts(tickets: QuerySet[Ticket], now: datetime.datetime) -> dict[str, int]:
    """The home-page figures of a set of tickets, in one aggregate query."""
    today = timezone.localdate(now)
    result: dict[str, int] = tickets.order_by().aggregate(
        received=Count("pk", filter=Q(state=TicketState.RECEIVED)),
        returned=Count("pk", filter=Q(state=TicketState.RETURNED)),
        dispatched=Count("pk", filter=Q(state=TicketState.DISPATCHED)),
        signed=Count("pk", filter=Q(state=TicketState.SIGNED)),
        to_follow_up=Count("pk", filter=Q(state=TicketState.REPLIED, followed_up_at__isnull=True)),
        to_close=Count("pk", filter=Q(state=TicketState.REPLIED)),
        overdue=Count("pk", filter=overdue_filter(today)),
        signoff_overdue=Count("pk", filter=signoff_overdue_filter(now)),
    )
    return result
