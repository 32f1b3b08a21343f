"""What the staff pages show, as plain shapes built from cases: list rows with their
warning level, the action forms on offer, the timeline and the form data under the item's
own labels. No request handling here (see views_staff.py and friends)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.http import QueryDict
from django.utils import timezone

from tongban.catalog.enums import FieldKind
from tongban.catalog.spec import ItemSpec
from tongban.catalog.store import pinned_item_specs
from tongban.core.models import User
from tongban.core.workcalendar import WorkCalendar, current_calendar

from . import forms_staff
from .actions.dispatch import action_label
from .actions.lifecycle import deficiency_open, review_steps
from .clock import warning_level
from .enums import (
    ENDED_STATES,
    ActingAs,
    CaseState,
    Channel,
    DecisionBy,
    DeliveryMethod,
    Provision,
    SpecialKind,
    VerificationStatus,
)
from .models import ApplicationMaterial, Case, VerificationTask
from .permissions import acting_role
from .queries import case_history, deficiency_state
from .serialize import event_dict
from .transitions import allowed_actions


def calendar_today() -> tuple[datetime.date, WorkCalendar]:
    return timezone.localdate(), current_calendar()


@dataclass
class CaseRow:
    """One case as a list shows it (the warning computed once per page, not per row query)."""

    case: Case
    warning: str
    days_left: int | None  # working days to the promised due date (negative: overdue)
    overdue_days: int  # natural days past the promised due date
    step: str = ""
    deficiency: str = ""  # 容缺: "", "open" or "overdue"

    @property
    def overdue_workdays(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


def case_row(case: Case, today: datetime.date, cal: WorkCalendar, step: str = "") -> CaseRow:
    level = warning_level(case.state, case.promised_due, today, cal)
    days_left = None
    overdue = 0
    due = case.promised_due
    if due is not None and case.state in (CaseState.IN_REVIEW, CaseState.SPECIAL):
        if due >= today:
            days_left = cal.count_working_days(today, due).workdays
        else:
            days_left = -cal.count_working_days(due, today).workdays
            overdue = (today - due).days
    return CaseRow(case, level, days_left, overdue, step, deficiency_state(case, today))


def step_name(case: Case, item: ItemSpec | None) -> str:
    if item is None or case.state not in (CaseState.IN_REVIEW, CaseState.SPECIAL):
        return ""
    steps = review_steps(item)
    return steps[case.step_index] if case.step_index < len(steps) else ""


def rows_with_steps(
    cases: list[Case], today: datetime.date | None = None, cal: WorkCalendar | None = None
) -> list[CaseRow]:
    """Rows for a page of cases: one batched spec load for all their pinned versions, one
    calendar snapshot (the page's own, if it has one)."""
    if today is None or cal is None:
        today, cal = calendar_today()
    specs = pinned_item_specs({c.item_version_id for c in cases})
    return [case_row(c, today, cal, step_name(c, specs.get(c.item_version_id))) for c in cases]


DECISIONS = frozenset({"approve", "approve_deficient", "deny"})


def deferred_rows(materials: list[ApplicationMaterial]) -> list[ApplicationMaterial]:
    """The 容缺后补 materials still to come, from the case's current material rows."""
    return [m for m in materials if m.provision == Provision.DEFERRED]


def open_verification(case: Case) -> VerificationTask | None:
    if Case.verification.is_cached(case):  # loaded with the case (views_staff.staff_case)
        try:
            task: VerificationTask | None = case.verification
        except VerificationTask.DoesNotExist:
            task = None
        return task if task is not None and task.status == VerificationStatus.OPEN else None
    return VerificationTask.objects.filter(case=case, status=VerificationStatus.OPEN).first()


def follow_ups(case: Case, materials: list[ApplicationMaterial]) -> set[str]:
    """Actions that are not state transitions, on offer when there is something to do."""
    offered = set()
    if case.state not in ENDED_STATES and (deferred_rows(materials) or deficiency_open(case)):
        offered.add("supply_deferred")
    if case.state in (CaseState.APPROVED, CaseState.DELIVERED) and open_verification(case):
        offered.add("verify")
    return offered


def available_actions(
    user: User, case: Case, steps: list[str], materials: list[ApplicationMaterial]
) -> list[str]:
    """What this user may do now: the transition table ∩ the user's acting role, and the
    review-step guard (advance before the last step, decide at it); plus the follow-ups."""
    allowed = set(allowed_actions(case.state)) | follow_ups(case, materials)
    last = len(steps) - 1
    names = []
    for action in forms_staff.ACTION_ORDER:
        if action not in allowed or acting_role(user, case, action) is None:
            continue
        if action == "advance" and case.step_index >= last:
            continue
        if action in DECISIONS and steps and case.step_index < last:
            continue
        names.append(action)
    return names


def orphan_errors(errors: dict[str, list[str]], actions: list[str]) -> list[str]:
    """Errors of an action that is no longer on offer (someone else moved the case on):
    shown at the top of the page, above the case as it is now."""
    return [m for action, found in errors.items() if action not in actions for m in found]


@dataclass
class Panel:
    action: str
    label: str
    form: forms_staff.ActionForm | None
    fields: list[dict[str, Any]]
    errors: list[str]


def action_panels(
    actions: list[str], errors: dict[str, list[str]], posted: QueryDict | None
) -> list[Panel]:
    panels = []
    for action in actions:
        if action in forms_staff.SPECIAL_FORMS:
            # Drawn by their own partials (supplement_form.html, collect_form.html).
            panels.append(Panel(action, action_label(action), None, [], []))
            continue
        form = forms_staff.ACTION_FORMS[action]
        values = posted if posted is not None and action in errors else QueryDict()
        fields = [{"field": f, "value": values.get(f.name, "")} for f in form.fields]
        panels.append(Panel(action, action_label(action), form, fields, errors.get(action, [])))
    return panels


def supplement_panel(
    materials: list[ApplicationMaterial], errors: list[str], posted: QueryDict | None
) -> dict[str, Any]:
    data = posted if posted is not None and errors else QueryDict()
    rows = [
        {
            "material": m,
            "checked": bool(data.get(f"s-{m.key}")),
            "reason": data.get(f"sr-{m.key}", ""),
        }
        for m in materials
    ]
    others = [
        {
            "index": i,
            "name": data.get(f"so-name-{i}", ""),
            "reason": data.get(f"so-reason-{i}", ""),
        }
        for i in range(forms_staff.OTHER_ROWS)
    ]
    return {"rows": rows, "others": others, "note": data.get("note", ""), "errors": errors}


def resubmit_panel(case: Case, errors: list[str]) -> dict[str, Any] | None:
    request = case.supplements.filter(resolved_at__isnull=True).order_by("-id").first()
    if request is None:
        return None
    return {
        "action": "resubmit",
        "title": "收取补正材料",
        "intro": f"一次性告知书 {request.issued_at:%Y-%m-%d} 要求补正：",
        "rows": request.materials,
        "errors": errors,
        "button": "补正材料已收齐，退回窗口审核",
        "note": False,
        # Paper answers a supplement only for an application made at a window.
        "paper": case.application.channel == Channel.WINDOW,
    }


def deferred_panel(
    case: Case, materials: list[ApplicationMaterial], errors: list[str], back: str
) -> dict[str, Any]:
    rows = [
        {"key": m.key, "name": m.name, "reason": f"容缺后补，应于 {m.supply_by:%Y-%m-%d} 前补交"}
        for m in deferred_rows(materials)
        if m.supply_by
    ]
    due = case.deficiency_supply_by
    intro = f"容缺材料补齐期限：{due:%Y-%m-%d}。" if due else "以下材料容缺后补："
    if not rows:
        intro += "容缺通过时未列明具体材料，请在说明中写明补齐了哪些材料。"
    return {
        "action": "supply_deferred",
        "title": "登记容缺材料补齐",
        "intro": intro,
        "rows": rows,
        "errors": errors,
        "button": "登记补齐",
        "note": True,
        # A deferred material on paper is taken at a window (the check page), not by the
        # department's case page, unless the application itself was made at a window.
        "paper": back == "check" or case.application.channel == Channel.WINDOW,
    }


def action_forms(
    case: Case,
    actions: list[str],
    materials: list[ApplicationMaterial],
    errors: dict[str, list[str]],
    posted: QueryDict | None,
    *,
    back: str,
) -> dict[str, Any]:
    """The action forms of a case page (detail or window check), with posted values and
    errors kept; `back` names the page a form returns to."""
    return {
        "panels": action_panels(actions, errors, posted),
        "supplement": (
            supplement_panel(materials, errors.get("request_supplement", []), posted)
            if "request_supplement" in actions
            else None
        ),
        "collect": [
            panel
            for panel in (
                resubmit_panel(case, errors.get("resubmit", [])) if "resubmit" in actions else None,
                deferred_panel(case, materials, errors.get("supply_deferred", []), back)
                if "supply_deferred" in actions
                else None,
            )
            if panel is not None
        ],
        "back": back,
        "page_errors": orphan_errors(errors, actions),
    }


DETAIL_LABELS = {
    "step_name": "环节",
    "opinion": "意见",
    "reason": "理由",
    "legal_basis": "法律依据",
    "kind": "种类",
    "result": "结果",
    "started_on": "开始日期",
    "statutory_due": "法定期限",
    "promised_due": "承诺期限",
    "paused_working_days": "暂停工作日",
    "method": "送达方式",
    "tracking_no": "快递单号",
    "deficiency_supply_by": "容缺补齐期限",
    "decision_by": "决定方式",
    "upstream": "前置办件",
    "plan": "一件事/事项",
    "acting_as": "办理方式",
    "note": "说明",
    "remaining": "尚缺材料",
    "due_on": "核查期限",
    "finding": "核查情况",
}


# Details stored as codes, shown by their Chinese labels.
CODED_DETAILS: dict[str, type[models.TextChoices]] = {
    "method": DeliveryMethod,
    "kind": SpecialKind,
    "acting_as": ActingAs,
    "decision_by": DecisionBy,
}


def _detail_text(key: str, value: Any) -> str:
    choices = CODED_DETAILS.get(key)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    if isinstance(value, list):
        parts = []
        for entry in value:
            if isinstance(entry, dict):
                parts.append(f"{entry.get('name') or entry.get('key')}：{entry.get('reason', '')}")
            else:
                parts.append(str(entry))
        return "；".join(parts)
    return str(value)


def timeline(case: Case) -> list[dict[str, Any]]:
    entries = []
    for event in case_history(case):
        data = event_dict(event)
        details = data["details"]
        shown = [
            (DETAIL_LABELS[k], _detail_text(k, v))
            for k, v in details.items()
            if k in DETAIL_LABELS and v not in ("", None, [], {})
        ]
        if isinstance(details.get("materials"), list) and details["materials"]:
            shown.append(("材料", _detail_text("materials", details["materials"])))
        to_state = data["to_state"]
        entries.append(
            {
                "at": event.occurred_at,
                "label": "提交申请" if event.action == "application.submit" else data["label"],
                "actor": data["actor"],
                "state": CaseState(to_state).label if to_state in CaseState.values else "",
                "details": shown,
            }
        )
    return entries


def form_rows(case: Case, item: ItemSpec) -> list[tuple[str, str]]:
    """The application's form data this item uses, under the item's own labels."""
    form = case.application.form or {}
    rows = []
    for spec in item.fields:
        if spec.key not in form or spec.kind == FieldKind.FILE:
            continue
        value = form[spec.key]
        if spec.kind == FieldKind.CHOICE:
            value = next((o.label for o in spec.options if o.value == value), value)
        rows.append((spec.label, str(value)))
    return rows
