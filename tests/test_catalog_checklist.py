"""The checklist (一事一表): behaviour on the mini catalog, and properties on random plans."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongban.catalog.catalog_file import parse_catalog_text
from tongban.catalog.checklist import InvalidAnswers, build_checklist
from tongban.catalog.plan import Plan
from tongban.catalog.spec import BundleSpec, ItemSpec

from .catalog_factories import item_data

MINI = parse_catalog_text(
    (Path(__file__).parent / "data" / "mini-catalog.yaml").read_text(encoding="utf-8")
)
NEWBORN = Plan.for_bundle(MINI.bundles[0], MINI.items_by_code())


def material_keys(answers: dict[str, Any]) -> list[str]:
    return [m.key for m in build_checklist(NEWBORN, answers).materials]


def test_first_visit_asks_the_bundle_questions_then_the_items() -> None:
    checklist = build_checklist(NEWBORN, {})
    assert [q.key for q in checklist.questions] == ["born_here", "want_card", "married"]
    assert [q.item for q in checklist.questions] == [None, None, "B0001"]
    # Undecided members are not in the plan yet.
    assert [i.code for i in checklist.items] == ["B0001", "C0001"]
    assert not checklist.complete


def test_each_answer_changes_the_materials() -> None:
    assert "marriage_certificate" not in material_keys({})
    assert "marriage_certificate" in material_keys({"married": "yes"})
    married_no = material_keys({"married": "no"})
    assert "paternity_statement" in married_no
    assert "marriage_certificate" not in married_no
    # Born here: the hospital item joins and its birth certificate flows into the hukou item.
    born_here = build_checklist(NEWBORN, {"born_here": "yes"})
    certificate = next(m for m in born_here.materials if m.key == "birth_medical_certificate")
    assert certificate.produced_by == "A0001"
    assert not certificate.applicant_provides
    assert "birth_record" in [m.key for m in born_here.materials]
    # Born elsewhere: the certificate is fetched as an e-licence, nobody produces it here.
    elsewhere = build_checklist(NEWBORN, {"born_here": "no"})
    certificate = next(m for m in elsewhere.materials if m.key == "birth_medical_certificate")
    assert certificate.produced_by is None
    assert certificate.source == "licence"


def test_shared_materials_and_fields_appear_once_with_the_strictest_necessity() -> None:
    checklist = build_checklist(NEWBORN, {"born_here": "no", "want_card": "yes", "married": "yes"})
    keys = [m.key for m in checklist.materials]
    assert len(keys) == len(set(keys))
    id_card = next(m for m in checklist.materials if m.key == "id_card")
    # 非必须 for the hukou item, 必须 for medical insurance and the card.
    assert id_card.necessity == "required"
    assert id_card.items == ["B0001", "C0001", "D0001"]
    fields = [f.key for f in checklist.fields]
    assert fields == ["child.name", "applicant.id_number", "applicant.phone", "mail.address"]
    assert next(f for f in checklist.fields if f.key == "applicant.id_number").items == [
        "B0001",
        "C0001",
    ]


def test_promised_days_follow_the_critical_path_of_the_items_in_play() -> None:
    assert build_checklist(NEWBORN, {}).promised_days == 7  # B(5) → C(2)
    assert build_checklist(NEWBORN, {"born_here": "yes"}).promised_days == 10  # A → B → C
    full = build_checklist(NEWBORN, {"born_here": "yes", "want_card": "yes", "married": "yes"})
    assert (full.promised_days, full.critical_path) == (13, ["A0001", "B0001", "D0001"])
    assert full.visits == 1
    assert full.complete


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        ({"born_here": "maybe"}, "请回答 yes（是）或 no（否）"),
        ({"unknown": "yes"}, "没有标识为“unknown”的问题"),
        ({"want_card": 1}, "请回答"),
    ],
)
def test_an_answer_outside_the_options_is_refused_with_a_reason(
    answers: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(InvalidAnswers) as caught:
        build_checklist(NEWBORN, answers)
    assert caught.value.status == 400
    assert fragment in caught.value.problems[0]["message"]


def test_booleans_are_accepted_for_yes_no() -> None:
    assert build_checklist(NEWBORN, {"married": True}).answers == {"married": "yes"}


def test_answers_to_questions_not_asked_in_this_situation_are_ignored() -> None:
    plan = Plan.for_item(
        ItemSpec.model_validate(
            item_data(
                questions=[
                    {"key": "has_car", "text": "是否有车？", "kind": "是否"},
                    {
                        "key": "cars",
                        "text": "车辆数",
                        "kind": "数字",
                        "when": {"==": [{"var": "has_car"}, "yes"]},
                    },
                ],
                materials=[
                    {"key": "fleet", "name": "车辆清单", "when": {">=": [{"var": "cars"}, 5]}}
                ],
            )
        )
    )
    assert [m.key for m in build_checklist(plan, {"has_car": "yes", "cars": 6}).materials] == [
        "fleet"
    ]
    ignored = build_checklist(plan, {"has_car": "no", "cars": 6})
    assert ignored.answers == {"has_car": "no"}
    assert ignored.materials == []
    with pytest.raises(InvalidAnswers):
        build_checklist(plan, {"has_car": "yes", "cars": "six"})


# --- properties on random plans -------------------------------------------------------


@st.composite
def random_plans(draw: st.DrawFn) -> Plan:
    """A bundle of 1–3 items and up to 6 questions; every condition reads only earlier
    questions, as the linter requires."""
    questions: list[dict[str, Any]] = []
    for index in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["是否", "单选", "多选"]))
        question: dict[str, Any] = {"key": f"q{index}", "text": f"问题{index}", "kind": kind}
        if kind != "是否":
            count = draw(st.integers(2, 3))
            question["options"] = [{"value": f"o{n}", "label": f"选项{n}"} for n in range(count)]
        conditional: bool = draw(st.booleans())
        if questions and conditional:
            question["when"] = draw(condition_on(questions))
        questions.append(question)
    split = draw(st.integers(0, len(questions)))
    bundle_questions, item_questions = questions[:split], questions[split:]
    items = []
    for n in range(draw(st.integers(1, 3))):
        materials = [
            {
                "key": f"m{k}",
                "name": f"材料{k}",
                "when": draw(st.none() | condition_on(questions)) if questions else None,
            }
            for k in range(draw(st.integers(0, 4)))
        ]
        owned = [q for q in item_questions if int(q["key"][1:]) % 3 == n] if n else item_questions
        items.append(
            ItemSpec.model_validate(
                item_data(
                    f"T{n}", questions=owned, materials=materials, promised_limit={"days": n + 1}
                )
            )
        )
    bundle = BundleSpec.model_validate(
        {
            "code": "random",
            "name": "随机",
            "audience": "个人",
            "lead_department": "yy-gongan",
            "questions": bundle_questions,
            "items": [item.code for item in items],
            "edges": [{"from": "T0", "to": item.code} for item in items[1:]],
        }
    )
    return Plan.for_bundle(bundle, {item.code: item for item in items})


def condition_on(questions: list[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def make(question: dict[str, Any], choice: int) -> dict[str, Any]:
        values = (
            ["yes", "no"]
            if question["kind"] == "是否"
            else [o["value"] for o in question["options"]]
        )
        value = values[choice % len(values)]
        if question["kind"] == "多选":
            return {"in": [value, {"var": question["key"]}]}
        return {"==": [{"var": question["key"]}, value]}

    return st.builds(make, st.sampled_from(questions), st.integers(0, 5))


def valid_answer(question: Any, data: st.DataObject) -> Any:
    values = [v for v, _ in question.options]
    if question.kind == "multiple":
        return data.draw(st.lists(st.sampled_from(values), unique=True))
    return data.draw(st.sampled_from(values))


@settings(max_examples=150, deadline=None)
@given(plan=random_plans(), data=st.data())
def test_answering_converges_and_never_asks_an_answered_question_again(
    plan: Plan, data: st.DataObject
) -> None:
    answers: dict[str, Any] = {}
    total = sum(1 for _ in plan.question_sequence())
    for _ in range(total + 1):
        checklist = build_checklist(plan, answers)
        assert checklist == build_checklist(plan, dict(reversed(list(answers.items()))))
        pending = [q.key for q in checklist.questions]
        assert not set(pending) & set(answers), "an answered question came back"
        assert len(pending) == len(set(pending))
        if checklist.complete:
            break
        question = data.draw(st.sampled_from(checklist.questions))
        answers[question.key] = valid_answer(question, data)
    else:
        pytest.fail("the checklist did not complete after every question was answered")
    # Once complete, the effective answers alone reproduce the same checklist.
    assert build_checklist(plan, checklist.answers) == checklist
