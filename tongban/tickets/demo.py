"""Demo 派单目录 entries for Yueyang's departments (tongban/core/demo.py); idempotent:
rules are matched on their name and rewritten only when something differs."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from tongban.core.models import Department

from .models import DispatchRule


@dataclass(frozen=True)
class DemoRule:
    name: str
    lead: str
    keywords: tuple[str, ...]
    co: tuple[str, ...] = ()
    item_code: str = ""
    priority: int = 0


DEMO_RULES: list[DemoRule] = [
    DemoRule("户籍与身份证", "yy-gongan", ("户口", "身份证", "落户", "迁移", "户籍")),
    DemoRule("医保", "yy-yibao", ("医保", "医疗保险", "报销", "异地就医")),
    DemoRule("社保卡与养老", "yy-renshe", ("社保卡", "养老", "社保", "退休", "失业")),
    DemoRule(
        "营业执照与食品",
        "yy-shichang",
        ("营业执照", "食品", "个体户", "市场监管", "商标"),
        co=("yy-shuiwu",),
    ),
    DemoRule("住房", "yy-zhujian", ("住房", "物业", "房屋", "加装电梯", "公租房")),
    DemoRule("公积金", "yy-gongjijin", ("公积金", "提取", "贷款")),
    DemoRule(
        "办不成事与窗口服务",
        "yy-zhengwu",
        ("办不成事", "窗口", "排队", "大厅", "跑了"),
        priority=-1,  # the service centre takes what no line department claims
    ),
]


@transaction.atomic
def load_demo_dispatch_rules() -> int:
    """Create or update the demo rules; returns how many rows were created or changed."""
    codes = {r.lead for r in DEMO_RULES} | {c for r in DEMO_RULES for c in r.co}
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
    changed = 0
    for item in DEMO_RULES:
        lead = departments.get(item.lead)
        if lead is None:  # demo departments not loaded: nothing to point at
            continue
        values = {
            "keywords": list(item.keywords),
            "item_code": item.item_code,
            "lead_department": lead,
            "priority": item.priority,
            "is_active": True,
        }
        rule = DispatchRule.objects.filter(name=item.name).first()
        if rule is None:
            rule = DispatchRule.objects.create(name=item.name, **values)
            changed += 1
        else:
            different = [k for k, v in values.items() if getattr(rule, k) != v]
            if different:
                for key in different:
                    setattr(rule, key, values[key])
                rule.save(update_fields=different)
                changed += 1
        co = [departments[c] for c in item.co if c in departments]
        if {d.pk for d in rule.co_departments.all()} != {d.pk for d in co}:
            rule.co_departments.set(co)
            changed += 1
    return changed
