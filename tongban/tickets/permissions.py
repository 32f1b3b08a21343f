"""Who may do what to a ticket. The 12345 operator (话务员) runs the loop — intake,
dispatch, 改派, 并单, 回访, 办结; the lead department's staff sign, reply, return and
ask for more time; the supervisor (效能监督) and the operator review extensions and 催办.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from tongban.core.errors import DomainError
from tongban.core.models import Role, User
from tongban.core.roles import unit_ids

from .deadlines import may_remind
from .enums import ExtensionStatus, TicketType
from .models import Ticket
from .transitions import TRANSITIONS

OPERATOR_ACTIONS = frozenset({"answer", "dispatch", "reassign", "merge", "follow_up", "close"})
DEPARTMENT_ACTIONS = frozenset({"sign", "reply", "return", "request_extension"})
OVERSIGHT_ACTIONS = frozenset({"review_extension", "remind"})  # operator or supervisor
LINK_ACTIONS = frozenset({"link"})  # operator or the lead department


def is_operator(user: User) -> bool:
    return user.has_role(Role.HOTLINE)


def is_supervisor(user: User) -> bool:
    return user.has_role(Role.SUPERVISOR)


def is_lead_staff(user: User, ticket: Ticket) -> bool:
    return ticket.lead_department_id is not None and ticket.lead_department_id in unit_ids(user)


def acting_role(user: User, ticket: Ticket, action: str) -> str | None:
    """The role in which `user` may perform `action` on `ticket`, or None."""
    if action in OPERATOR_ACTIONS:
        return str(Role.HOTLINE) if is_operator(user) else None
    if action in DEPARTMENT_ACTIONS:
        if not is_lead_staff(user, ticket):
            return None
        return str(Role.APPROVER if user.has_role(Role.APPROVER) else Role.CLERK)
    if action in OVERSIGHT_ACTIONS:
        if is_operator(user):
            return str(Role.HOTLINE)
        return str(Role.SUPERVISOR) if is_supervisor(user) else None
    if action in LINK_ACTIONS:
        if is_operator(user):
            return str(Role.HOTLINE)
        return acting_role(user, ticket, "sign")
    return None


FORBIDDEN = {
    "operator": "只有12345话务员可以{label}",
    "department": "只有承办单位可以{label}",
    "oversight": "只有12345话务员或效能监督人员可以{label}",
    "link": "只有12345话务员或承办单位可以{label}",
}


def require_role(user: User, ticket: Ticket, action: str) -> str:
    role = acting_role(user, ticket, action)
    if role is None:
        if action in OPERATOR_ACTIONS:
            kind = "operator"
        elif action in DEPARTMENT_ACTIONS:
            kind = "department"
        elif action in OVERSIGHT_ACTIONS:
            kind = "oversight"
        else:
            kind = "link"
        label = TRANSITIONS[action].label
        raise DomainError("forbidden", FORBIDDEN[kind].format(label=label), 403)
    return role


def available_actions(
    ticket: Ticket, user: User, now: datetime.datetime | None = None
) -> list[str]:
    """The actions `user` may take on `ticket` now (the buttons a page shows). The action
    functions check the same rules again; this only saves a click that would fail."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    allowed = []
    for action, transition in TRANSITIONS.items():
        if action == "redo":  # reached through 回访 (follow_up with redo)
            continue
        if ticket.state not in transition.sources or acting_role(user, ticket, action) is None:
            continue
        if action == "answer" and ticket.type != TicketType.CONSULT:
            continue
        if action == "request_extension" and (
            ticket.extension_status == ExtensionStatus.PENDING or today > ticket.due_on
        ):
            continue
        if action == "review_extension" and ticket.extension_status != ExtensionStatus.PENDING:
            continue
        if action == "remind" and not may_remind(ticket, today, now):
            continue
        if action == "follow_up" and ticket.followed_up_at is not None:
            continue
        allowed.append(action)
    return allowed
