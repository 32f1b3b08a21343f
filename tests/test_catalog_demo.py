"""The demo catalog (tongban/catalog/demo/*.yaml): complete, lint-clean, plausible."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.catalog.catalog_file import parse_catalog_files
from tongban.catalog.checklist import build_checklist
from tongban.catalog.demo import demo_catalog_files, load_demo_catalog
from tongban.catalog.lint import lint_catalog
from tongban.catalog.metrics import plan_metrics
from tongban.catalog.models import Bundle, ItemVersion
from tongban.catalog.plan import Plan
from tongban.core.demo import DEPARTMENTS

CATALOG = parse_catalog_files(demo_catalog_files())
ITEMS = CATALOG.items_by_code()
PLANS = {b.code: Plan.for_bundle(b, ITEMS) for b in CATALOG.bundles}

NATIONAL_FIRST_BATCH = [
    "新生儿出生",
    "教育入学",
    "企业信息变更",
    "开办运输企业",
    "开办餐饮店",
    "企业破产信息核查",
    "社会保障卡",
    "残疾人服务",
    "退休",
    "水电气网联合报装",
    "信用修复",
    "军人退役",
    "身后",
]
HUNAN = [
    "企业开办",
    "教师资格认定",
    "1160",
    "公证",
    "居民个人信息变更",
    "公职人员入职",
    "困难群众救助",
]


def test_the_demo_says_it_is_sample_data() -> None:
    assert "演示数据" in CATALOG.note
    for path in demo_catalog_files():
        with open(path, encoding="utf-8") as handle:
            assert "演示数据" in handle.read(2000), path


def test_size_and_coverage() -> None:
    assert len(CATALOG.items) >= 60
    assert len(CATALOG.bundles) >= 18
    names = [b.name for b in CATALOG.bundles]
    for wanted in NATIONAL_FIRST_BATCH + HUNAN:
        assert any(wanted in name for name in names), wanted
    with_questions = [
        b.code for b in CATALOG.bundles if any(True for _ in PLANS[b.code].question_sequence())
    ]
    assert len(with_questions) >= 12
    departments = {i.department for i in CATALOG.items}
    assert len(departments) >= 15


def test_lint_has_no_errors() -> None:
    known = {d.code for d in DEPARTMENTS}
    problems = [p for p in lint_catalog(CATALOG, departments=known) if p.is_error]
    assert problems == []


@pytest.mark.parametrize("code", sorted(PLANS))
def test_every_bundle_has_plausible_metrics(code: str) -> None:
    metrics = plan_metrics(PLANS[code])
    assert metrics.items >= 1
    assert metrics.days.after <= metrics.days.before
    assert metrics.materials.after <= metrics.materials.before
    assert metrics.steps.after <= metrics.steps.before
    assert metrics.visits.after <= 1, "a bundle should need at most one visit"
    if metrics.items > 1:
        assert metrics.time_reduction is not None
        assert metrics.time_reduction > 0


@pytest.mark.parametrize("code", sorted(PLANS))
def test_every_bundle_can_be_answered_to_the_end(code: str) -> None:
    """Answer every open question with its first option (or 1) until nothing is left."""
    plan = PLANS[code]
    answers: dict[str, Any] = {}
    for _ in range(50):
        checklist = build_checklist(plan, answers)
        if checklist.complete:
            break
        for question in checklist.questions:
            first = question.options[0][0] if question.options else 1
            answers[question.key] = [first] if question.kind == "multiple" else first
    assert checklist.complete
    assert checklist.items, "no item would be handled"


def test_newborn_asks_the_real_questions() -> None:
    newborn = next(b for b in CATALOG.bundles if "新生儿出生" in b.name)
    texts = " ".join(q.text for q, _ in PLANS[newborn.code].question_sequence())
    for topic in ("户籍", "出生", "社会保障卡", "医疗保险"):
        assert topic in texts, topic


def test_loading_twice_changes_nothing(demo: None) -> None:
    first = load_demo_catalog()
    assert first.count("added") == len(CATALOG.items) + len(CATALOG.bundles) + len(
        CATALOG.departments
    )
    versions = ItemVersion.objects.count()
    again = load_demo_catalog()
    assert again.count("added") == again.count("changed") == 0
    assert ItemVersion.objects.count() == versions
    assert Bundle.objects.filter(published__isnull=False).count() == len(CATALOG.bundles)
