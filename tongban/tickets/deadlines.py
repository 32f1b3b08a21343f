"""Ticket clocks: the handling limit per type (working days from the day after receipt),
the sign-off limit (clock hours from dispatch), 催办 and extensions.

`add_working_days(start, n)` does not count `start` and begins on the next day, so
passing the day of receipt gives exactly "n working days from the day after receipt"
(收到工单的次日起算, domain-china.md §5); n = 0 gives the day of receipt itself (应急).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tongban.core.workcalendar import DueDate, add_working_days

from .enums import TicketState, TicketType
from .models import Ticket
from .transitions import OPEN_STATES


def handling_limit(ticket_type: str) -> int:
    """Working days for a ticket type (TONGBAN_TICKET_LIMITS)."""
    limits: dict[str, int] = settings.TONGBAN_TICKET_LIMITS
    days = limits.get(ticket_type)
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        # A deployment typo must not give tickets a silent default deadline.
        raise ImproperlyConfigured(
            f"TONGBAN_TICKET_LIMITS needs a non-negative integer for {ticket_type!r}"
        )
    return days


def ticket_due(ticket_type: str, received_on: datetime.date) -> DueDate:
    """The due date of a ticket received on `received_on`."""
    TicketType(ticket_type)  # ValueError for an unknown type, before any arithmetic
    return add_working_days(received_on, handling_limit(ticket_type))


def extended_due(old_due: datetime.date, days: int) -> DueDate:
    """An approved extension adds working days counted from the old due date."""
    return add_working_days(old_due, days)


def signoff_deadline(dispatched_at: datetime.datetime) -> datetime.datetime:
    return dispatched_at + datetime.timedelta(hours=settings.TONGBAN_TICKET_SIGNOFF_HOURS)


def signoff_overdue(ticket: Ticket, now: datetime.datetime) -> bool:
    """签收超时: dispatched, not signed, and the sign-off limit has passed."""
    return (
        ticket.state == TicketState.DISPATCHED
        and ticket.dispatched_at is not None
        and now > signoff_deadline(ticket.dispatched_at)
    )


def signed_late(ticket: Ticket) -> bool:
    """Signed, but after the sign-off limit (kept for the unit's record)."""
    return (
        ticket.signed_at is not None
        and ticket.dispatched_at is not None
        and ticket.signed_at > signoff_deadline(ticket.dispatched_at)
    )


def is_overdue(ticket: Ticket, today: datetime.date) -> bool:
    """逾期: still open after its due date."""
    return ticket.state in OPEN_STATES and ticket.due_on < today


def may_remind(ticket: Ticket, today: datetime.date, now: datetime.datetime) -> bool:
    """催办 on expiry (domain-china.md §5): from the due date on, or once sign-off is late."""
    return ticket.due_on <= today or signoff_overdue(ticket, now)
