"""One entry point for "do <action> on <case>" from the API and the workbenches: parse the
action's fields, check who may do it, call the action function."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from tongban.core.errors import DomainError
from tongban.core.models import User

from ..inputs import MaterialChoice
from ..models import Case
from ..permissions import acting_role, can_view_case
from ..transitions import TRANSITIONS, UnknownAction
from . import followup, lifecycle

# Transitions only the system performs.
SYSTEM_ACTIONS = frozenset({"release", "cancel"})


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DomainError("bad_request", f"“{key}”应为文本", 400)
    return value


def _date(body: Mapping[str, Any], key: str) -> datetime.date | None:
    value = body.get(key)
    if value in (None, ""):
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError("bad_request", f"“{key}”应为日期（YYYY-MM-DD）", 400) from None


def _materials(body: Mapping[str, Any]) -> dict[str, MaterialChoice]:
    raw = body.get("materials") or {}
    if not isinstance(raw, dict):
        raise DomainError("bad_request", "materials 应为 {材料标识: {provision, upload}}", 400)
    choices = {}
    for key, value in raw.items():
        if not isinstance(value, dict):
            raise DomainError("bad_request", f"材料“{key}”的格式不正确", 400)
        choices[str(key)] = MaterialChoice(
            provision=str(value.get("provision", "")),
            upload=value.get("upload"),
        )
    return choices


def _supplement_entries(body: Mapping[str, Any]) -> list[dict[str, str]]:
    raw = body.get("materials")
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise DomainError(
            "bad_request", "materials 应为列表：[{key 或 name, reason}]，列出需补正的全部材料", 400
        )
    return [{k: str(v) for k, v in e.items() if v is not None} for e in raw]


Handler = Callable[[str, User, str, Mapping[str, Any]], Case]

HANDLERS: dict[str, Handler] = {
    "accept": lambda no, u, r, b: lifecycle.case_accept(no, actor=u, role=r),
    "request_supplement": lambda no, u, r, b: lifecycle.case_request_supplement(
        no, actor=u, role=r, materials=_supplement_entries(b), note=_text(b, "note")
    ),
    "resubmit": lambda no, u, r, b: lifecycle.case_resubmit(
        no, actor=u, role=r, materials=_materials(b)
    ),
    "refuse": lambda no, u, r, b: lifecycle.case_refuse(
        no, actor=u, role=r, reason=_text(b, "reason"), legal_basis=_text(b, "legal_basis")
    ),
    "advance": lambda no, u, r, b: lifecycle.case_advance(
        no, actor=u, role=r, opinion=_text(b, "opinion")
    ),
    "approve": lambda no, u, r, b: lifecycle.case_approve(
        no, actor=u, role=r, opinion=_text(b, "opinion")
    ),
    "approve_deficient": lambda no, u, r, b: lifecycle.case_approve_deficient(
        no, actor=u, role=r, supply_by=_date(b, "supply_by"), opinion=_text(b, "opinion")
    ),
    "deny": lambda no, u, r, b: lifecycle.case_deny(
        no, actor=u, role=r, reason=_text(b, "reason"), legal_basis=_text(b, "legal_basis")
    ),
    "start_special": lambda no, u, r, b: lifecycle.case_start_special(
        no, actor=u, role=r, kind=_text(b, "kind"), reason=_text(b, "reason")
    ),
    "end_special": lambda no, u, r, b: lifecycle.case_end_special(
        no, actor=u, role=r, result=_text(b, "result")
    ),
    "deliver": lambda no, u, r, b: lifecycle.case_deliver(
        no, actor=u, role=r, method=_text(b, "method"), tracking_no=_text(b, "tracking_no")
    ),
    "withdraw": lambda no, u, r, b: lifecycle.case_withdraw(
        no, actor=u, role=r, reason=_text(b, "reason")
    ),
    "revoke": lambda no, u, r, b: lifecycle.case_revoke(
        no, actor=u, role=r, reason=_text(b, "reason"), legal_basis=_text(b, "legal_basis")
    ),
}
assert set(HANDLERS) | SYSTEM_ACTIONS == set(TRANSITIONS), "every transition needs a handler"

# Actions on a case that are not transitions of its state (see actions/followup.py).
FOLLOW_UPS: dict[str, Handler] = {
    "supply_deferred": lambda no, u, r, b: followup.case_supply_deferred(
        no, actor=u, role=r, materials=_materials(b), note=_text(b, "note")
    ),
    "verify": lambda no, u, r, b: followup.case_verify(
        no,
        actor=u,
        role=r,
        outcome=_text(b, "outcome"),
        finding=_text(b, "finding"),
        legal_basis=_text(b, "legal_basis"),
    ),
}
assert set(FOLLOW_UPS) == set(followup.FOLLOW_UP_LABELS)


def action_label(action: str) -> str:
    if action in TRANSITIONS:
        return TRANSITIONS[action].label
    return followup.FOLLOW_UP_LABELS[action]


def perform_action(user: User, case_no: str, action: str, body: Mapping[str, Any]) -> Case:
    handler = HANDLERS.get(action) or FOLLOW_UPS.get(action)
    if handler is None:
        raise UnknownAction(action)
    case = Case.objects.select_related("application").filter(case_no=case_no).first()
    if case is None or not can_view_case(user, case):
        raise DomainError("not_found", f"办件“{case_no}”不存在", 404)
    role = acting_role(user, case, action)
    if role is None:
        raise DomainError("forbidden", f"您无权对该办件执行“{action_label(action)}”", 403)
    return handler(case_no, user, role, body)
