"""Forms of the staff workbenches: what each case action asks for, the queue filters, and
the walk-in application posted by a window clerk.

The action functions validate everything that matters (and say why in Chinese); these
forms only turn posted fields into the body `perform_action` takes and describe how each
action's small form looks.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict

from .enums import (
    ActingAs,
    ApplicantKind,
    CaseState,
    DeliveryMethod,
    Provision,
    SpecialKind,
    VerificationStatus,
)

# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class ActionField:
    name: str
    label: str
    kind: str = "text"  # text, textarea, date, select
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False  # shown with a mark; the action function enforces it
    placeholder: str = ""


@dataclass(frozen=True)
class ActionForm:
    action: str
    button: str
    style: str = "btn-primary"
    fields: tuple[ActionField, ...] = ()
    help: str = ""


_REASON = ActionField("reason", "理由", "textarea", required=True)
_LEGAL = ActionField(
    "legal_basis", "法律依据", "text", required=True, placeholder="如：《行政许可法》第三十二条"
)
# 不予受理 cites its basis when there is one; 不予许可 must (the action functions decide).
_BASIS = ActionField("legal_basis", "法律依据", "text", placeholder="如：《行政许可法》第三十二条")
_OPINION = ActionField("opinion", "审批意见", "textarea")

ACTION_FORMS: dict[str, ActionForm] = {
    f.action: f
    for f in [
        ActionForm(
            "accept", "受理", "btn-success", help="材料齐全、符合法定形式：受理并出具受理通知书。"
        ),
        ActionForm(
            "refuse",
            "不予受理",
            "btn-outline-danger",
            (_REASON, _BASIS),
            help="申请事项依法不属于本机关职权范围或不需要取得行政许可时使用，将出具不予受理通知书。",
        ),
        ActionForm("advance", "办理完毕，转下一环节", "btn-primary", (_OPINION,)),
        ActionForm("approve", "准予许可（办结）", "btn-success", (_OPINION,)),
        ActionForm(
            "approve_deficient",
            "容缺通过（办结）",
            "btn-outline-success",
            (ActionField("supply_by", "容缺材料补齐期限", "date", required=True), _OPINION),
        ),
        ActionForm("deny", "不予许可（办结）", "btn-outline-danger", (_REASON, _LEGAL)),
        ActionForm(
            "start_special",
            "启动特别程序",
            "btn-outline-secondary",
            (
                ActionField("kind", "种类", "select", tuple(SpecialKind.choices), required=True),
                ActionField("reason", "启动理由或依据", "textarea", required=True),
            ),
            help="听证、检验、检测、鉴定、专家评审等所需时间不计入办理时限。",
        ),
        ActionForm(
            "end_special",
            "结束特别程序",
            "btn-outline-secondary",
            (ActionField("result", "特别程序结果", "textarea"),),
            help="结束后两个期限按特别程序所用时间顺延。",
        ),
        ActionForm(
            "deliver",
            "送达",
            "btn-primary",
            (
                ActionField(
                    "method", "送达方式", "select", tuple(DeliveryMethod.choices), required=True
                ),
                ActionField("tracking_no", "快递单号", "text", placeholder="邮寄送达时必填"),
            ),
        ),
        ActionForm(
            "revoke",
            "撤销决定",
            "btn-outline-danger",
            (
                ActionField("reason", "撤销理由", "textarea", required=True),
                _BASIS,
            ),
        ),
        ActionForm(
            "verify",
            "完成核查",
            "btn-outline-primary",
            (
                ActionField(
                    "outcome",
                    "核查结论",
                    "select",
                    (
                        (VerificationStatus.CONFIRMED.value, VerificationStatus.CONFIRMED.label),
                        (
                            VerificationStatus.FALSE_COMMITMENT.value,
                            VerificationStatus.FALSE_COMMITMENT.label,
                        ),
                    ),
                    required=True,
                ),
                ActionField("finding", "核查情况", "textarea", required=True),
                _BASIS,
            ),
            help="告知承诺审批后的事后核查。承诺不实的，将撤销审批决定并终止尚在等待的后续办件。",
        ),
        ActionForm(
            "withdraw",
            "申请人撤回",
            "btn-outline-secondary",
            (ActionField("reason", "撤回原因", "textarea"),),
        ),
    ]
}
# Shown in their own sections, not as one of the small forms.
SPECIAL_FORMS = frozenset({"request_supplement", "resubmit", "supply_deferred"})
# The order actions are offered in: the likely next step first.
ACTION_ORDER = [
    "accept",
    "request_supplement",
    "resubmit",
    "refuse",
    "advance",
    "approve",
    "approve_deficient",
    "deny",
    "start_special",
    "end_special",
    "deliver",
    "withdraw",
    "supply_deferred",
    "verify",
    "revoke",
]


def simple_body(action: str, data: QueryDict) -> dict[str, Any]:
    """The body of a small action form: its fields as posted."""
    form = ACTION_FORMS.get(action)
    if form is None:
        return {}
    return {f.name: data.get(f.name, "").strip() for f in form.fields}


# Free "其他材料" rows of the 一次性告知 form.
OTHER_ROWS = 3


def supplement_body(data: QueryDict, keys: list[str]) -> dict[str, Any]:
    """一次性告知: every ticked material (or one given a reason) plus the free rows."""
    entries: list[dict[str, str]] = []
    for key in keys:
        reason = data.get(f"sr-{key}", "").strip()
        if data.get(f"s-{key}") or reason:
            entries.append({"key": key, "reason": reason})
    for index in range(OTHER_ROWS):
        name = data.get(f"so-name-{index}", "").strip()
        reason = data.get(f"so-reason-{index}", "").strip()
        if name or reason:
            entries.append({"name": name, "reason": reason})
    return {"materials": entries, "note": data.get("note", "").strip()}


def collect_body(data: QueryDict, keys: list[str], uploads: Mapping[str, str]) -> dict[str, Any]:
    """Materials received by staff (补正, 容缺后补): paper at the window or a scan (uploaded
    by the view first), and the note."""
    materials: dict[str, dict[str, Any]] = {}
    for key in keys:
        provision = data.get(f"rp-{key}", "")
        if provision == Provision.PAPER:
            materials[key] = {"provision": Provision.PAPER}
        elif provision == Provision.UPLOAD:
            materials[key] = {"provision": Provision.UPLOAD, "upload": uploads.get(key)}
    return {"materials": materials, "note": data.get("note", "").strip()}


# --------------------------------------------------------------------------- queue filters

WARNING_CHOICES = [
    ("", "全部"),
    ("red", "红牌（已超期）"),
    ("yellow", "黄牌（临近到期）"),
    ("normal", "正常"),
]
STATE_CHOICES = [("open", "办理中（未办结）"), ("all", "全部状态"), *CaseState.choices]


class QueueFilterForm(forms.Form):
    """GET filters of the department queue; a bad value is ignored with a message."""

    use_required_attribute = False

    state = forms.ChoiceField(label="状态", choices=STATE_CHOICES, required=False)
    warning = forms.ChoiceField(label="预警", choices=WARNING_CHOICES, required=False)
    due_before = forms.DateField(
        label="承诺期限早于",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请输入有效日期（YYYY-MM-DD）"},
    )
    item = forms.ChoiceField(label="事项", required=False)
    deficiency = forms.ChoiceField(
        label="容缺",
        choices=[("", "全部"), ("open", "容缺材料待补"), ("overdue", "容缺材料逾期未补")],
        required=False,
    )

    def __init__(self, data: QueryDict, items: list[tuple[str, str]]) -> None:
        super().__init__(data)
        field = self.fields["item"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "全部事项"), *items]

    def value(self, name: str) -> Any:
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return None
        return self.cleaned_data.get(name) if name not in self.errors else None


DEFICIENCY_OVERDUE = "deficiency"


class WarningFilterForm(forms.Form):
    use_required_attribute = False

    level = forms.ChoiceField(
        label="预警",
        choices=[
            ("", "黄牌和红牌"),
            ("red", "红牌"),
            ("yellow", "黄牌"),
            (DEFICIENCY_OVERDUE, "容缺材料逾期未补"),
        ],
        required=False,
    )
    department = forms.ChoiceField(label="部门", required=False)

    def __init__(self, data: QueryDict, departments: list[tuple[str, str]]) -> None:
        super().__init__(data)
        field = self.fields["department"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "全部部门"), *departments]


# --------------------------------------------------------------------------- walk-in

STEP_LOOKUP = "lookup"
STEP_SUBMIT = "submit"
STEP_REFRESH = "refresh"

# Form fields filled from the applicant section when the clerk has not typed them.
APPLICANT_DEFAULTS = {
    "applicant.name": "name",
    "applicant.id_number": "id_number",
    "applicant.phone": "phone",
}


@dataclass
class WalkIn:
    """Everything the walk-in form posts, kept as typed so a re-render loses nothing."""

    key: str
    plan: str = ""  # "b:<bundle code>" or "i:<item code>"
    plan_shown: str = ""
    step: str = STEP_REFRESH
    kind: str = ApplicantKind.PERSON
    id_number: str = ""
    name: str = ""
    phone: str = ""
    acting_as: str = ActingAs.SELF
    agent_name: str = ""
    agent_id_number: str = ""
    proxy_mandate: str = ""  # an existing 帮代办 mandate's number (from a ticket)
    proxy_consent: str = ""  # or how the walk-in consents now
    proxy_consent_reference: str = ""
    form: dict[str, str] = field(default_factory=dict)
    provisions: dict[str, str] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)  # material key → Upload.public_id
    supply_by: dict[str, str] = field(default_factory=dict)
    agreed: set[str] = field(default_factory=set)
    licence_consent: bool = False  # the applicant agreed to their e-licences being used

    @property
    def bundle(self) -> str | None:
        return self.plan[2:] if self.plan.startswith("b:") else None

    @property
    def item(self) -> str | None:
        return self.plan[2:] if self.plan.startswith("i:") else None

    @property
    def plan_changed(self) -> bool:
        return self.plan != self.plan_shown

    def applicant_value(self, attribute: str) -> str:
        return str(getattr(self, attribute))

    def form_value(self, key: str) -> str:
        if key in self.form:
            return self.form[key]
        attribute = APPLICANT_DEFAULTS.get(key)
        return self.applicant_value(attribute) if attribute else ""


def new_walk_in(plan: str = "") -> WalkIn:
    return WalkIn(key=str(uuid.uuid4()), plan=plan, plan_shown=plan)


def _prefixed(data: QueryDict, prefix: str) -> dict[str, str]:
    return {k[len(prefix) :]: data.get(k, "") for k in data if k.startswith(prefix)}


def parse_walk_in(data: QueryDict) -> WalkIn:
    key = data.get("idempotency_key", "").strip()
    if not 1 <= len(key) <= 100:
        key = str(uuid.uuid4())
    state = WalkIn(
        key=key,
        plan=data.get("plan", "").strip(),
        plan_shown=data.get("plan_shown", "").strip(),
        step=data.get("step", STEP_REFRESH),
        kind=data.get("applicant_kind", ApplicantKind.PERSON),
        id_number=data.get("applicant_id_number", "").strip().upper(),
        name=data.get("applicant_name", "").strip(),
        phone=data.get("applicant_phone", "").strip(),
        acting_as=data.get("acting_as", ActingAs.SELF),
        agent_name=data.get("agent_name", "").strip(),
        agent_id_number=data.get("agent_id_number", "").strip().upper(),
        proxy_mandate=data.get("proxy_mandate", "").strip(),
        proxy_consent=data.get("proxy_consent", "").strip(),
        proxy_consent_reference=data.get("proxy_consent_reference", "").strip(),
    )
    if state.kind not in ApplicantKind.values:
        state.kind = ApplicantKind.PERSON
    if state.acting_as not in ActingAs.values:
        state.acting_as = ActingAs.SELF
    if state.plan_changed:
        # Another 一件事 or item: its questions, form and materials start afresh.
        return state
    state.form = {k: v.strip() for k, v in _prefixed(data, "f-").items()}
    state.provisions = _prefixed(data, "m-")
    state.uploads = {k: v for k, v in _prefixed(data, "u-").items() if v}
    state.supply_by = _prefixed(data, "d-")
    state.agreed = {k for k, v in _prefixed(data, "c-").items() if v}
    state.licence_consent = data.get("licence_consent") == "1"
    return state


def parse_date(raw: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
