"""What the public catalog pages show, built from specs, checklists and metrics.

Plain dictionaries and lists with Chinese labels already filled in, so templates stay free
of lookups and the views stay thin. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from .checklist import Checklist, ChecklistMaterial
from .enums import (
    Audience,
    CaseKind,
    CrossRegion,
    Delivery,
    FieldKind,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialFormat,
    MaterialSource,
    Necessity,
    OnlineDepth,
    QuestionKind,
    ResultType,
    ServiceObject,
)
from .plan import Plan, promised_working_days, working_days
from .spec import BundleSpec, ItemSpec, Limit, MaterialSpec, QuestionSpec

Row = dict[str, Any]


def label(enum: type[models.Choices], value: Any) -> str:
    return str(enum(value).label)


def limit_text(limit: Limit) -> str:
    return f"{limit.days} 个{label(LimitUnit, limit.unit)}"


def promise_text(item: ItemSpec) -> str:
    if item.case_kind == CaseKind.IMMEDIATE:
        return "即办"
    return limit_text(item.promised_limit)


def days_text(days: int) -> str:
    return "即办" if days == 0 else f"{days} 个工作日"


def item_names(plan: Plan, codes: Iterable[str]) -> list[str]:
    by_code = {item.code: item.name for item in plan.items}
    return [by_code[code] for code in codes if code in by_code]


# ---------------------------------------------------------------- browsing


def item_row(item: ItemSpec, names: Mapping[str, str]) -> Row:
    return {
        "code": item.code,
        "name": item.name,
        "department": names.get(item.department, item.department),
        "type": label(ItemType, item.type),
        "case_kind": label(CaseKind, item.case_kind),
        "promise": promise_text(item),
        "visits": item.visits,
        "online": label(OnlineDepth, item.online_depth),
        "fully_online": item.online_depth == OnlineDepth.FULLY_ONLINE,
        "objects": "、".join(label(ServiceObject, o) for o in item.service_objects),
    }


def bundle_sections(bundles: list[BundleSpec], names: Mapping[str, str]) -> list[Row]:
    """个人 then 法人, each grouped by theme (themes in order of first appearance)."""
    sections = []
    for audience, audience_label in Audience.choices:
        themes: dict[str, list[Row]] = {}
        for bundle in bundles:
            if bundle.audience != audience:
                continue
            themes.setdefault(bundle.theme or "其他", []).append(
                {
                    "code": bundle.code,
                    "name": bundle.name,
                    "description": bundle.description,
                    "items": len(bundle.items),
                    "lead": names.get(bundle.lead_department, bundle.lead_department),
                }
            )
        sections.append(
            {
                "code": audience,
                "label": audience_label,
                "themes": [{"name": k, "bundles": v} for k, v in themes.items()],
                "count": sum(len(v) for v in themes.values()),
            }
        )
    return sections


def department_options(
    items: Iterable[ItemSpec], names: Mapping[str, str]
) -> list[tuple[str, str]]:
    codes = {item.department for item in items}
    return sorted(((c, names.get(c, c)) for c in codes), key=lambda pair: pair[1])


def items_by_department(items: Iterable[ItemSpec], names: Mapping[str, str]) -> list[Row]:
    groups: dict[str, list[ItemSpec]] = {}
    for item in items:
        groups.setdefault(item.department, []).append(item)
    return [
        {
            "code": code,
            "name": names.get(code, code),
            "items": [item_row(i, names) for i in sorted(found, key=lambda i: i.name)],
        }
        for code, found in sorted(groups.items(), key=lambda kv: names.get(kv[0], kv[0]))
    ]


# ---------------------------------------------------------------- 办事指南


def _option_label(question: QuestionSpec, value: Any) -> str:
    return dict(question.option_pairs()).get(str(value), str(value))


def describe_condition(
    condition: dict[str, Any] | None, questions: Mapping[str, QuestionSpec]
) -> str:
    """A simple JSONLogic condition in words ("“父母是否已登记结婚？”为“是”时"); anything
    more complex reads as 视情形."""
    if condition is None:
        return ""
    text = _describe(condition, questions)
    return f"{text}时" if text else "视情形"


def _describe(node: Any, questions: Mapping[str, QuestionSpec]) -> str:
    if not isinstance(node, dict) or len(node) != 1:
        return ""
    op, args = next(iter(node.items()))
    if op in ("and", "or") and isinstance(args, list):
        parts = [_describe(a, questions) for a in args]
        return "" if not all(parts) else ("且" if op == "and" else "或").join(parts)
    if not isinstance(args, list) or len(args) != 2:
        return ""
    var, value = args
    if op == "in" and not isinstance(value, list):
        var, value = value, var  # {"in": ["option", {"var": "multi"}]}: the answer includes it
    if not (isinstance(var, dict) and "var" in var) or isinstance(value, dict):
        return ""
    question = questions.get(str(var["var"]))
    if question is None:
        return ""
    if isinstance(value, list):  # {"in": [{"var": "q"}, ["a", "b"]]}: one of these answers
        if op != "in" or not value:
            return ""
        chosen = "或".join(f"“{_option_label(question, v)}”" for v in value)
        return f"“{question.text}”为{chosen}"
    words = {"==": "为", "===": "为", "!=": "不为", "!==": "不为", "in": "包含"}
    if op in words:
        return f"“{question.text}”{words[op]}“{_option_label(question, value)}”"
    compare = {">": "大于", ">=": "不少于", "<": "小于", "<=": "不超过"}
    if op in compare and question.kind == QuestionKind.NUMBER:
        return f"“{question.text}”{compare[op]}{value}"
    return ""


def _source_text(material: MaterialSpec) -> str:
    if material.source == MaterialSource.LICENCE:
        return "免提交（电子证照：持有有效证照且同意调用的；否则上传）"
    if material.source == MaterialSource.DATA_CHECK:
        register = f"：{material.data_register}" if material.data_register else ""
        return f"免提交（数据核验{register}）"
    if material.source == MaterialSource.CANCELLED:
        return "已取消，无需提交"
    return label(MaterialSource, material.source)


def material_row(material: MaterialSpec, questions: Mapping[str, QuestionSpec]) -> Row:
    return {
        "name": material.name,
        "form": label(MaterialForm, material.form),
        "format": label(MaterialFormat, material.format),
        "copies": material.copies,
        "necessity": label(Necessity, material.necessity),
        "deferrable": material.necessity == Necessity.DEFERRABLE,
        "source": _source_text(material),
        "free": material.source in (MaterialSource.LICENCE, MaterialSource.DATA_CHECK),
        "cancelled": material.source == MaterialSource.CANCELLED,
        "commitment": material.commitment if material.source == MaterialSource.COMMITMENT else "",
        "standard": material.standard,
        "when": describe_condition(material.when, questions),
    }


def item_guide(item: ItemSpec, names: Mapping[str, str]) -> Row:
    questions = {q.key: q for q in item.questions}
    return {
        "department": names.get(item.department, item.department),
        "type": label(ItemType, item.type),
        "objects": "、".join(label(ServiceObject, o) for o in item.service_objects),
        "case_kind": label(CaseKind, item.case_kind),
        "immediate": item.case_kind == CaseKind.IMMEDIATE,
        "statutory": limit_text(item.statutory_limit),
        "promised": promise_text(item),
        "statutory_working_days": working_days(item.statutory_limit),
        "promised_working_days": promised_working_days(item),
        "online": label(OnlineDepth, item.online_depth),
        "online_apply": item.online_depth >= OnlineDepth.PRE_REVIEW,
        "cross_region": label(CrossRegion, item.cross_region),
        "delivery": "、".join(label(Delivery, d) for d in item.delivery) or "—",
        "result": f"{item.result.name}（{label(ResultType, item.result.type)}）",
        "materials": [material_row(m, questions) for m in item.materials],
        "questions": [
            {
                "text": q.text,
                "kind": label(QuestionKind, q.kind),
                "options": "、".join(lbl for _, lbl in q.option_pairs()),
                "help": q.help,
                "when": describe_condition(q.when, questions),
            }
            for q in item.questions
        ],
        "fields": [
            {
                "label": f.label,
                "kind": label(FieldKind, f.kind),
                "required": f.required,
                "when": describe_condition(f.when, questions),
            }
            for f in item.fields
        ],
    }


# ---------------------------------------------------------------- 情形引导 result


def _free_reason(material: ChecklistMaterial, item_name: Mapping[str, str]) -> str:
    if material.produced_by is not None:
        upstream = item_name.get(material.produced_by, material.produced_by)
        return f"本件事内生成：“{upstream}”办结后自动流转"
    if material.source == MaterialSource.LICENCE:
        return "电子证照：持有有效证照且同意调用的免提交"
    if material.source == MaterialSource.DATA_CHECK:
        return f"数据核验：{material.register}" if material.register else "数据核验"
    return label(MaterialSource, material.source)


def checklist_view(plan: Plan, checklist: Checklist, names: Mapping[str, str]) -> Row:
    """The checklist split the way an applicant acts on it."""
    item_name = {item.code: item.name for item in plan.items}
    provide, agree, free = [], [], []
    for material in checklist.materials:
        row = {
            "key": material.key,
            "name": material.name,
            "form": label(MaterialForm, material.form),
            "format": label(MaterialFormat, material.format),
            "copies": material.copies,
            "necessity": label(Necessity, material.necessity),
            "deferrable": material.necessity == Necessity.DEFERRABLE,
            "optional": material.necessity == Necessity.OPTIONAL,
            "standard": material.standard,
            "commitment": material.commitment,
            "items": [item_name.get(c, c) for c in material.items],
            "reason": "",
        }
        if material.applicant_provides:
            provide.append(row)
        elif material.applicant_agrees:
            agree.append(row)
        else:
            row["reason"] = _free_reason(material, item_name)
            free.append(row)
    return {
        "provide": provide,
        "agree": agree,
        "free": free,
        "fields": [
            {
                "label": f.label,
                "kind": label(FieldKind, f.kind),
                "required": f.required,
                "help": f.help,
                "items": [item_name.get(c, c) for c in f.items],
            }
            for f in checklist.fields
        ],
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "department": names.get(i.department, i.department),
                "promise": days_text(i.promised_days),
                "visits": i.visits,
                "waits_for": [item_name.get(c, c) for c in i.waits_for],
                "critical": i.code in checklist.critical_path,
            }
            for i in checklist.items
        ],
        "promise": days_text(checklist.promised_days),
        "visits": checklist.visits,
    }
