"""Each lint rule: a clean item passes; breaking the rule gives exactly that rule's error."""

from __future__ import annotations

from typing import Any

import pytest

from tongban.catalog.lint import (
    lint_bundle,
    lint_catalog,
    lint_field_kinds,
    lint_item,
)
from tongban.catalog.spec import CatalogSpec

from .catalog_factories import item_data, make_bundle, make_item


def errors(problems: list[Any]) -> set[str]:
    return {p.rule for p in problems if p.is_error}


def warnings(problems: list[Any]) -> set[str]:
    return {p.rule for p in problems if not p.is_error}


def test_a_clean_item_has_no_errors_or_warnings() -> None:
    assert lint_item(make_item(), departments={"yy-gongan"}) == []


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        # 全程网办 ⇒ 0 visits (and a visit needs its reason, given here so only one rule fires).
        ({"visits": 1, "visits_reason": "核验原件"}, "online_visits"),
        ({"online_depth": "网上预审", "visits": 1}, "visits_reason"),
        ({"promised_limit": {"days": 25}}, "promised_exceeds_statutory"),
        # 20 natural days are 15 working days: a 16-working-day promise exceeds them.
        (
            {"statutory_limit": {"days": 20, "unit": "自然日"}, "promised_limit": {"days": 16}},
            "promised_exceeds_statutory",
        ),
        ({"online_depth": "表格下载", "delivery": ["窗口领取"]}, "mail_delivery"),
        ({"promised_limit": {"days": 0}}, "promised_limit_missing"),
        ({"case_kind": "即办件"}, "immediate_with_limit"),
        (
            {"materials": [{"key": "x", "name": "证照", "source": "电子证照"}]},
            "licence_type_missing",
        ),
        ({"materials": [{"key": "x", "name": "核验", "source": "数据核验"}]}, "register_missing"),
        (
            {"materials": [{"key": "x", "name": "承诺", "source": "告知承诺"}]},
            "commitment_missing",
        ),
        ({"department": "nowhere"}, "department"),
    ],
)
def test_each_item_rule_reports_its_error(overrides: dict[str, Any], rule: str) -> None:
    problems = lint_item(make_item(**overrides), departments={"yy-gongan"})
    assert errors(problems) == {rule}


def test_zero_visits_not_online_with_mail_delivery_is_fine() -> None:
    item = make_item(online_depth="表格下载", delivery=["窗口领取", "邮寄"])
    assert errors(lint_item(item)) == set()


def test_immediate_item_with_zero_promise_is_fine() -> None:
    assert errors(lint_item(make_item(case_kind="即办件", promised_limit={"days": 0}))) == set()


def test_warnings_do_not_count_as_errors() -> None:
    item = make_item(legal_basis="", steps=[], materials=[], promised_limit={"days": 20})
    problems = lint_item(item)
    assert errors(problems) == set()
    assert warnings(problems) == {
        "legal_basis_missing",
        "steps_missing",
        "no_materials",
        "no_compression",
    }


QUESTIONS: list[dict[str, Any]] = [
    {"key": "local", "text": "是否本地户籍？", "kind": "是否"},
    {
        "key": "kind",
        "text": "企业类型",
        "kind": "单选",
        "options": [{"value": "llc", "label": "有限公司"}, {"value": "sole", "label": "个人独资"}],
        "when": {"==": [{"var": "local"}, "yes"]},
    },
]


def test_conditions_on_existing_questions_and_options_pass() -> None:
    item = make_item(
        questions=QUESTIONS,
        materials=[
            {"key": "a", "name": "章程", "when": {"==": [{"var": "kind"}, "llc"]}},
        ],
    )
    assert errors(lint_item(item)) == set()


@pytest.mark.parametrize(
    ("when", "fragment"),
    [
        ({"==": [{"var": "nope"}, "yes"]}, "不存在"),
        ({"==": [{"var": "kind"}, "partnership"]}, "没有选项“partnership”"),
        ({"==": [{"var": "local"}, "maybe"]}, "没有选项“maybe”"),
        ({"regex": [{"var": "local"}, "y.*"]}, "不支持的运算符"),
    ],
)
def test_a_condition_must_refer_to_existing_questions_and_options(
    when: dict[str, Any], fragment: str
) -> None:
    item = make_item(questions=QUESTIONS, materials=[{"key": "a", "name": "章程", "when": when}])
    problems = [p for p in lint_item(item) if p.is_error]
    assert [p.rule for p in problems] == ["condition"]
    assert fragment in problems[0].message


