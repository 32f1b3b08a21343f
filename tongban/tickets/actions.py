"""12345 工单 use cases, one function each: intake (and 即时办结), dispatch, sign, reply,
return and reassign. Each locks the ticket, checks the transition table and the actor's
role, saves with update_fields and appends its audit event in the same transaction.
Oversight and closing (延期, 催办, 并单, 回访, 办结, 关联) are in `followup.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from tongban.cases.numbering import format_number, take_numbers
from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.fieldcrypto import lookup_digest
from tongban.core.identifiers import validate_phone
from tongban.core.models import Department, Role, User

from .deadlines import signed_late, ticket_due
from .dispatch import suggest_dispatch
from .enums import (
    CITIZEN_CHANNELS,
    CLERK_CHANNELS,
    HOTLINE_CHANNELS,
    ExtensionStatus,
    TicketChannel,
    TicketType,
)
from .models import Ticket
from .permissions import is_operator, require_role
from .transitions import check_transition

MIN_RETURN_REASON = 10  # characters: the operator must be able to judge the 退单 (派单异议审核)
MIN_REPLY = 5
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_BASIC_CODE = re.compile(r"^[0-9A-Z]{12}$")


def required(value: str | None, what: str, min_chars: int = 1) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("required", f"请填写{what}", 400)
    if len(value) < min_chars:
        raise DomainError("too_short", f"{what}至少{min_chars}个字", 400)
    return value


def lock(number: str) -> Ticket:
    found = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("lead_department")
        .filter(number=number)
        .first()
    )
    if found is None:
        raise DomainError("not_found", f"工单“{number}”不存在", 404)
    return found


def apply(
    ticket: Ticket,
    action: str,
    *,
    actor: User | None,
    role: str,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> Ticket:
    """Check `action` against the table, write `changes` (+ state), record the event."""
    transition = check_transition(action, ticket.state)
    before = ticket.state
    fields = list(changes or {})
    for name, value in (changes or {}).items():
        setattr(ticket, name, value)
    if transition.target is not None:
        ticket.state = transition.target
        fields.append("state")
    if fields:
        ticket.save(update_fields=fields)
    record_event(
        action=f"ticket.{action}",
        object_type="ticket",
        object_id=ticket.number,
        actor=actor,
        role=role,
        before={"state": before},
        after={"state": ticket.state, "label": transition.label, **(details or {})},
    )
    return ticket


# ---------------------------------------------------------------- intake


def _caller_phone(value: str) -> str:
    value = (value or "").strip()
    if _LANDLINE.match(value):  # 12345 callers ring from landlines too
        return value
    check = validate_phone(value)
    if not check.valid:
        raise DomainError(
            "invalid_phone", "请填写正确的联系电话（手机号码或带区号的固定电话）", 400
        )
    return check.normalized


def _intake_role(actor: User, channel: str) -> str:
    """Who may log a ticket over which channel (and so in which role)."""
    if channel not in TicketChannel.values:
        raise DomainError("invalid", f"不支持的受理渠道“{channel}”", 400)
    for role, channels in (
        (Role.HOTLINE, HOTLINE_CHANNELS),
        (Role.CLERK, CLERK_CHANNELS),
        (Role.CITIZEN, CITIZEN_CHANNELS),
        (Role.COMPANY, CITIZEN_CHANNELS),
    ):
        if actor.has_role(role) and channel in channels:
            return str(role)
    raise DomainError(
        "forbidden",
        "12345话务员受理热线、网站和移动端诉求，“办不成事”窗口人员受理窗口诉求，"
        "群众和企业可在网站或移动端提交诉求",
        403,
    )


def _account_for(id_number: str) -> User | None:
    """The caller's own account, found by ID number (which is not stored on the ticket)."""
    digest = lookup_digest(id_number or "")
    if not digest:
        return None
    return (
        User.objects.filter(
            id_number_digest=digest, role_assignments__role__in=(Role.CITIZEN, Role.COMPANY)
        )
        .distinct()
        .first()
    )


