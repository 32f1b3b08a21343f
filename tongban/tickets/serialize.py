"""JSON shapes of tickets (API, and reusable by the pages). The caller's phone is masked
except for those who must call back (the operator, the clerk who logged it, the lead
department) and the caller; staff-only notes (退单理由, 回访记录, 延期理由) never reach the
public; the citizen's progress names departments, never staff accounts."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from tongban.core.identifiers import mask_phone
from tongban.core.models import STAFF_ROLES, AuditEvent, User

from .deadlines import is_overdue, signed_late, signoff_deadline, signoff_overdue
from .enums import Satisfaction, TicketState
from .models import Ticket
from .permissions import available_actions, is_lead_staff, is_operator
from .queries import ticket_history

STAFF_ONLY = (
    "return_reason",
    "follow_up_notes",
    "extension_reason",
    "extension_note",
    "remind_count",
    "close_note",
    "received_by",
)


def _at(value: datetime.datetime | datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def is_staff(user: User) -> bool:
    return bool(user.role_codes() & STAFF_ROLES)


def may_see_phone(user: User, ticket: Ticket) -> bool:
    """Those who have to call the caller back, and the caller."""
    return (
        ticket.citizen_id == user.pk
        or is_operator(user)
        or (ticket.received_by_id is not None and ticket.received_by_id == user.pk)
        or is_lead_staff(user, ticket)
    )


def ticket_dict(
    ticket: Ticket,
    viewer: User,
    *,
    now: datetime.datetime | None = None,
    detail: bool = False,
) -> dict[str, Any]:
    """One ticket for `viewer`. In lists (`detail=False`) the phone is always masked; the
    detail adds links and the viewer's available actions."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    lead = ticket.lead_department
    data: dict[str, Any] = {
        "number": ticket.number,
        "type": ticket.type,
        "type_label": ticket.get_type_display(),
        "channel": ticket.channel,
        "channel_label": ticket.get_channel_display(),
        "title": ticket.title,
        "content": ticket.content,
        "item_code": ticket.item_code,
        "caller_name": ticket.caller_name,
        "caller_phone": (
            ticket.caller_phone
            if detail and may_see_phone(viewer, ticket)
            else mask_phone(ticket.caller_phone)
        ),
        "has_account": ticket.citizen_id is not None,
        "received_at": _at(ticket.received_at),
        "received_by": ticket.received_by.full_name if ticket.received_by else "",
        "state": ticket.state,
        "state_label": TicketState(ticket.state).label,
        "due_on": _at(ticket.due_on),
        "due_provisional": ticket.due_provisional,
        "overdue": is_overdue(ticket, today),
        "lead_department": lead.code if lead else None,
        "lead_department_name": lead.name if lead else "",
        "co_departments": [
            {"code": d.code, "name": d.name}
            for d in sorted(ticket.co_departments.all(), key=lambda d: d.code)
        ],
        "dispatched_at": _at(ticket.dispatched_at),
        "signoff_due_at": _at(signoff_deadline(ticket.dispatched_at))
        if ticket.dispatched_at and ticket.state == TicketState.DISPATCHED
        else None,
        "signoff_overdue": signoff_overdue(ticket, now),
        "signed_at": _at(ticket.signed_at),
        "signed_late": signed_late(ticket),
        "reply": ticket.reply,
        "replied_at": _at(ticket.replied_at),
        "return_reason": ticket.return_reason,
        "extension_status": ticket.extension_status,
        "extension_status_label": ticket.get_extension_status_display(),
        "extension_days": ticket.extension_days,
        "extension_reason": ticket.extension_reason,
        "extension_note": ticket.extension_note,
        "remind_count": ticket.remind_count,
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "satisfaction": ticket.satisfaction,
        "satisfaction_label": ticket.get_satisfaction_display() if ticket.satisfaction else "",
        "follow_up_notes": ticket.follow_up_notes,
        "followed_up_at": _at(ticket.followed_up_at),
        "redo_count": ticket.redo_count,
        "closed_at": _at(ticket.closed_at),
        "close_note": ticket.close_note,
    }
    if detail:
        data["applications"] = sorted(a.number for a in ticket.applications.all() if a.number)
        data["cases"] = sorted(c.case_no for c in ticket.cases.all())
        data["actions"] = available_actions(ticket, viewer, now)
    if not is_staff(viewer):
        for key in STAFF_ONLY:
            data.pop(key, None)
    return data


# ---------------------------------------------------------------- the citizen's progress

HOTLINE = "12345热线"


def _public_step(event: AuditEvent) -> dict[str, Any] | None:
    """What the caller is told about one event, or None for internal steps (催办, 延期
    requests and refusals, 退单 reasons, links, who looked at what)."""
    after = event.after or {}
    action = event.action.removeprefix("ticket.")
    lead = after.get("lead_name") or ""
    text: str
    if action == "create":
        text = f"您的诉求已受理，请在{after.get('due_on', '')}前留意答复"
    elif action == "answer":
        text = f"已当场答复：{after.get('reply', '')}"
    elif action in ("dispatch", "reassign"):
        text = f"已转交{lead}办理"
    elif action == "sign":
        text = f"{lead}已签收，正在办理"
    elif action == "return":
        text = "正在重新确定承办单位"
    elif action == "reply":
        text = f"{lead}已答复：{after.get('reply', '')}"
    elif action == "review_extension" and after.get("approved"):
        text = f"办理期限延长至{after.get('due_on', '')}"
    elif action == "merge":
        text = f"与相同诉求的工单{after.get('into', '')}合并办理"
    elif action == "follow_up":
        text = f"已回访，您的评价：{Satisfaction(after['satisfaction']).label}"
    elif action == "redo":
        text = f"根据您的回访意见，已退回{lead}重新办理"
    elif action == "close":
        text = "已办结"
    else:
        return None
    return {
        "at": event.occurred_at.isoformat(),
        "state": after.get("state"),
        "state_label": TicketState(after["state"]).label if after.get("state") else "",
        "text": text,
        "by": lead if action in ("sign", "reply") else HOTLINE,
    }


def citizen_progress(ticket: Ticket) -> dict[str, Any]:
    """The caller's view: state, due date, the reply, and the public steps in order. A
    merged ticket also shows where its master stands (the reply comes from there)."""
    steps = [s for s in (_public_step(e) for e in ticket_history(ticket)) if s is not None]
    data: dict[str, Any] = {
        "number": ticket.number,
        "title": ticket.title,
        "type_label": ticket.get_type_display(),
        "state": ticket.state,
        "state_label": TicketState(ticket.state).label,
        "due_on": _at(ticket.due_on),
        "reply": ticket.reply,
        "steps": steps,
        "master": None,
    }
    master = ticket.merged_into
    if master is not None:
        data["master"] = {
            "number": master.number,
            "state_label": TicketState(master.state).label,
            "reply": master.reply,
        }
    return data
