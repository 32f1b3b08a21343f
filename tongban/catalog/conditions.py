"""Situation conditions: JSONLogic over the answers given so far.

Evaluation uses maykin-json-logic-py (DESIGN.md). A condition may only read the answers
to questions asked before it, which keeps the checklist deterministic; `condition_problems`
checks that statically for the linter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from json_logic import jsonLogic

from .enums import QuestionKind
from .spec import QuestionSpec

Answers = Mapping[str, Any]

# Operators a catalog condition may use: the pure ones, no date arithmetic or string tricks
# whose behaviour differs between JSONLogic implementations.
ALLOWED_OPERATORS = frozenset(
    {
        "==", "===", "!=", "!==", "!", "!!", "and", "or", "if", "?:",
        ">", ">=", "<", "<=", "in", "var", "missing", "missing_some",
        "+", "-", "*", "/", "%", "min", "max", "some", "all", "none",
    }
)  # fmt: skip


def holds(condition: dict[str, Any] | None, answers: Answers) -> bool:
    """True when there is no condition or when it is truthy for these answers."""
    if condition is None:
        return True
    try:
        return bool(jsonLogic(condition, dict(answers)))
    except (TypeError, ValueError, ArithmeticError):
        # e.g. comparing a number with a missing answer: the situation is not (yet) given.
        return False


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Yield (operator, arguments) for every operation in a JSONLogic tree."""
    if isinstance(node, dict):
        for operator, args in node.items():
            yield operator, args
            yield from _walk(args)
    elif isinstance(node, list):
        for child in node:
            yield from _walk(child)


def referenced_keys(condition: dict[str, Any] | None) -> set[str]:
    keys: set[str] = set()
    for operator, args in _walk(condition):
        if operator == "var":
            name = args[0] if isinstance(args, list) and args else args
            if isinstance(name, str) and name:
                keys.add(name.split(".")[0])
        elif operator in ("missing", "missing_some"):
            names = args[1] if operator == "missing_some" and isinstance(args, list) else args
            if isinstance(names, list):
                keys.update(n.split(".")[0] for n in names if isinstance(n, str))
    return keys


def rule_problems(rule: dict[str, Any] | None, fields: set[str], checks: set[str]) -> list[str]:
    """Why a 秒批 rule is not well-formed: it may read only `form.<field key>` of the item's
    fields and `checks.<material key>` of its data-check materials."""
    problems = []
    for operator, args in _walk(rule):
        if operator not in ALLOWED_OPERATORS:
            problems.append(f"不支持的运算符“{operator}”")
        if operator != "var":
            continue
        name = args[0] if isinstance(args, list) and args else args
        scope, _, key = str(name).partition(".")
        if scope == "form" and key in fields:
            continue
        if scope == "checks" and key in checks:
            continue
        problems.append(f"规则引用了“{name}”：只能引用 form.<表单字段> 或 checks.<数据核验材料>")
    return sorted(set(problems), key=problems.index)


def _compared_literals(condition: dict[str, Any] | None) -> Iterator[tuple[str, Any]]:
    """(question key, literal) pairs for comparisons like {"==": [{"var": q}, "x"]} and
    {"in": ["x", {"var": q}]}: the literals a choice answer is compared with."""
    for operator, args in _walk(condition):
        if not isinstance(args, list) or len(args) != 2:
            continue
        if operator in ("==", "===", "!=", "!=="):
            for one, other in (args, args[::-1]):
                if isinstance(one, dict) and "var" in one and not isinstance(other, dict | list):
                    yield _var_name(one), other
        elif operator == "in":
            needle, haystack = args
            if isinstance(haystack, dict) and "var" in haystack and not isinstance(needle, dict):
                yield _var_name(haystack), needle
            if isinstance(needle, dict) and "var" in needle and isinstance(haystack, list):
                for literal in haystack:
                    yield _var_name(needle), literal


def _var_name(node: dict[str, Any]) -> str:
    name = node["var"]
    if isinstance(name, list):
        name = name[0] if name else ""
    return str(name).split(".")[0]


def condition_problems(
    condition: dict[str, Any] | None, available: Sequence[QuestionSpec]
) -> list[str]:
    """Why this condition is not well-formed against the questions it may read (empty if fine)."""
    if condition is None:
        return []
    problems = []
    for operator, _ in _walk(condition):
        if operator not in ALLOWED_OPERATORS:
            problems.append(f"不支持的运算符“{operator}”")
    questions = {q.key: q for q in available}
    for key in sorted(referenced_keys(condition)):
        if key not in questions:
            problems.append(f"引用了不存在（或排在后面）的问题“{key}”")
    for key, literal in _compared_literals(condition):
        question = questions.get(key)
        if question is None or question.kind == QuestionKind.NUMBER:
            continue
        if str(literal) not in question.option_values() or not isinstance(literal, str):
            options = "、".join(question.option_values())
            problems.append(f"问题“{key}”没有选项“{literal}”（可选：{options}）")
    return sorted(set(problems), key=problems.index)
