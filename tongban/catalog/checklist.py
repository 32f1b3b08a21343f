"""The checklist (一事一表): from the answers so far to the questions still open, the exact
materials, the one merged form, the promised limit and the visits.

Deterministic by construction: questions are walked in one fixed order; a question counts
only while it is relevant (its owner is in the plan and its condition holds on the answers
to the questions before it); an answered question is never asked again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tongban.core.errors import DomainError

from .conditions import holds
from .enums import MaterialSource, Necessity, QuestionKind
from .graph import critical_path
from .plan import Plan, promised_working_days
from .spec import ItemSpec, MaterialSpec, QuestionSpec

NECESSITY_RANK = {Necessity.OPTIONAL: 0, Necessity.DEFERRABLE: 1, Necessity.REQUIRED: 2}
# How much an applicant must do for a material; a merged material takes the most demanding.
SOURCE_RANK = {
    MaterialSource.CANCELLED: 0,
    MaterialSource.DATA_CHECK: 1,
    MaterialSource.LICENCE: 2,
    MaterialSource.COMMITMENT: 3,
    MaterialSource.UPLOAD: 4,
}


class InvalidAnswers(DomainError):
    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("invalid_answers", problems, status=400)
        self.problems = problems


@dataclass
class PendingQuestion:
    key: str
    text: str
    kind: str
    options: list[tuple[str, str]]
    help: str
    item: str | None  # owning item code; None for a bundle question


@dataclass
class ChecklistMaterial:
    key: str
    name: str
    necessity: str
    source: str
    form: str
    format: str
    copies: int
    standard: str
    licence_type: str
    register: str
    commitment: str
    blank_form: str
    sample: str
    items: list[str]
    # Code of the bundle item whose issued licence replaces this material, if any.
    produced_by: str | None = None

    @property
    def applicant_provides(self) -> bool:
        return self.produced_by is None and self.source == MaterialSource.UPLOAD

    @property
    def applicant_agrees(self) -> bool:
        return self.produced_by is None and self.source == MaterialSource.COMMITMENT


@dataclass
class ChecklistField:
    key: str
    label: str
    kind: str
    required: bool
    options: list[tuple[str, str]]
    help: str
    items: list[str]


@dataclass
class ChecklistItem:
    code: str
    name: str
    department: str
    promised_days: int
    visits: int
    waits_for: list[str]


@dataclass
class Checklist:
    code: str
    name: str
    answers: dict[str, Any]  # the answers that count (relevant questions only)
    questions: list[PendingQuestion]
    materials: list[ChecklistMaterial]
    fields: list[ChecklistField]
    items: list[ChecklistItem]
    promised_days: int
    visits: int
    critical_path: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.questions


def _normalise_answer(question: QuestionSpec, value: Any) -> Any:
    """The answer in canonical form, or raise ValueError with a Chinese reason."""
    options = question.option_values()
    if question.kind == QuestionKind.YES_NO:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if value in options:
            return value
        raise ValueError("请回答 yes（是）或 no（否）")
    if question.kind == QuestionKind.SINGLE:
        if isinstance(value, str) and value in options:
            return value
        raise ValueError(f"“{value}”不是本题的选项，可选：{'、'.join(options)}")
    if question.kind == QuestionKind.MULTIPLE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("多选题的答案应为选项值的列表")
        unknown = [v for v in value if v not in options]
        if unknown:
            raise ValueError(f"“{'、'.join(unknown)}”不是本题的选项，可选：{'、'.join(options)}")
        if len(set(value)) != len(value):
            raise ValueError("多选题的答案有重复选项")
        return sorted(value, key=options.index)
    # Numbers: JSON numbers only; a bool is not a count.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("应为数字")
    return value


def validate_answers(plan: Plan, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers in canonical form; InvalidAnswers lists every bad one with its reason."""
    questions = {q.key: q for q, _ in plan.question_sequence()}
    problems = []
    clean: dict[str, Any] = {}
    for key in sorted(answers):
        question = questions.get(key)
        if question is None:
            problems.append({"question": key, "message": f"没有标识为“{key}”的问题"})
            continue
        try:
            clean[key] = _normalise_answer(question, answers[key])
        except ValueError as exc:
            problems.append({"question": key, "message": f"{question.text}：{exc}"})
    if problems:
        raise InvalidAnswers(problems)
    return clean


def _walk_questions(
    plan: Plan, answers: Mapping[str, Any]
) -> tuple[dict[str, Any], list[PendingQuestion], list[ItemSpec]]:
    effective: dict[str, Any] = {}
    pending: list[PendingQuestion] = []
    active: dict[str, bool] = {}

    def member_active(item: ItemSpec) -> bool:
        if item.code not in active:
            active[item.code] = holds(plan.member_when.get(item.code), effective)
        return active[item.code]

    for question, owner in plan.question_sequence():
        if owner is not None and not member_active(owner):
            continue
        if not holds(question.when, effective):
            continue
        if question.key in answers:
            effective[question.key] = answers[question.key]
        else:
            pending.append(
                PendingQuestion(
                    key=question.key,
                    text=question.text,
                    kind=question.kind,
                    options=question.option_pairs(),
                    help=question.help,
                    item=owner.code if owner else None,
                )
            )
    items = [item for item in plan.items if member_active(item)]
    return effective, pending, items


