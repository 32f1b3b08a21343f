"""12345 工单 use cases after dispatch: 延期 (request, review), 催办, 并单, 回访 (and 重办),
办结, and linking applications and cases. Same pattern as `actions.py`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tongban.cases.models import Application, Case
from tongban.cases.permissions import visible_cases
from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.models import Role, User

from .actions import apply, lock, required
from .deadlines import extended_due, may_remind, ticket_due
from .enums import ExtensionStatus, Satisfaction, TicketState
from .models import Ticket
from .permissions import require_role
from .transitions import check_transition

MAX_EXTENSION_DAYS = 30  # working days; a longer problem needs a new ticket or a 督办
MIN_EXTENSION_REASON = 5


@transaction.atomic
def ticket_request_extension(number: str, actor: User, *, days: int, reason: str) -> Ticket:
    """申请延期: only while signed and before the due date has passed (domain-china.md §5:
    "extension must be requested before expiry with reason"); one request pending at a time."""
    if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= MAX_EXTENSION_DAYS:
        raise DomainError("invalid", f"延期天数须为1至{MAX_EXTENSION_DAYS}个工作日", 400)
    reason = required(reason, "延期理由", MIN_EXTENSION_REASON)
    ticket = lock(number)
    role = require_role(actor, ticket, "request_extension")
    check_transition("request_extension", ticket.state)
    today = timezone.localdate()
    if today > ticket.due_on:
        raise DomainError(
            "expired",
            f"工单已超过办理期限（{ticket.due_on:%Y年%m月%d日}），不能再申请延期",
            409,
        )
    if ticket.extension_status == ExtensionStatus.PENDING:
        raise DomainError("pending", "已有待审核的延期申请", 409)
    changes = {
        "extension_status": ExtensionStatus.PENDING,
        "extension_days": days,
        "extension_reason": reason,
        "extension_requested_at": timezone.now(),
        "extension_decided_by": None,
        "extension_decided_at": None,
        "extension_note": "",
    }
    details = {"days": days, "reason": reason}
    return apply(
        ticket, "request_extension", actor=actor, role=role, changes=changes, details=details
    )


@transaction.atomic
def ticket_review_extension(number: str, actor: User, *, approve: bool, note: str = "") -> Ticket:
    """审核延期: approval moves the due date by the extra working days counted from the old
    due date; a refusal must say why."""
    ticket = lock(number)
    role = require_role(actor, ticket, "review_extension")
    check_transition("review_extension", ticket.state)
    if ticket.extension_status != ExtensionStatus.PENDING:
        raise DomainError("no_request", "没有待审核的延期申请", 409)
    note = (note or "").strip() if approve else required(note, "不同意延期的理由")
    changes: dict[str, Any] = {
        "extension_status": ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED,
        "extension_decided_by": actor,
        "extension_decided_at": timezone.now(),
        "extension_note": note,
    }
    details: dict[str, Any] = {"approved": approve, "days": ticket.extension_days}
    if approve:
        due = extended_due(ticket.due_on, ticket.extension_days or 0)
        details["old_due_on"] = ticket.due_on.isoformat()
        details["due_on"] = due.due.isoformat()
        changes["due_on"] = due.due
        changes["due_provisional"] = ticket.due_provisional or due.provisional
    return apply(
        ticket, "review_extension", actor=actor, role=role, changes=changes, details=details
    )


@transaction.atomic
def ticket_remind(number: str, actor: User, *, note: str = "") -> Ticket:
    """催办: on expiry (from the due date on) or once 签收 is late — not before."""
    ticket = lock(number)
    role = require_role(actor, ticket, "remind")
    check_transition("remind", ticket.state)
    now = timezone.now()
    if not may_remind(ticket, timezone.localdate(now), now):
        raise DomainError(
            "not_due",
            f"工单办理期限为{ticket.due_on:%Y年%m月%d日}，到期（或签收超时）后方可催办",
            409,
        )
    changes = {"remind_count": ticket.remind_count + 1, "last_reminded_at": now}
    details = {"count": ticket.remind_count + 1, "note": (note or "").strip()}
    return apply(ticket, "remind", actor=actor, role=role, changes=changes, details=details)


@transaction.atomic
def ticket_merge(number: str, actor: User, *, into: str) -> Ticket:
    """并单: a duplicate is merged into a master ticket and ends there. Only open tickets
    merge, and never into a merged or closed one — which also makes a cycle impossible
    (a master that was itself merged away is refused); the chain is checked anyway."""
    if number == into:
        raise DomainError("invalid", "不能将工单并入自身", 400)
    # Lock both rows in a fixed order so two opposite merges cannot deadlock.
    locked = {n: lock(n) for n in sorted((number, into))}
    duplicate, master = locked[number], locked[into]
    role = require_role(actor, duplicate, "merge")
    check_transition("merge", duplicate.state)
    if master.state == TicketState.MERGED:
        target = master.merged_into.number if master.merged_into else ""
        raise DomainError("merged", f"目标工单已并入{target}，请并入主工单", 409)
    if master.state == TicketState.CLOSED:
        raise DomainError("closed", "目标工单已办结，不能并入", 409)
    seen, step = {master.pk}, master.merged_into
    while step is not None:  # defensive: the state rule above already prevents this
        if step.pk == duplicate.pk or step.pk in seen:
            raise DomainError("cycle", "并单会形成循环", 409)
        seen.add(step.pk)
        step = step.merged_into
    ticket = apply(
        duplicate,
        "merge",
        actor=actor,
        role=role,
        changes={"merged_into": master},
        details={"into": master.number},
    )
    record_event(
        action="ticket.absorb",
        object_type="ticket",
        object_id=master.number,
        actor=actor,
        role=role,
        after={"state": master.state, "label": "并入重复工单", "duplicate": duplicate.number},
    )
    return ticket


@transaction.atomic
def ticket_follow_up(
    number: str, actor: User, *, satisfaction: str, notes: str, redo: bool = False
) -> Ticket:
    """回访: the operator calls the caller after the reply. 不满意 may send the ticket back
    to the same department (重办, `redo`): state 已签收 again, a fresh limit from the day
    after the call, and the old reply and follow-up kept only in the audit trail."""
    if satisfaction not in Satisfaction.values:
        raise DomainError("invalid", f"不支持的满意度“{satisfaction}”", 400)
    notes = required(notes, "回访记录")
    if redo and satisfaction != Satisfaction.DISSATISFIED:
        raise DomainError("invalid", "只有回访不满意时才能退回重办", 400)
    ticket = lock(number)
    role = require_role(actor, ticket, "follow_up")
    check_transition("follow_up", ticket.state)
    if ticket.followed_up_at is not None:
        raise DomainError("done", "本次答复已回访", 409)
    details = {"satisfaction": satisfaction, "notes": notes}
    if not redo:
        changes = {
            "satisfaction": satisfaction,
            "follow_up_notes": notes,
            "followed_up_at": timezone.now(),
        }
        return apply(ticket, "follow_up", actor=actor, role=role, changes=changes, details=details)
    due = ticket_due(ticket.type, timezone.localdate())
    changes_redo: dict[str, Any] = {
        "redo_count": ticket.redo_count + 1,
        "due_on": due.due,
        "due_provisional": due.provisional,
        "reply": "",
        "replied_at": None,
        "satisfaction": "",
        "follow_up_notes": "",
        "followed_up_at": None,
        "extension_status": ExtensionStatus.NONE,
    }
    details["due_on"] = due.due.isoformat()
    details["lead_name"] = ticket.lead_department.name if ticket.lead_department else ""
    return apply(ticket, "redo", actor=actor, role=role, changes=changes_redo, details=details)


@transaction.atomic
def ticket_close(number: str, actor: User, *, unreachable: bool = False, note: str = "") -> Ticket:
    """办结: after the follow-up call; or, when the caller cannot be reached, with a note of
    what was tried (the ticket then has no satisfaction and is not counted as 回访)."""
    ticket = lock(number)
    role = require_role(actor, ticket, "close")
    check_transition("close", ticket.state)
    check = ticket.state == TicketState.REPLIED and ticket.followed_up_at is None
    if check and not unreachable:
        raise DomainError("not_followed_up", "请先回访来电人；无法联系的，请注明后办结", 409)
    note = required(note, "无法联系的情况说明") if check else (note or "").strip()
    changes = {"closed_at": timezone.now(), "close_note": note}
    details = {"unreachable": bool(check), "note": note}
    return apply(ticket, "close", actor=actor, role=role, changes=changes, details=details)


@transaction.atomic
def ticket_link(
    number: str,
    actor: User,
    *,
    applications: list[str] | None = None,
    cases: list[str] | None = None,
) -> Ticket:
    """关联: attach applications and cases by number — only ones the actor may see, or,
    for the operator, the caller's own (an unseen number answers 404 like a missing one,
    so numbers do not leak)."""
    app_numbers = sorted({n.strip() for n in applications or [] if n and n.strip()})
    case_numbers = sorted({n.strip() for n in cases or [] if n and n.strip()})
    if not app_numbers and not case_numbers:
        raise DomainError("required", "请填写要关联的申请编号或办件编号", 400)
    ticket = lock(number)
    role = require_role(actor, ticket, "link")
    seen = Q(pk__in=visible_cases(actor).values("pk"))
    seen_apps = Q(applicant_user=actor) | Q(created_by=actor)
    seen_apps |= Q(pk__in=visible_cases(actor).values("application_id"))
    if ticket.citizen_id is not None and role == Role.HOTLINE:
        # The operator sees no cases of their own, but may link the caller's.
        seen |= Q(applicant_user_id=ticket.citizen_id) | Q(
            application__created_by_id=ticket.citizen_id
        )
        seen_apps |= Q(applicant_user_id=ticket.citizen_id) | Q(created_by_id=ticket.citizen_id)
    found_cases = list(Case.objects.filter(case_no__in=case_numbers).filter(seen))
    found_apps = list(Application.objects.filter(number__in=app_numbers).filter(seen_apps))
    missing = sorted(set(app_numbers) - {a.number for a in found_apps if a.number}) + sorted(
        set(case_numbers) - {c.case_no for c in found_cases}
    )
    if missing:
        raise DomainError("not_found", f"申请或办件“{'、'.join(missing)}”不存在", 404)
    ticket = apply(
        ticket,
        "link",
        actor=actor,
        role=role,
        details={"applications": app_numbers, "cases": case_numbers},
    )
    ticket.applications.add(*found_apps)
    ticket.cases.add(*found_cases)
    return ticket
