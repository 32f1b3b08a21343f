"""Validation of the one merged form (一事一表) against the checklist's fields."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any

from tongban.catalog.checklist import ChecklistField
from tongban.catalog.enums import FieldKind
from tongban.core.errors import DomainError
from tongban.core.identifiers import validate_phone, validate_resident_id, validate_uscc


class InvalidForm(DomainError):
    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("invalid_form", problems, status=400)
        self.problems = problems


def _clean_value(field: ChecklistField, value: Any, today: datetime.date) -> Any:
    """The value in canonical form, or ValueError with a Chinese reason."""
    kind = field.kind
    if kind == FieldKind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("应为数字")
        try:
            number = float(value) if not isinstance(value, int) else value
        except ValueError:
            raise ValueError("应为数字") from None
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError("应为数字")
        return int(number) if isinstance(number, float) and number.is_integer() else number
    if not isinstance(value, str):
        raise ValueError("应为文本")
    text = value.strip()
    if kind == FieldKind.DATE:
        try:
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError("日期格式应为 YYYY-MM-DD，如 2026-11-21") from None
    if kind == FieldKind.CHOICE:
        values = [v for v, _ in field.options]
        if text not in values:
            labels = "、".join(label for _, label in field.options)
            raise ValueError(f"请从以下选项中选择：{labels}")
        return text
    for validator, kinds in (
        (lambda v: validate_resident_id(v, today), {FieldKind.RESIDENT_ID}),
        (validate_uscc, {FieldKind.USCC}),
        (validate_phone, {FieldKind.PHONE}),
    ):
        if kind in kinds:
            check = validator(text)
            if not check.valid:
                raise ValueError(check.reason or "格式不正确")
            return check.normalized
    if len(text) > 1000:
        raise ValueError("内容过长（不超过1000字）")
    return text


def clean_form(
    fields: list[ChecklistField],
    data: Mapping[str, Any],
    today: datetime.date,
    *,
    partial: bool = False,
) -> dict[str, Any]:
    """The form in canonical form; InvalidForm lists every problem at once.

    `partial` (a draft) accepts missing required fields but still rejects malformed values,
    so a draft never stores something that could not be submitted as it is.
    """
    by_key = {f.key: f for f in fields}
    problems: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for key in sorted(data):
        if key not in by_key:
            problems.append({"field": key, "message": f"本申请没有“{key}”这一项"})
    for field in fields:
        value = data.get(field.key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if field.required and not partial and field.kind != FieldKind.FILE:
                problems.append({"field": field.key, "message": f"请填写“{field.label}”"})
            continue
        if field.kind == FieldKind.FILE:
            # File fields are provided as materials; anything here is a client mistake.
            problems.append({"field": field.key, "message": f"“{field.label}”请作为材料上传"})
            continue
        try:
            clean[field.key] = _clean_value(field, value, today)
        except ValueError as exc:
            problems.append({"field": field.key, "message": f"{field.label}：{exc}"})
    if problems:
        raise InvalidForm(problems)
    return clean
