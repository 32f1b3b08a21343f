"""The situation form (情形引导): answers travel in the form itself, never in the session.

Every answer is an input named ``a-<question key>``; the page re-posts the whole form on
each change, so the server always sees the complete state and the same request works with
htmx, with a plain POST, and as a GET link (the printable checklist).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import QueryDict

from .checklist import Checklist, InvalidAnswers
from .enums import QuestionKind
from .plan import Plan

PREFIX = "a-"
# A multiple-choice question answered "none of these": without it an empty answer could
# not be told apart from a question not answered yet.
NONE_OF_THESE = "_none"


def input_name(key: str) -> str:
    return f"{PREFIX}{key}"


def _number(raw: str) -> int | float:
    try:
        return int(raw)
    except ValueError:
        value = float(raw)  # raises ValueError for text
        if not math.isfinite(value):
            raise ValueError(raw) from None
        return value


def parse_answers(plan: Plan, data: QueryDict) -> dict[str, Any]:
    """Answers from submitted form data; a blank input is a question not answered yet.

    Values are passed on as given (build_checklist checks them against the options), and
    ``a-`` keys naming no question are kept so that a tampered form is refused, not ignored.
    Raises InvalidAnswers for a number field holding something else than a number.
    """
    questions = {q.key: q for q, _ in plan.question_sequence()}
    answers: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for name in data:
        if not name.startswith(PREFIX):
            continue
        key = name[len(PREFIX) :]
        question = questions.get(key)
        if question is None:
            answers[key] = data.get(name)
        elif question.kind == QuestionKind.MULTIPLE:
            values = [v for v in data.getlist(name) if v]
            if values:
                answers[key] = [v for v in values if v != NONE_OF_THESE]
        else:
            raw = (data.get(name) or "").strip()
            if not raw:
                continue
            if question.kind != QuestionKind.NUMBER:
                answers[key] = raw
                continue
            try:
                answers[key] = _number(raw)
            except ValueError:
                shown = raw if len(raw) <= 20 else f"{raw[:20]}…"
                problems.append({"question": key, "message": f"{question.text}：“{shown}”不是数字"})
    if problems:
        raise InvalidAnswers(problems)
    return answers


def answers_query(answers: Mapping[str, Any]) -> str:
    """The answers as a query string in the form's own field names (for GET links)."""
    pairs: list[tuple[str, str]] = []
    for key, value in answers.items():
        if isinstance(value, list):
            pairs.extend((input_name(key), v) for v in value or [NONE_OF_THESE])
        else:
            pairs.append((input_name(key), str(value)))
    return urlencode(pairs)


@dataclass
class OptionRow:
    value: str
    label: str
    checked: bool
    id: str


@dataclass
class QuestionRow:
    """One question as shown: answered ones keep their value and stay changeable."""

    key: str
    name: str
    text: str
    kind: str
    help: str
    owner: str  # name of the item asking it; "" for a bundle question
    answered: bool
    value: Any
    options: list[OptionRow]

    @property
    def answer_label(self) -> str:
        if not self.answered:
            return ""
        if self.kind == QuestionKind.NUMBER:
            return str(self.value)
        chosen = [o.label for o in self.options if o.checked and o.value != NONE_OF_THESE]
        return "、".join(chosen) or "以上都不是"


def question_rows(plan: Plan, checklist: Checklist) -> list[QuestionRow]:
    """The relevant questions in asking order: answered (with the value) and still open."""
    pending = {q.key for q in checklist.questions}
    rows = []
    for question, owner in plan.question_sequence():
        answered = question.key in checklist.answers
        if not answered and question.key not in pending:
            continue  # not relevant for these answers
        value = checklist.answers.get(question.key)
        chosen = set(value) if isinstance(value, list) else {value}
        pairs = question.option_pairs()
        if question.kind == QuestionKind.MULTIPLE:
            pairs = [*pairs, (NONE_OF_THESE, "以上都不是")]
            if value == []:
                chosen = {NONE_OF_THESE}
        rows.append(
            QuestionRow(
                key=question.key,
                name=input_name(question.key),
                text=question.text,
                kind=question.kind,
                help=question.help,
                owner=owner.name if owner is not None and plan.is_bundle else "",
                answered=answered,
                value="" if value is None else value,
                options=[
                    OptionRow(v, label, answered and v in chosen, f"q-{question.key}-{i}")
                    for i, (v, label) in enumerate(pairs)
                ],
            )
        )
    return rows