def test_a_question_condition_may_not_read_a_later_question() -> None:
    later_first = [QUESTIONS[1] | {"when": {"==": [{"var": "local"}, "yes"]}}, QUESTIONS[0]]
    problems = lint_item(make_item(questions=later_first, materials=[]))
    assert "condition" in errors(problems)


def test_an_unused_question_is_a_warning() -> None:
    problems = lint_item(make_item(questions=[QUESTIONS[0]]))
    assert warnings(problems) == {"unused_question"}


def test_a_shared_field_key_must_have_one_kind_across_items() -> None:
    first = make_item(
        "T1", fields=[{"key": "applicant.phone", "label": "电话", "kind": "手机号码"}]
    )
    second = make_item("T2", fields=[{"key": "applicant.phone", "label": "电话", "kind": "文本"}])
    same = make_item("T3", fields=[{"key": "applicant.phone", "label": "手机", "kind": "手机号码"}])
    assert lint_field_kinds([first, same]) == []
    problems = lint_field_kinds([first, same, second])
    assert [(p.rule, p.subject) for p in problems] == [("field_kind_conflict", "T2")]


def test_bundle_edges_must_join_members_and_name_real_materials() -> None:
    items = {code: make_item(code) for code in ("T1", "T2", "T3")}
    clean = make_bundle(["T1", "T2"], [("T1", "T2")])
    assert errors(lint_bundle(clean, items, published={"T1", "T2"})) == set()
    outside = make_bundle(["T1", "T2"], [("T1", "T3")])
    assert errors(lint_bundle(outside, items)) == {"edge_not_member"}
    bad_material = make_bundle(
        ["T1", "T2"], edges=[{"from": "T1", "to": "T2", "satisfies": "nope"}]
    )
    assert errors(lint_bundle(bad_material, items)) == {"satisfies_unknown"}
    assert errors(lint_bundle(clean, items, published={"T1"})) == {"member_unpublished"}
    assert errors(lint_bundle(make_bundle(["T1", "T9"]), items)) == {"member_unknown"}


def test_a_cycle_is_refused_and_named() -> None:
    items = {
        code: make_item(code, name=name)
        for code, name in [("T1", "甲"), ("T2", "乙"), ("T3", "丙")]
    }
    bundle = make_bundle(["T1", "T2", "T3"], [("T1", "T2"), ("T2", "T3"), ("T3", "T1")])
    problems = [p for p in lint_bundle(bundle, items) if p.is_error]
    assert [p.rule for p in problems] == ["cycle"]
    assert "甲 → 乙 → 丙 → 甲" in problems[0].message


def test_a_shared_question_key_must_be_the_same_question() -> None:
    yes_no = {"key": "local", "text": "是否本地户籍？", "kind": "是否"}
    single = {
        "key": "local",
        "text": "户籍地",
        "kind": "单选",
        "options": [{"value": "here", "label": "本市"}, {"value": "away", "label": "外地"}],
    }
    items = {"T1": make_item("T1", questions=[yes_no]), "T2": make_item("T2", questions=[single])}
    bundle = make_bundle(["T1", "T2"], questions=[yes_no])
    assert "question_conflict" in errors(lint_bundle(bundle, items))


def test_member_conditions_may_only_read_bundle_questions() -> None:
    items = {"T1": make_item("T1")}
    bundle = make_bundle([{"item": "T1", "when": {"==": [{"var": "x"}, "yes"]}}])
    assert errors(lint_bundle(bundle, items)) == {"condition"}


def test_lint_catalog_checks_departments_listed_in_the_file() -> None:
    catalog = CatalogSpec.model_validate(
        {"format": "tongban-catalog/1", "items": [item_data(department="new-dept")]}
    )
    assert "department" in errors(lint_catalog(catalog, departments={"yy-gongan"}))
