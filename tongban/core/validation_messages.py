"""Chinese wording for pydantic validation errors, shared by the API and the file importers."""

from __future__ import annotations

from typing import Any

# The error types callers meet most; anything else keeps pydantic's English message.
MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的键（请检查拼写）",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "string_pattern_mismatch": "格式不正确",
    "json_invalid": "不是有效的JSON",
    "model_attributes_type": "应为对象（键: 值）",
    "model_type": "应为对象（键: 值）",
    "dict_type": "应为对象（键: 值）",
}

BOUNDS = {
    "greater_than_equal": ("不能小于", "ge"),
    "less_than_equal": ("不能大于", "le"),
    "greater_than": ("应大于", "gt"),
    "less_than": ("应小于", "lt"),
}


def chinese_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind in BOUNDS:
        words, key = BOUNDS[kind]
        return f"{words} {ctx.get(key, '')}".strip()
    if kind == "string_too_short":
        return "不能为空" if ctx.get("min_length") == 1 else f"至少 {ctx.get('min_length')} 个字符"
    if kind == "string_too_long":
        return f"不能超过 {ctx.get('max_length')} 个字符"
    if kind == "too_short":
        return f"至少需要 {ctx.get('min_length')} 项"
    if kind == "too_long":
        return f"不能超过 {ctx.get('max_length')} 项"
    if kind == "literal_error" and "expected" in ctx:
        return f"应为 {ctx['expected']}"
    return MESSAGES.get(kind, str(error.get("msg", "输入无效")))