def ticket_create(
    actor: User,
    *,
    type: str,
    channel: str,
    title: str,
    content: str,
    caller_name: str = "",
    caller_phone: str = "",
    caller_id_number: str = "",
    item_code: str = "",
) -> Ticket:
    """受理: log a ticket; its handling limit runs from the day after receipt."""
    role = _intake_role(actor, channel)
    if type not in TicketType.values:
        raise DomainError("invalid", f"不支持的诉求类型“{type}”", 400)
    own = role in (Role.CITIZEN, Role.COMPANY)
    title = required(title, "标题")[:200]
    content = required(content, "诉求内容")
    caller_name = required(caller_name or (actor.full_name if own else ""), "来电人姓名")[:64]
    phone = _caller_phone(caller_phone or (actor.phone if own else ""))
    code = (item_code or "").strip().upper()
    if code and not _BASIC_CODE.match(code):
        raise DomainError("invalid", "事项基本编码应为12位数字或大写字母", 400)
    citizen = actor if own else _account_for(caller_id_number)
    now = timezone.now()
    day = timezone.localdate(now)
    due = ticket_due(type, day)
    with transaction.atomic():
        number = format_number("GD", day, take_numbers("ticket", day)[0])
        ticket = Ticket.objects.create(
            number=number,
            type=type,
            channel=channel,
            title=title,
            content=content,
            item_code=code,
            caller_name=caller_name,
            caller_phone=phone,
            citizen=citizen,
            received_at=now,
            received_by=None if own else actor,
            due_on=due.due,
            due_provisional=due.provisional,
        )
        record_event(
            action="ticket.create",
            object_type="ticket",
            object_id=number,
            actor=actor,
            role=role,
            after={
                "state": ticket.state,
                "label": "受理",
                "type": type,
                "channel": channel,
                "due_on": due.due.isoformat(),
                "due_provisional": due.provisional,
                "citizen_linked": citizen is not None,
            },
        )
    return ticket


@transaction.atomic
def ticket_answer(number: str, actor: User, *, reply: str) -> Ticket:
    """即时办结: the operator answers a 咨询 on the spot; no department is involved."""
    reply = required(reply, "答复内容", MIN_REPLY)
    ticket = lock(number)
    role = require_role(actor, ticket, "answer")
    if ticket.type != TicketType.CONSULT:
        raise DomainError("not_consult", "只有咨询类工单可以即时办结", 409)
    now = timezone.now()
    changes = {"reply": reply, "replied_at": now, "closed_at": now, "close_note": "即时办结"}
    return apply(
        ticket, "answer", actor=actor, role=role, changes=changes, details={"reply": reply}
    )


# ---------------------------------------------------------------- dispatch


