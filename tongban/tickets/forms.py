"""Forms of the 12345 工单 pages. They only turn posted fields into the arguments the use
cases take (and say in Chinese when a field is not even of the right shape); the rules — a
退单 needs a reason of 10 characters, who may act, which transition is allowed — stay in
actions.py and followup.py, so the pages and the API give the same answers.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from tongban.core.models import Department

from .enums import Satisfaction, TicketType

SMALL = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}
CHECK = {"class": "form-check-input"}
CHOOSE = {"required": "请选择{what}", "invalid_choice": "请选择{what}"}

# What a citizen or company may file online: no 应急 (that is 110/119/120, or a phone call).
CITIZEN_TYPES = [c for c in TicketType.choices if c[0] != TicketType.EMERGENCY]
BBCS_PREFIX = "【办不成事】"  # the 派单目录 sends "办不成事" to the service centre


def _choose(what: str) -> dict[str, str]:
    return {key: text.format(what=what) for key, text in CHOOSE.items()}


def _text(label: str, max_length: int = 2000, *, rows: int = 3, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.Textarea(attrs={**SMALL, "rows": rows, "maxlength": max_length, **attrs}),
        error_messages={"max_length": f"{label}最多%(limit_value)d个字"},
    )


def _line(label: str, max_length: int = 200, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=forms.TextInput(attrs={**SMALL, "maxlength": max_length, **attrs}),
        error_messages={"max_length": f"{label}最多%(limit_value)d个字"},
    )


class TestIdsMixin:
    """Every widget gets data-testid "<prefix>-<field>" (the browser tests find them so)."""

    testid_prefix = ""
    fields: dict[str, forms.Field]

    def _tag(self) -> None:
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("data-testid", f"{self.testid_prefix}-{name}")


# ---------------------------------------------------------------- intake


class NewTicketForm(TestIdsMixin, forms.Form):
    """受理 by the 12345 operator (phone, web, app) or the 办不成事 window clerk (window)."""

    testid_prefix = "new"
    type = forms.ChoiceField(
        label="诉求类型",
        choices=TicketType.choices,
        widget=forms.Select(attrs=SELECT),
        error_messages=_choose("诉求类型"),
    )
    channel = forms.ChoiceField(
        label="受理渠道",
        choices=(),
        widget=forms.Select(attrs=SELECT),
        error_messages=_choose("受理渠道"),
    )
    title = _line("标题")
    content = _text("诉求内容", 5000, rows=5)
    caller_name = _line("来电人姓名", 64)
    caller_phone = _line("联系电话", 20, inputmode="tel")
    caller_id_number = _line("来电人身份证号（选填，用于关联其账号，不保存）", 18)
    item_code = _line("相关事项基本编码（选填，12位）", 12)

    def __init__(self, *args: Any, channels: list[tuple[str, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "new-%s")
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channels  # type: ignore[attr-defined]
        self._tag()


class CitizenTicketForm(TestIdsMixin, forms.Form):
    """A citizen's or company's own 诉求 on the website (channel 网站)."""

    testid_prefix = "file"
    type = forms.ChoiceField(
        label="诉求类型",
        choices=CITIZEN_TYPES,
        widget=forms.RadioSelect,
        error_messages=_choose("诉求类型"),
    )
    bbcs = forms.BooleanField(
        label="这是“办不成事”反映（在窗口或网上办事没办成）",
        required=False,
        widget=forms.CheckboxInput(attrs=CHECK),
    )
    title = _line("标题")
    content = _text("诉求内容", 5000, rows=6)
    caller_phone = _line("联系电话（不填则使用账号手机号）", 20, inputmode="tel")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "file-%s")
        super().__init__(*args, **kwargs)
        self._tag()

    def title_for_ticket(self) -> str:
        """The title as filed: a 办不成事 report is marked so the catalogue finds it."""
        title = (self.cleaned_data.get("title") or "").strip()
        if self.cleaned_data.get("bbcs") and title and not title.startswith(BBCS_PREFIX):
            return (BBCS_PREFIX + title)[:200]
        return title


# ---------------------------------------------------------------- the actions on one ticket


def department_choices() -> list[tuple[str, str]]:
    return [(d.code, d.name) for d in Department.objects.filter(is_active=True).order_by("code")]


class ActionForm(TestIdsMixin, forms.Form):
    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{action}-%s")
        super().__init__(*args, **kwargs)
        self.testid_prefix = action
        self._tag()


class ReplyForm(ActionForm):
    reply = _text("答复内容", 5000, rows=4)


class DispatchForm(ActionForm):
    """派单 / 改派: the lead (empty = the catalogue's suggestion) and co-departments."""

    lead = forms.ChoiceField(
        label="承办单位",
        required=False,
        choices=(),
        widget=forms.Select(attrs=SELECT),
        error_messages=_choose("承办单位"),
    )
    co = forms.MultipleChoiceField(
        label="协办单位（可多选）",
        required=False,
        choices=(),
        widget=forms.SelectMultiple(attrs={**SELECT, "size": 5}),
        error_messages={"invalid_choice": "请从列表中选择协办单位"},
    )

    def __init__(self, *args: Any, departments: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].choices = [("", "按派单建议"), *departments]  # type: ignore[attr-defined]
        self.fields["co"].choices = departments  # type: ignore[attr-defined]


class SignForm(ActionForm):
    """签收 takes nothing but the click."""


class ReturnForm(ActionForm):
    reason = _text("退单理由（至少10个字，说明为何不属本单位职责）")


class ExtensionForm(ActionForm):
    days = forms.IntegerField(
        label="延期工作日",
        required=False,
        widget=forms.NumberInput(attrs={**SMALL, "min": 1, "max": 30, "inputmode": "numeric"}),
        error_messages={"invalid": "延期天数须为整数"},
    )
    reason = _text("延期理由")


class ReviewExtensionForm(ActionForm):
    approve = forms.TypedChoiceField(
        label="审核意见",
        choices=[("1", "同意延期"), ("0", "不同意延期")],
        coerce=lambda v: v == "1",
        widget=forms.Select(attrs=SELECT),
        error_messages=_choose("是否同意延期"),
    )
    note = _text("说明（不同意时必填）", rows=2)


class RemindForm(ActionForm):
    note = _text("催办说明（选填）", rows=2)


class MergeForm(ActionForm):
    into = _line("并入的主工单编号", 32, placeholder="GD…")


class FollowUpForm(ActionForm):
    satisfaction = forms.ChoiceField(
        label="来电人满意度",
        choices=Satisfaction.choices,
        widget=forms.Select(attrs=SELECT),
        error_messages=_choose("满意度"),
    )
    notes = _text("回访记录")
    redo = forms.BooleanField(
        label="不满意，退回承办单位重办", required=False, widget=forms.CheckboxInput(attrs=CHECK)
    )


class CloseForm(ActionForm):
    unreachable = forms.BooleanField(
        label="无法联系来电人（未回访办结）",
        required=False,
        widget=forms.CheckboxInput(attrs=CHECK),
    )
    note = _text("办结说明（无法联系时写明尝试情况）", rows=2)


_NUMBERS = re.compile(r"[\s,，、;；]+")


def numbers(text: str) -> list[str]:
    return [n for n in _NUMBERS.split(text or "") if n]


class LinkForm(ActionForm):
    applications = _line("申请编号（多个用逗号或空格分隔）", 500)
    cases = _line("办件编号（多个用逗号或空格分隔）", 500)


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "answer": ReplyForm,
    "dispatch": DispatchForm,
    "reassign": DispatchForm,
    "sign": SignForm,
    "reply": ReplyForm,
    "return": ReturnForm,
    "request_extension": ExtensionForm,
    "review_extension": ReviewExtensionForm,
    "remind": RemindForm,
    "merge": MergeForm,
    "follow_up": FollowUpForm,
    "close": CloseForm,
    "link": LinkForm,
}


def form_errors(form: forms.Form) -> list[str]:
    """A form's errors as plain Chinese sentences."""
    return [str(message) for errors in form.errors.values() for message in errors]
