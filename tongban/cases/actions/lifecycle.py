"""Case transitions: one function per action, each atomic, locked and audited.

Every function locks the case row (select_for_update), checks the transition table, writes the
changed fields with update_fields and appends the audit event in the same transaction. Two
people acting on one case at once: the second waits for the lock, then finds the state
changed and gets the 409 of the transition table — never a silent double change.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from tongban.catalog.enums import ApprovalMode, CaseKind
from tongban.catalog.spec import ItemSpec, Limit
from tongban.catalog.store import pinned_item_specs
from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.models import User
from tongban.core.workcalendar import current_calendar

from ..clock import (
    DecisionTiming,
    decision_timing,
    due_after_pauses,
    pause_between,
    start_clocks,
)
from ..enums import (
    DECIDED_STATES,
    NATIONAL_STATE,
    CaseState,
    DecisionBy,
    DeliveryMethod,
    NoticeKind,
    Provision,
    SpecialKind,
)
from ..inputs import MaterialChoice
from ..materials import blocks_acceptance
from ..models import ApplicationMaterial, Case, SpecialProcedure, SupplementRequest
from ..notices import issue_notice
from ..transitions import IllegalTransition, check_transition
from .proxy import proxy_details

SYSTEM_ROLE = "system"
# Step names that are the acceptance itself, not a review step after it.
ACCEPTANCE_STEPS = frozenset({"申请", "受理", "接件", "收件", "网上报名", "网上申请", "申报"})


def review_steps(item: ItemSpec) -> list[str]:
    """The review steps after acceptance (承办 → 审核 → 批准 …); the last one decides."""
    names = [step.name for step in item.steps]
    while names and names[0] in ACCEPTANCE_STEPS:
        names.pop(0)
    return names


def item_of(case: Case) -> ItemSpec:
    return pinned_item_specs([case.item_version_id])[case.item_version_id]


def lock_case(case_no: str) -> Case:
    try:
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related("department", "application")
            .get(case_no=case_no)
        )
    except Case.DoesNotExist:
        raise DomainError("not_found", f"办件“{case_no}”不存在", 404) from None


def _required_text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("reason_required", f"请填写{what}", 400)
    return value


def apply_transition(
    case: Case,
    action: str,
    *,
    actor: User | None,
    role: str,
    changes: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> Case:
    """Move a locked case along the table, save the changed fields, append the event."""
    transition = check_transition(action, case.state)
    before = {"state": case.state, "step": case.step_index}
    case.state = transition.target
    fields = ["state", "updated_at"]
    for name, value in (changes or {}).items():
        setattr(case, name, value)
        fields.append(name)
    case.save(update_fields=fields)
    timing = (
        _decision_timing(case) if case.state in DECIDED_STATES and action != "deliver" else None
    )
    record_event(
        action=f"case.{action}",
        object_type="case",
        object_id=case.case_no,
        actor=actor,
        role=role,
        before=before,
        after={
            "state": case.state,
            "step": case.step_index,
            "label": transition.label,
            "national_state": NATIONAL_STATE[CaseState(case.state)],
            **{k: _json(v) for k, v in (details or {}).items()},
            **(timing.as_details() if timing else {}),
            **proxy_details(case.application),
        },
    )
    return case


def _decision_timing(case: Case) -> DecisionTiming | None:
    """The decision's measures for the statistics (stats/fold.py reads them from the event)."""
    return decision_timing(
        case.accepted_on,
        case.promised_due,
        case.statutory_due,
        case.paused_working_days,
        timezone.localdate(),
        current_calendar(),
    )