def _departments(codes: Iterable[str]) -> list[Department]:
    wanted = sorted({c.strip() for c in codes if c and c.strip()})
    found = {d.code: d for d in Department.objects.filter(code__in=wanted, is_active=True)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise DomainError("unknown_department", f"部门“{'、'.join(missing)}”不存在或已停用", 400)
    return [found[c] for c in wanted]


def _send(
    ticket: Ticket,
    action: str,
    actor: User,
    *,
    lead: str | None,
    co: list[str] | None,
    extra: Mapping[str, Any] | None = None,
) -> Ticket:
    """派单 / 改派: to the operator's choice, or to the 派单目录's suggestion."""
    role = require_role(actor, ticket, action)
    check_transition(action, ticket.state)
    suggestion = suggest_dispatch(f"{ticket.title}\n{ticket.content}", ticket.item_code)
    if not (lead or "").strip():
        if suggestion is None:
            raise DomainError("no_suggestion", "派单目录中没有匹配的承办单位，请指定承办单位", 400)
        lead_department = suggestion.lead
        co_departments = suggestion.co if co is None else _departments(co)
    else:
        (lead_department,) = _departments([lead or ""])
        co_departments = _departments(co or [])
    if any(d.pk == lead_department.pk for d in co_departments):
        raise DomainError("invalid", "协办单位不能与承办单位相同", 400)
    overridden = suggestion is not None and (
        suggestion.lead.pk != lead_department.pk
        or {d.pk for d in suggestion.co} != {d.pk for d in co_departments}
    )
    changes = {"lead_department": lead_department, "dispatched_at": timezone.now()}
    changes["signed_at"] = None
    ticket = apply(
        ticket,
        action,
        actor=actor,
        role=role,
        changes=changes,
        details={
            **(extra or {}),
            "lead": lead_department.code,
            "lead_name": lead_department.name,
            "co": [d.code for d in co_departments],
            "suggested": suggestion.as_dict() if suggestion else None,
            "overridden": overridden,
        },
    )
    ticket.co_departments.set(co_departments)
    return ticket


@transaction.atomic
def ticket_dispatch(
    number: str, actor: User, *, lead: str | None = None, co: list[str] | None = None
) -> Ticket:
    """派单: lead (and co-) departments by code; without `lead`, the catalogue's suggestion
    (with `co` still overridable). The event records the suggestion and any override."""
    return _send(lock(number), "dispatch", actor, lead=lead, co=co)


@transaction.atomic
def ticket_reassign(
    number: str, actor: User, *, lead: str | None = None, co: list[str] | None = None
) -> Ticket:
    """改派: a returned ticket goes out again (the operator may also send it back to the
    unit that returned it when the return was unjustified — 派单异议审核)."""
    ticket = lock(number)
    returned_by = ticket.lead_department.code if ticket.lead_department else None
    return _send(ticket, "reassign", actor, lead=lead, co=co, extra={"from": returned_by})


# ---------------------------------------------------------------- the department's work


@transaction.atomic
def ticket_sign(number: str, actor: User) -> Ticket:
    """签收: the lead department accepts the ticket (late after the sign-off limit)."""
    ticket = lock(number)
    role = require_role(actor, ticket, "sign")
    ticket.signed_at = timezone.now()
    late = signed_late(ticket)
    return apply(
        ticket,
        "sign",
        actor=actor,
        role=role,
        changes={"signed_at": ticket.signed_at},
        details={
            "lead_name": ticket.lead_department.name if ticket.lead_department else "",
            "late": late,
        },
    )


@transaction.atomic
def ticket_reply(number: str, actor: User, *, reply: str) -> Ticket:
    """答复: the lead department's answer to the caller; on time if on or before due_on."""
    reply = required(reply, "答复内容", MIN_REPLY)
    ticket = lock(number)
    role = require_role(actor, ticket, "reply")
    now = timezone.now()
    return apply(
        ticket,
        "reply",
        actor=actor,
        role=role,
        changes={"reply": reply, "replied_at": now},
        details={
            "reply": reply,
            "lead_name": ticket.lead_department.name if ticket.lead_department else "",
            "on_time": timezone.localdate(now) <= ticket.due_on,
        },
    )


@transaction.atomic
def ticket_return(number: str, actor: User, *, reason: str) -> Ticket:
    """退单: not this unit's business — before or after 签收, with a reason the operator can
    judge. The due date keeps running (the caller has waited either way)."""
    reason = required(reason, "退单理由", MIN_RETURN_REASON)
    ticket = lock(number)
    role = require_role(actor, ticket, "return")
    changes: dict[str, Any] = {"return_reason": reason, "returned_at": timezone.now()}
    if ticket.extension_status == ExtensionStatus.PENDING:
        changes["extension_status"] = ExtensionStatus.NONE  # moot once the unit hands it back
    return apply(
        ticket,
        "return",
        actor=actor,
        role=role,
        changes=changes,
        details={
            "department": ticket.lead_department.code if ticket.lead_department else None,
            "reason": reason,
        },
    )


def ticket_view_personal_data(user: User, role: str, ticket: Ticket) -> None:
    """Record that a staff member opened the caller's full contact details."""
    record_event(
        action="ticket.view_personal_data",
        object_type="ticket",
        object_id=ticket.number,
        actor=user,
        role=role,
    )


def staff_role(user: User) -> str:
    """The role a staff member reads in (for the read event)."""
    if is_operator(user):
        return str(Role.HOTLINE)
    for role in (Role.SUPERVISOR, Role.APPROVER, Role.CLERK):
        if user.has_role(role):
            return str(role)
    return ""
