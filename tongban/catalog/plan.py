"""A Plan is what an applicant applies for: one item, or a bundle's items with their edges
and shared questions. Checklist, metrics and lint all work on plans, which are plain data
(no database access), so they are easy to test exhaustively."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .enums import CaseKind, LimitUnit
from .spec import BundleSpec, EdgeSpec, ItemSpec, Limit, QuestionSpec


def working_days(limit: Limit) -> int:
    """A limit in working days; natural days are converted at 5 working days per 7 days,
    rounded up, so a converted limit is never shorter than the law allows."""
    if limit.unit == LimitUnit.NATURAL:
        return math.ceil(limit.days * 5 / 7)
    return limit.days


def promised_working_days(item: ItemSpec) -> int:
    if item.case_kind == CaseKind.IMMEDIATE:
        return 0
    return working_days(item.promised_limit)


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    items: list[ItemSpec]
    questions: list[QuestionSpec] = field(default_factory=list)  # bundle-level, asked first
    member_when: Mapping[str, dict[str, Any] | None] = field(default_factory=dict)
    edges: list[EdgeSpec] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    is_bundle: bool = False

    @classmethod
    def for_item(cls, item: ItemSpec) -> Plan:
        return cls(code=item.code, name=item.name, items=[item])

    @classmethod
    def for_bundle(cls, bundle: BundleSpec, items: Mapping[str, ItemSpec]) -> Plan:
        members = [items[m.item] for m in bundle.items if m.item in items]
        return cls(
            code=bundle.code,
            name=bundle.name,
            items=members,
            questions=list(bundle.questions),
            member_when={m.item: m.when for m in bundle.items},
            edges=[e for e in bundle.edges if e.upstream in items and e.downstream in items],
            steps=list(bundle.steps),
            is_bundle=True,
        )

    def question_sequence(self) -> Iterator[tuple[QuestionSpec, ItemSpec | None]]:
        """Every question once, in asking order, with the item that owns it (None = bundle).

        A key asked by the bundle or an earlier item is the same question and is skipped.
        """
        seen: set[str] = set()
        for question in self.questions:
            if question.key not in seen:
                seen.add(question.key)
                yield question, None
        for item in self.items:
            for question in item.questions:
                if question.key not in seen:
                    seen.add(question.key)
                    yield question, item