def _json(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def missing_materials(case: Case) -> list[str]:
    """Names of required materials of this case's item that nobody has provided yet."""
    rows = ApplicationMaterial.objects.filter(
        application_id=case.application_id, replaced_at__isnull=True
    )
    return [m.name for m in rows if case.item_code in m.items and blocks_acceptance(m)]


def outstanding_deferred(case: Case) -> list[ApplicationMaterial]:
    """容缺后补 materials of this case's item that have not been supplied yet."""
    rows = ApplicationMaterial.objects.filter(
        application_id=case.application_id,
        replaced_at__isnull=True,
        provision=Provision.DEFERRED,
    ).order_by("pk")
    return [m for m in rows if case.item_code in m.items]


def deficiency_open(case: Case) -> bool:
    return case.deficiency_supply_by is not None and case.deficiency_supplied_at is None


# --- acceptance (the window) --------------------------------------------------------------


def case_accept(case_no: str, *, actor: User | None, role: str) -> Case:
    """受理: the clocks start tomorrow; 即办 and 告知承诺 items are decided at once."""
    with transaction.atomic():
        case = lock_case(case_no)
        check_transition("accept", case.state)
        missing = missing_materials(case)
        if missing:
            raise IllegalTransition(
                "accept",
                case.state,
                f"以下必须材料尚未提供，不能受理，请一次性告知补正：{'、'.join(missing)}",
            )
        _accept(case, actor=actor, role=role)
        return case


def _accept(case: Case, *, actor: User | None, role: str) -> None:
    item = item_of(case)
    today = timezone.localdate()
    clocks = start_clocks(item, today, current_calendar())
    # 容缺受理: the earliest supply-by date of the deferred materials is the case's deficiency
    # deadline, so "overdue" is one indexed condition on the case, like the clocks.
    deferred = [m.supply_by for m in outstanding_deferred(case) if m.supply_by]
    apply_transition(
        case,
        "accept",
        actor=actor,
        role=role,
        changes={
            "accepted_on": today,
            "statutory_due": clocks.statutory_due,
            "promised_due": clocks.promised_due,
            "due_provisional": clocks.provisional,
            "step_index": 0,
            "deficiency_supply_by": min(deferred) if deferred else None,
        },
        details={
            "statutory_due": clocks.statutory_due,
            "promised_due": clocks.promised_due,
            "provisional": clocks.provisional,
        },
    )
    issue_notice(case, NoticeKind.ACCEPTANCE)
    if item.case_kind == CaseKind.IMMEDIATE:
        _decide(case, "approve", actor=None, role=SYSTEM_ROLE, by=DecisionBy.INSTANT, item=item)
    elif item.approval.mode == ApprovalMode.COMMITMENT:
        from .automation import open_verification

        _decide(case, "approve", actor=None, role=SYSTEM_ROLE, by=DecisionBy.COMMITMENT, item=item)
        open_verification(case, item)


def case_request_supplement(
    case_no: str,
    *,
    actor: User,
    role: str,
    materials: Sequence[Mapping[str, str]],
    note: str = "",
) -> Case:
    """一次性告知: every missing or defective material with its reason, in one notice."""
    if not materials:
        raise DomainError("materials_required", "请列出需要补正的全部材料及原因", 400)
    with transaction.atomic():
        case = lock_case(case_no)
        check_transition("request_supplement", case.state)
        current = dict(
            ApplicationMaterial.objects.filter(
                application_id=case.application_id, replaced_at__isnull=True
            ).values_list("key", "name")
        )
        entries, problems = [], []
        for index, entry in enumerate(materials):
            key = (entry.get("key") or "").strip()
            reason = (entry.get("reason") or "").strip()
            name = current.get(key) or (entry.get("name") or "").strip()
            if not name:
                problems.append(f"第{index + 1}项：请选择材料或填写材料名称")
            if not reason:
                problems.append(f"第{index + 1}项“{name or key}”：请填写需补正的原因")
            entries.append({"key": key, "name": name, "reason": reason})
        if problems:
            raise DomainError("invalid_supplement", problems, 400)
        SupplementRequest.objects.create(
            case=case, materials=entries, note=note, issued_at=timezone.now(), issued_by=actor
        )
        apply_transition(
            case,
            "request_supplement",
            actor=actor,
            role=role,
            details={"materials": entries, "reason": note},
        )
        issue_notice(
            case,
            NoticeKind.SUPPLEMENT,
            reason=note,
            materials=[(e["name"], e["reason"]) for e in entries],
        )
        return case


def case_resubmit(
    case_no: str,
    *,
    actor: User,
    role: str,
    materials: Mapping[str, MaterialChoice],
) -> Case:
    """The applicant answers the supplement notice; the case goes back to the window."""
    from ..materials import resubmitted_rows

    with transaction.atomic():
        case = lock_case(case_no)
        check_transition("resubmit", case.state)
        request = case.supplements.filter(resolved_at__isnull=True).order_by("-id").first()
        asked = [m["key"] for m in request.materials if m["key"]] if request else []
        rows = resubmitted_rows(case.application, asked, materials, actor=actor)
        now = timezone.now()
        ApplicationMaterial.objects.filter(
            application_id=case.application_id,
            key__in=[r.key for r in rows],
            replaced_at__isnull=True,
        ).update(replaced_at=now)
        ApplicationMaterial.objects.bulk_create(rows)
        if request is not None:
            request.resolved_at = now
            request.save(update_fields=["resolved_at"])
        apply_transition(
            case, "resubmit", actor=actor, role=role, details={"materials": [r.key for r in rows]}
        )
        return case


def case_refuse(
    case_no: str, *, actor: User, role: str, reason: str, legal_basis: str = ""
) -> Case:
    reason = _required_text(reason, "不予受理的理由")
    with transaction.atomic():
        case = lock_case(case_no)
        apply_transition(
            case,
            "refuse",
            actor=actor,
            role=role,
            changes={"reason": reason, "legal_basis": legal_basis, "decided_at": timezone.now()},
            details={"reason": reason, "legal_basis": legal_basis},
        )
        issue_notice(case, NoticeKind.REFUSAL, reason=reason, legal_basis=legal_basis)
        _stop_downstream(case)
        return case


# --- review and decision (the department) -------------------------------------------------


def case_advance(case_no: str, *, actor: User, role: str, opinion: str = "") -> Case:
    """Finish the current review step (承办, 审核 …) and pass the case to the next one."""
    with transaction.atomic():
        case = lock_case(case_no)
        check_transition("advance", case.state)
        steps = review_steps(item_of(case))
        if case.step_index + 1 >= len(steps):
            raise IllegalTransition("advance", case.state, "已是最后一个审批环节，请作出决定")
        apply_transition(
            case,
            "advance",
            actor=actor,
            role=role,
            changes={"step_index": case.step_index + 1},
            details={"step_name": steps[case.step_index], "opinion": opinion},
        )
        return case


def _check_deciding_step(case: Case, action: str) -> None:
    steps = review_steps(item_of(case))
    if steps and case.step_index < len(steps) - 1:
        raise IllegalTransition(
            action,
            case.state,
            f"当前环节为“{steps[case.step_index]}”，须在最后一个环节“{steps[-1]}”作出决定",
        )


def case_approve(case_no: str, *, actor: User, role: str, opinion: str = "") -> Case:
    with transaction.atomic():
        case = lock_case(case_no)
        check_transition("approve", case.state)
        _check_deciding_step(case, "approve")
        if deficiency_open(case):
            raise IllegalTransition(
                "approve",
                case.state,
                "容缺材料尚未补齐：请待申请人补齐后准予，或选择“容缺通过”并确定补齐期限",
            )
        _decide(case, "approve", actor=actor, role=role, by=DecisionBy.PERSON, opinion=opinion)
        return case


def case_approve_deficient(
    case_no: str, *, actor: User, role: str, supply_by: datetime.date | None, opinion: str = ""
) -> Case:
    """容缺通过: approved now; the missing material must be supplied by `supply_by`."""
    today = timezone.localdate()
    if supply_by is None or supply_by <= today:
        raise DomainError("supply_by_required", "请填写容缺材料的补齐期限（今天以后的日期）", 400)
    with transaction.atomic():
        case = lock_case(case_no)
        check_transition("approve_deficient", case.state)
        _check_deciding_step(case, "approve_deficient")
        _decide(
            case,
            "approve_deficient",
            actor=actor,
            role=role,
            by=DecisionBy.PERSON,
            opinion=opinion,
            # The approver names the deficiency now; an earlier supply does not close it.
            extra={"deficiency_supply_by": supply_by, "deficiency_supplied_at": None},
        )
        return case


def case_deny(case_no: str, *, actor: User, role: str, reason: str, legal_basis: str) -> Case:
    reason = _required_text(reason, "不予许可的理由")
    legal_basis = _required_text(legal_basis, "不予许可的法律依据")
    with transaction.atomic():
        case = lock_case(case_no)
        check_transition("deny", case.state)
        _check_deciding_step(case, "deny")
        apply_transition(
            case,
            "deny",
            actor=actor,
            role=role,
            changes={
                "reason": reason,
                "legal_basis": legal_basis,
                "decided_at": timezone.now(),
                "decision_by": DecisionBy.PERSON,
            },
            details={"reason": reason, "legal_basis": legal_basis},
        )
        issue_notice(case, NoticeKind.DENIAL, reason=reason, legal_basis=legal_basis)
        _stop_downstream(case)
        return case


def _decide(
    case: Case,
    action: str,
    *,
    actor: User | None,
    role: str,
    by: str,
    item: ItemSpec | None = None,
    opinion: str = "",
    extra: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Approve a locked case (准予 or 容缺通过), issue the decision, start what waited on it."""
    item = item or item_of(case)
    changes = {
        "decided_at": timezone.now(),
        "decision_by": by,
        "result_name": item.result.name,
        "reason": opinion,
        **(extra or {}),
    }
    apply_transition(
        case,
        action,
        actor=actor,
        role=role,
        changes=changes,
        details={"decision_by": by, "opinion": opinion, **(extra or {}), **(details or {})},
    )
    issue_notice(case, NoticeKind.APPROVAL, reason=opinion, legal_basis=item.legal_basis)
    from tongban.licences.actions import licence_issue

    licence_issue(case, actor=actor, role=role)
    from .automation import release_downstream

    release_downstream(case)


def case_start_special(case_no: str, *, actor: User, role: str, kind: str, reason: str) -> Case:
    """特别程序 (行政许可法 §45): the clock stops from tomorrow until the procedure ends."""
    reason = _required_text(reason, "启动特别程序的理由或依据")
    if kind not in SpecialKind.values:
        raise DomainError("bad_kind", f"特别程序种类应为：{'、'.join(SpecialKind.labels)}", 400)
    with transaction.atomic():
        case = lock_case(case_no)
        check_transition("start_special", case.state)
        today = timezone.localdate()
        SpecialProcedure.objects.create(
            case=case, kind=kind, reason=reason, started_on=today, started_by=actor
        )
        apply_transition(
            case,
            "start_special",
            actor=actor,
            role=role,
            details={"kind": kind, "reason": reason, "started_on": today},
        )
        return case


def case_end_special(case_no: str, *, actor: User, role: str, result: str = "") -> Case:
    """End the special procedure; both due dates move by the time it took."""
    with transaction.atomic():
        case = lock_case(case_no)
        check_transition("end_special", case.state)
        procedure = case.special_procedures.select_for_update().get(ended_on__isnull=True)
        today = timezone.localdate()
        cal = current_calendar()
        pause = pause_between(procedure.started_on, today, cal)
        item = item_of(case)
        working = case.paused_working_days + pause.working_days
        natural = case.paused_natural_days + pause.natural_days
        accepted_on = case.accepted_on or today
        statutory, p1 = due_after_pauses(accepted_on, item.statutory_limit, working, natural, cal)
        if item.case_kind == CaseKind.IMMEDIATE:
            promised, p2 = due_after_pauses(accepted_on, Limit(days=0), working, natural, cal)
        else:
            promised, p2 = due_after_pauses(accepted_on, item.promised_limit, working, natural, cal)
        procedure.ended_on = today
        procedure.result = result
        procedure.paused_working_days = pause.working_days
        procedure.save(update_fields=["ended_on", "result", "paused_working_days"])
        apply_transition(
            case,
            "end_special",
            actor=actor,
            role=role,
            changes={
                "statutory_due": statutory,
                "promised_due": promised,
                "due_provisional": case.due_provisional or p1 or p2 or pause.provisional,
                "paused_working_days": working,
                "paused_natural_days": natural,
            },
            details={
                "paused_working_days": pause.working_days,
                "statutory_due": statutory,
                "promised_due": promised,
                "result": result,
            },
        )
        return case


# --- after the decision ---------------------------------------------------------------------


def case_deliver(
    case_no: str, *, actor: User, role: str, method: str, tracking_no: str = ""
) -> Case:
    if method not in DeliveryMethod.values:
        raise DomainError("bad_method", f"送达方式应为：{'、'.join(DeliveryMethod.labels)}", 400)
    tracking_no = tracking_no.strip()
    if method == DeliveryMethod.MAIL and not tracking_no:
        raise DomainError("tracking_required", "邮寄送达请填写快递单号", 400)
    with transaction.atomic():
        case = lock_case(case_no)
        return apply_transition(
            case,
            "deliver",
            actor=actor,
            role=role,
            changes={
                "delivery_method": method,
                "tracking_no": tracking_no,
                "delivered_at": timezone.now(),
            },
            details={"method": method, "tracking_no": tracking_no},
        )


def case_withdraw(case_no: str, *, actor: User, role: str, reason: str = "") -> Case:
    """The applicant withdraws before the decision; what waited on this case stops too."""
    with transaction.atomic():
        case = lock_case(case_no)
        check_transition("withdraw", case.state)
        today = timezone.localdate()
        for procedure in case.special_procedures.select_for_update().filter(ended_on__isnull=True):
            pause = pause_between(procedure.started_on, today, current_calendar())
            procedure.ended_on, procedure.result = today, "申请人撤回"
            procedure.paused_working_days = pause.working_days
            procedure.save(update_fields=["ended_on", "result", "paused_working_days"])
        apply_transition(case, "withdraw", actor=actor, role=role, details={"reason": reason})
        _stop_downstream(case)
        return case


def case_revoke(
    case_no: str, *, actor: User, role: str, reason: str, legal_basis: str = ""
) -> Case:
    reason = _required_text(reason, "撤销的理由")
    with transaction.atomic():
        case = lock_case(case_no)
        apply_transition(
            case,
            "revoke",
            actor=actor,
            role=role,
            changes={"reason": reason, "legal_basis": legal_basis},
            details={"reason": reason, "legal_basis": legal_basis},
        )
        after_revocation(case, actor=actor, role=role, reason=reason)
        return case


def after_revocation(case: Case, *, actor: User | None, role: str, reason: str) -> None:
    """A revoked decision takes its licences with it, and what still waits on the case will
    never see it approved."""
    from tongban.licences.actions import revoke_case_licences

    revoke_case_licences(case, actor=actor, role=role, reason=reason)
    _stop_downstream(case)


def _stop_downstream(case: Case) -> None:
    from .automation import cancel_downstream

    cancel_downstream(case)
