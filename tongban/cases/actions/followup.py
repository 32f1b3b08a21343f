"""What happens after acceptance or decision without changing a case's state:
容缺后补 (deferred materials arrive) and 事后核查 (the post-approval check of a commitment).

Both are locked, atomic and audited like the transitions. A false commitment found in the
check is the one exception that moves the state: the approval is revoked (国办发〔2020〕42号:
承诺不实 ⇒ 撤销行政决定), through the same `revoke` transition as any other revocation.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.models import User

from ..enums import ENDED_STATES, CaseState, VerificationStatus
from ..inputs import MaterialChoice
from ..materials import resubmitted_rows
from ..models import ApplicationMaterial, Case, VerificationTask
from ..transitions import IllegalTransition
from .lifecycle import (
    _required_text,
    after_revocation,
    apply_transition,
    deficiency_open,
    lock_case,
    outstanding_deferred,
)
from .proxy import proxy_details

FOLLOW_UP_LABELS = {"supply_deferred": "容缺材料补齐", "verify": "事后核查"}
EVENT_LABELS = {
    "case.deferred_supplied": "容缺材料补交",
    "case.deficiency_supplied": "容缺材料已补齐",
}


def case_supply_deferred(
    case_no: str,
    *,
    actor: User,
    role: str,
    materials: Mapping[str, MaterialChoice],
    note: str = "",
) -> Case:
    """容缺后补: deferred materials arrive (upload, or paper at a window).

    A material is shared by every case of the application that needs it, so each of those
    cases whose deficiency is now fully supplied is closed too. A deficiency the approver named
    at a 容缺通过 without a deferred material behind it is closed with a note of what came.
    """
    note = (note or "").strip()
    with transaction.atomic():
        case = lock_case(case_no)
        if case.state in ENDED_STATES:
            raise IllegalTransition("supply_deferred", case.state, _ended_message(case))
        outstanding = {m.key: m for m in outstanding_deferred(case)}
        unknown = [key for key in materials if key not in outstanding]
        if unknown:
            raise DomainError(
                "bad_request", f"以下材料不是本办件待补交的容缺材料：{'、'.join(unknown)}", 400
            )
        if not materials and (outstanding or not deficiency_open(case)):
            raise DomainError(
                "nothing_to_supply",
                "请提供待补交的容缺材料" if outstanding else "该办件没有待补齐的容缺材料",
                400,
            )
        if not materials and not note:
            raise DomainError("reason_required", "请说明补齐了哪些材料", 400)
        supplied = _replace_rows(case, materials, actor=actor)
        names = [outstanding[key].name for key in supplied]
        if supplied:
            _record(case, "case.deferred_supplied", actor, role, names, note)
        for target in _affected_cases(case, supplied, outstanding):
            if not outstanding_deferred(target):
                _close_deficiency(target, actor=actor, role=role, supplied=names, note=note)
        case.refresh_from_db()
        return case


def _ended_message(case: Case) -> str:
    return f"办件已{CaseState(case.state).label}，无需再补交材料"


def _replace_rows(case: Case, materials: Mapping[str, MaterialChoice], *, actor: User) -> list[str]:
    if not materials:
        return []
    rows = resubmitted_rows(case.application, [], materials, actor=actor)
    now = timezone.now()
    ApplicationMaterial.objects.filter(
        application_id=case.application_id,
        key__in=[r.key for r in rows],
        replaced_at__isnull=True,
    ).update(replaced_at=now)
    for row in rows:
        row.supplied_at = now
    ApplicationMaterial.objects.bulk_create(rows)
    return [r.key for r in rows]


def _affected_cases(
    case: Case, supplied: list[str], outstanding: Mapping[str, ApplicationMaterial]
) -> list[Case]:
    """Cases with an open deficiency this supply may close: this one, and the application's
    other cases that needed one of the supplied materials — locked in pk order."""
    items = {code for key in supplied for code in outstanding[key].items}
    locked = (
        Case.objects.select_for_update(of=("self",))
        .filter(
            application_id=case.application_id,
            deficiency_supply_by__isnull=False,
            deficiency_supplied_at__isnull=True,
        )
        .exclude(state__in=ENDED_STATES)
        .order_by("pk")
    )
    return [c for c in locked if c.pk == case.pk or c.item_code in items]


def _close_deficiency(
    case: Case, *, actor: User, role: str, supplied: list[str], note: str
) -> None:
    case.deficiency_supplied_at = timezone.now()
    case.save(update_fields=["deficiency_supplied_at", "updated_at"])
    _record(case, "case.deficiency_supplied", actor, role, supplied, note)


def _record(
    case: Case,
    action: str,
    actor: User,
    role: str,
    supplied: list[str],
    note: str,
) -> None:
    remaining = [m.name for m in outstanding_deferred(case)]
    record_event(
        action=action,
        object_type="case",
        object_id=case.case_no,
        actor=actor,
        role=role,
        after={
            "label": EVENT_LABELS[action],
            "materials": supplied,
            "note": note,
            "remaining": remaining,
            "deficiency_supplied_at": (
                case.deficiency_supplied_at.isoformat() if case.deficiency_supplied_at else None
            ),
            **proxy_details(case.application),
        },
    )


def case_verify(
    case_no: str,
    *,
    actor: User,
    role: str,
    outcome: str,
    finding: str,
    legal_basis: str = "",
) -> Case:
    """Close the 事后核查 of a commitment-approved case; a false commitment revokes the approval."""
    finding = _required_text(finding, "核查情况")
    if outcome not in (VerificationStatus.CONFIRMED, VerificationStatus.FALSE_COMMITMENT):
        raise DomainError("bad_outcome", "核查结论应为“核查属实”或“承诺不实”", 400)
    with transaction.atomic():
        case = lock_case(case_no)
        task = VerificationTask.objects.select_for_update().filter(case=case).first()
        if task is None:
            raise DomainError("not_found", "该办件没有事后核查任务", 404)
        if task.status != VerificationStatus.OPEN:
            raise DomainError(
                "already_verified",
                {
                    "message": f"该办件的事后核查已完成（{task.get_status_display()}）",
                    "status": task.status,
                },
                409,
            )
        task.status = outcome
        task.finding = finding
        task.closed_at = timezone.now()
        task.closed_by = actor
        task.save(update_fields=["status", "finding", "closed_at", "closed_by"])
        record_event(
            action="verification.close",
            object_type="case",
            object_id=case.case_no,
            actor=actor,
            role=role,
            before={"status": VerificationStatus.OPEN},
            after={
                "label": f"事后核查：{VerificationStatus(outcome).label}",
                "status": outcome,
                "finding": finding,
                "overdue": task.closed_at.date() > task.due_on,
            },
        )
        if outcome == VerificationStatus.FALSE_COMMITMENT:
            reason = f"承诺不实：{finding}"
            basis = (
                legal_basis
                or "《国务院办公厅关于全面推行证明事项和涉企经营许可事项告知承诺制的指导意见》（国办发〔2020〕42号）"
            )
            apply_transition(
                case,
                "revoke",
                actor=actor,
                role=role,
                changes={"reason": reason, "legal_basis": basis},
                details={"reason": reason, "legal_basis": basis, "verification": outcome},
            )
            after_revocation(case, actor=actor, role=role, reason=reason)
        return case
