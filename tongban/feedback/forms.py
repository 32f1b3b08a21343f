"""Forms of the 好差评 pages. They only turn posted fields into the arguments the actions
take (and say in Chinese when a field is not even of the right shape); the rules — a 差评
needs a reason, who may act, which transition is allowed — stay in actions.py.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms

from .actions import MIN_BAD_COMMENT
from .enums import (
    OFFLINE_INDICATORS,
    ONLINE_INDICATORS,
    Finding,
    FollowUpMethod,
    Level,
)

# Highest first: the way the national interfaces and the paper cards list them.
LEVEL_CHOICES = sorted(Level.choices, key=lambda c: -c[0])
LEVEL_FACES = {5: "😀", 4: "🙂", 3: "😐", 2: "🙁", 1: "😠"}
SCORE_CHOICES = [(str(n), str(n)) for n in range(5, 0, -1)]
REQUIRED = {"required": "请选择评价等级", "invalid_choice": "评价等级须为1至5"}


def indicator_key(index: int) -> str:
    return f"indicator_{index}"


class RatingForm(forms.Form):
    """One rating: the level, the channel's indicators (each 1–5, optional), a comment, and
    whether the department may see who rated."""

    level = forms.TypedChoiceField(
        label="总体评价", choices=LEVEL_CHOICES, coerce=int, error_messages=REQUIRED
    )
    comment = forms.CharField(
        label="评价内容",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"选择“不满意”或“非常不满意”时请说明原因（至少{MIN_BAD_COMMENT}个字），以便整改。",
        error_messages={"max_length": "评价内容最多%(limit_value)d个字"},
    )
    anonymous = forms.BooleanField(label="匿名评价（被评价单位看不到您的姓名）", required=False)

    def __init__(self, *args: Any, offline: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indicator_names = OFFLINE_INDICATORS if offline else ONLINE_INDICATORS
        for index, name in enumerate(self.indicator_names):
            self.fields[indicator_key(index)] = forms.TypedChoiceField(
                label=name,
                choices=SCORE_CHOICES,
                coerce=int,
                required=False,
                empty_value=None,
                error_messages={"invalid_choice": f"“{name}”的评分须为1至5"},
            )

    def indicators(self) -> dict[str, int]:
        scores = {}
        for index, name in enumerate(self.indicator_names):
            score = self.cleaned_data.get(indicator_key(index))
            if score is not None:
                scores[name] = score
        return scores

    def indicator_rows(self) -> list[dict[str, Any]]:
        """Each indicator with its bound field and the value chosen (for re-rendering)."""
        rows = []
        for index, name in enumerate(self.indicator_names):
            bound = self[indicator_key(index)]
            rows.append(
                {
                    "name": name,
                    "field": bound,
                    "value": str(bound.value() or ""),
                    "choices": [c[0] for c in SCORE_CHOICES],
                }
            )
        return rows

    def level_rows(self) -> list[dict[str, Any]]:
        chosen = str(self["level"].value() or "")
        return [
            {
                "value": value,
                "label": label,
                "face": LEVEL_FACES[value],
                "checked": chosen == str(value),
            }
            for value, label in LEVEL_CHOICES
        ]


class ReRateForm(forms.Form):
    """二次评价: the rater's answer to the department's reply."""

    re_level = forms.TypedChoiceField(
        label="对整改答复的评价", choices=LEVEL_CHOICES, coerce=int, error_messages=REQUIRED
    )


# ---------------------------------------------------------------- the desk


class FollowUpForm(forms.Form):
    method = forms.ChoiceField(
        label="回访方式",
        choices=FollowUpMethod.choices,
        error_messages={"required": "请选择回访方式", "invalid_choice": "请选择回访方式"},
    )
    notes = forms.CharField(
        label="回访记录", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ResolveForm(forms.Form):
    finding = forms.ChoiceField(
        label="核实结论",
        choices=Finding.choices,
        error_messages={"required": "请选择核实结论", "invalid_choice": "请选择核实结论"},
    )
    fix = forms.CharField(
        label="整改措施或解释说明",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reply = forms.CharField(
        label="答复评价人",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AppealForm(forms.Form):
    reason = forms.CharField(
        label="申诉理由", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    """The unit closes a replied rectification (the rater did not rate again)."""


class ReviewForm(forms.Form):
    uphold = forms.TypedChoiceField(
        label="复核结论",
        choices=[("1", "申诉成立（不计差评）"), ("0", "申诉不成立（退回整改）")],
        coerce=lambda v: v == "1",
        error_messages={"required": "请选择复核结论", "invalid_choice": "请选择复核结论"},
    )
    decision = forms.CharField(
        label="复核意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


# What each transition of transitions.TRANSITIONS asks for on the desk. The supervisor's two
# review outcomes share one form.
DESK_FORMS: dict[str, type[forms.Form]] = {
    "follow_up": FollowUpForm,
    "resolve": ResolveForm,
    "appeal": AppealForm,
    "close": CloseForm,
    "review_appeal": ReviewForm,
}
REVIEW_ACTIONS = frozenset({"uphold_appeal", "reject_appeal"})


def form_errors(form: forms.Form) -> list[str]:
    """A form's errors as plain Chinese sentences."""
    return [str(message) for errors in form.errors.values() for message in errors]


# ---------------------------------------------------------------- periods


class PeriodForm(forms.Form):
    """The supervisor's period filter: both ends optional, inclusive."""

    start = forms.DateField(
        label="开始日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "开始日期格式应为 YYYY-MM-DD"},
    )
    end = forms.DateField(
        label="结束日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "结束日期格式应为 YYYY-MM-DD"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError("开始日期不能晚于结束日期")
        return data


FIRST_PUBLIC_YEAR = 2020  # 国办发〔2019〕51号: every platform rated by the end of 2020


class PublicPeriodForm(forms.Form):
    """The public page's period: a year, optionally one month of it."""

    year = forms.TypedChoiceField(label="年份", coerce=int, choices=())
    month = forms.TypedChoiceField(
        label="月份",
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "全年")] + [(str(m), f"{m}月") for m in range(1, 13)],
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        years = range(today.year, FIRST_PUBLIC_YEAR - 1, -1)
        self.fields["year"].choices = [(str(y), f"{y}年") for y in years]  # type: ignore[attr-defined]
        self.today = today

    def period(self) -> tuple[datetime.date, datetime.date, str]:
        """The first and last day and how to name it; the current year when invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        year = data.get("year") or self.today.year
        month = data.get("month")
        if month:
            start = datetime.date(year, month, 1)
            following = datetime.date(year + month // 12, month % 12 + 1, 1)
            return start, following - datetime.timedelta(days=1), f"{year}年{month}月"
        return datetime.date(year, 1, 1), datetime.date(year, 12, 31), f"{year}年"