def _produced_inside(plan: Plan, items: list[ItemSpec]) -> dict[tuple[str, str], str]:
    """(downstream code, material key) → upstream code whose result replaces the material."""
    codes = {item.code for item in items}
    by_code = {item.code: item for item in items}
    produced: dict[tuple[str, str], str] = {}
    for edge in plan.edges:
        if edge.upstream not in codes or edge.downstream not in codes:
            continue
        if edge.satisfies:
            produced[(edge.downstream, edge.satisfies)] = edge.upstream
        # An e-licence material of exactly the type the upstream issues needs no explicit link.
        licence = by_code[edge.upstream].result.licence_type
        if licence:
            for material in by_code[edge.downstream].materials:
                if material.source == MaterialSource.LICENCE and material.licence_type == licence:
                    produced.setdefault((edge.downstream, material.key), edge.upstream)
    return produced


def _merge_materials(
    plan: Plan, items: list[ItemSpec], effective: Mapping[str, Any]
) -> list[ChecklistMaterial]:
    """One entry per material key, in order of first appearance.

    Necessity is the strictest of the items needing it. The material counts as produced
    inside the bundle only if every item needing it gets it from an upstream result;
    otherwise the most demanding remaining source decides what the applicant does.
    """
    produced = _produced_inside(plan, items)
    occurrences: dict[str, list[tuple[MaterialSpec, str, str | None]]] = {}
    for item in items:
        for material in item.materials:
            if material.source == MaterialSource.CANCELLED or not holds(material.when, effective):
                continue
            producer = produced.get((item.code, material.key))
            occurrences.setdefault(material.key, []).append((material, item.code, producer))
    merged = []
    for found in occurrences.values():
        outside = [m for m, _, p in found if p is None]
        if outside:
            leading = max(outside, key=lambda m: SOURCE_RANK[MaterialSource(m.source)])
            producer = None
        else:
            leading, producer = found[0][0], found[0][2]
        entry = _material_entry(leading, producer)
        entry.name = found[0][0].name
        entry.items = [code for _, code, _ in found]
        entry.necessity = max(
            (m.necessity for m, _, _ in found), key=lambda n: NECESSITY_RANK[Necessity(n)]
        )
        merged.append(entry)
    return merged


def _material_entry(material: MaterialSpec, producer: str | None) -> ChecklistMaterial:
    return ChecklistMaterial(
        key=material.key,
        name=material.name,
        necessity=material.necessity,
        source=material.source,
        form=material.form,
        format=material.format,
        copies=material.copies,
        standard=material.standard,
        licence_type=material.licence_type,
        register=material.data_register,
        commitment=material.commitment,
        blank_form=material.blank_form,
        sample=material.sample,
        items=[],
        produced_by=producer,
    )


def _merge_fields(items: list[ItemSpec], effective: Mapping[str, Any]) -> list[ChecklistField]:
    merged: dict[str, ChecklistField] = {}
    for item in items:
        for spec in item.fields:
            if not holds(spec.when, effective):
                continue
            entry = merged.get(spec.key)
            if entry is None:
                merged[spec.key] = ChecklistField(
                    key=spec.key,
                    label=spec.label,
                    kind=spec.kind,
                    required=spec.required,
                    options=[(o.value, o.label) for o in spec.options],
                    help=spec.help,
                    items=[item.code],
                )
            else:
                entry.items.append(item.code)
                entry.required = entry.required or spec.required
    return list(merged.values())


def build_checklist(plan: Plan, answers: Mapping[str, Any]) -> Checklist:
    clean = validate_answers(plan, answers)
    effective, pending, items = _walk_questions(plan, clean)
    codes = {item.code for item in items}
    edges = [(e.upstream, e.downstream) for e in plan.edges if {e.upstream, e.downstream} <= codes]
    durations = {item.code: promised_working_days(item) for item in items}
    path = critical_path(durations, edges)
    return Checklist(
        code=plan.code,
        name=plan.name,
        answers=effective,
        questions=pending,
        materials=_merge_materials(plan, items, effective),
        fields=_merge_fields(items, effective),
        items=[
            ChecklistItem(
                code=item.code,
                name=item.name,
                department=item.department,
                promised_days=durations[item.code],
                visits=item.visits,
                waits_for=[u for u, d in edges if d == item.code],
            )
            for item in items
        ],
        promised_days=path.days,
        visits=max((item.visits for item in items), default=0),
        critical_path=path.path,
    )
