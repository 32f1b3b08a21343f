"""Catalog lint: the national consistency rules for items (domain-china.md §2) and the
structural rules for bundles. Errors block publishing; warnings are shown to the editor."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import condition_problems, referenced_keys, rule_problems
from .enums import CaseKind, Delivery, MaterialSource, OnlineDepth
from .graph import DependencyCycle, topological_order
from .plan import Plan, working_days
from .spec import BundleSpec, CatalogSpec, ItemSpec, QuestionSpec

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class LintProblem:
    level: str
    rule: str
    message: str
    subject: str  # item code or bundle code
    path: str = ""

    @property
    def is_error(self) -> bool:
        return self.level == ERROR


class _Collector:
    def __init__(self, subject: str) -> None:
        self.subject = subject
        self.problems: list[LintProblem] = []

    def error(self, rule: str, message: str, path: str = "") -> None:
        self.problems.append(LintProblem(ERROR, rule, message, self.subject, path))

    def warning(self, rule: str, message: str, path: str = "") -> None:
        self.problems.append(LintProblem(WARNING, rule, message, self.subject, path))


def _check_conditions(
    out: _Collector, questions: list[QuestionSpec], item: ItemSpec | None
) -> None:
    """Every condition may read only questions asked before it (and their real options)."""
    for index, question in enumerate(questions):
        for problem in condition_problems(question.when, questions[:index]):
            out.error(
                "condition",
                f"问题“{question.text}”的出现条件：{problem}",
                f"questions[{index}].when",
            )
    if item is None:
        return
    for index, material in enumerate(item.materials):
        for problem in condition_problems(material.when, questions):
            out.error(
                "condition",
                f"材料“{material.name}”的适用条件：{problem}",
                f"materials[{index}].when",
            )
    for index, field in enumerate(item.fields):
        for problem in condition_problems(field.when, questions):
            out.error(
                "condition", f"字段“{field.label}”的适用条件：{problem}", f"fields[{index}].when"
            )


def lint_item(item: ItemSpec, departments: Collection[str] | None = None) -> list[LintProblem]:
    out = _Collector(item.code)
    if departments is not None and item.department not in departments:
        out.error("department", f"实施机关“{item.department}”不存在", "department")
    if item.online_depth == OnlineDepth.FULLY_ONLINE and item.visits != 0:
        out.error("online_visits", "全程网办的事项到现场次数必须为 0", "visits")
    if item.visits > 0 and not item.visits_reason:
        out.error("visits_reason", "到现场次数不为 0 时须说明必须现场办理的原因", "visits_reason")
    if working_days(item.promised_limit) > working_days(item.statutory_limit):
        out.error(
            "promised_exceeds_statutory", "承诺办结时限不得超过法定办结时限", "promised_limit"
        )
    if (
        item.visits == 0
        and item.online_depth < OnlineDepth.PRE_REVIEW
        and Delivery.MAIL not in item.delivery
    ):
        out.error("mail_delivery", "零跑动且不能网上申请的事项，送达方式必须包含邮寄", "delivery")
    if item.case_kind == CaseKind.PROMISED and item.promised_limit.days == 0:
        out.error("promised_limit_missing", "承诺件必须有大于 0 的承诺办结时限", "promised_limit")
    if item.case_kind == CaseKind.IMMEDIATE and item.promised_limit.days != 0:
        out.error("immediate_with_limit", "承诺时限不为即办时，办件类型应为承诺件", "case_kind")
    for index, material in enumerate(item.materials):
        where = f"materials[{index}]"
        if material.source == MaterialSource.LICENCE and not material.licence_type:
            out.error(
                "licence_type_missing",
                f"材料“{material.name}”来源为电子证照，须填写证照类型",
                where,
            )
        if material.source == MaterialSource.DATA_CHECK and not material.data_register:
            out.error(
                "register_missing", f"材料“{material.name}”来源为数据核验，须填写核验数据库", where
            )
        if material.source == MaterialSource.COMMITMENT and not material.commitment:
            out.error(
                "commitment_missing", f"材料“{material.name}”实行告知承诺，须填写承诺内容", where
            )
    _check_conditions(out, list(item.questions), item)
    checks = {m.key for m in item.materials if m.source == MaterialSource.DATA_CHECK}
    for problem in rule_problems(item.approval.rule, {f.key for f in item.fields}, checks):
        out.error("approval_rule", f"秒批规则：{problem}", "approval.rule")
    _check_keywords(out, item.name, item.keywords)
    if not item.legal_basis:
        out.warning("legal_basis_missing", "未填写设定依据", "legal_basis")
    if not item.steps:
        out.warning("steps_missing", "未填写审批环节", "steps")
    if not item.materials:
        out.warning("no_materials", "没有申请材料，请确认是否确实无需材料", "materials")
    if (
        item.case_kind == CaseKind.PROMISED
        and item.promised_limit.days
        and working_days(item.promised_limit) == working_days(item.statutory_limit)
    ):
        out.warning("no_compression", "承诺时限与法定时限相同，未压缩", "promised_limit")
    used = set().union(
        *(referenced_keys(c) for c in _item_conditions(item)),
    )
    for index, question in enumerate(item.questions):
        if question.key not in used:
            out.warning(
                "unused_question", f"问题“{question.text}”未被任何条件使用", f"questions[{index}]"
            )
    return out.problems


def _check_keywords(out: _Collector, name: str, keywords: list[str]) -> None:
    """A 俗称 that repeats the official name teaches the guide nothing: usually a slip."""
    for index, keyword in enumerate(keywords):
        if keyword == name:
            out.warning(
                "keyword_is_name", f"俗称“{keyword}”与名称相同，可删除", f"keywords[{index}]"
            )


def _item_conditions(item: ItemSpec) -> list[dict[str, Any] | None]:
    return (
        [q.when for q in item.questions]
        + [m.when for m in item.materials]
        + [f.when for f in item.fields]
    )


def lint_bundle(
    bundle: BundleSpec,
    items: Mapping[str, ItemSpec],
    published: Collection[str] | None = None,
    departments: Collection[str] | None = None,
) -> list[LintProblem]:
    """`items`: every item the bundle may refer to; `published`: codes with a published
    version (None = don't check publication, e.g. when importing a whole file)."""
    out = _Collector(bundle.code)
    _check_keywords(out, bundle.name, bundle.keywords)
    if departments is not None and bundle.lead_department not in departments:
        out.error("department", f"牵头部门“{bundle.lead_department}”不存在", "lead_department")
    members = bundle.member_codes()
    for index, code in enumerate(members):
        if code not in items:
            out.error("member_unknown", f"事项“{code}”不存在", f"items[{index}]")
        elif published is not None and code not in published:
            out.error("member_unpublished", f"事项“{items[code].name}”尚未发布", f"items[{index}]")
    for index, edge in enumerate(bundle.edges):
        where = f"edges[{index}]"
        for code in (edge.upstream, edge.downstream):
            if code not in members:
                out.error("edge_not_member", f"前后置关系中的事项“{code}”不在本件事中", where)
        if edge.upstream == edge.downstream:
            out.error("cycle", "事项不能依赖自身", where)
        downstream = items.get(edge.downstream)
        if (
            edge.satisfies
            and downstream is not None
            and downstream.material(edge.satisfies) is None
        ):
            out.error(
                "satisfies_unknown",
                f"事项“{downstream.name}”没有标识为“{edge.satisfies}”的材料",
                where,
            )
    try:
        topological_order(members, [(e.upstream, e.downstream) for e in bundle.edges])
    except DependencyCycle as exc:
        names = [items[c].name if c in items else c for c in exc.cycle]
        out.error("cycle", f"前后置关系存在循环：{' → '.join(names)}", "edges")
    plan = Plan.for_bundle(bundle, items)
    _check_conditions(out, list(bundle.questions), None)
    bundle_questions = list(bundle.questions)
    for index, member in enumerate(bundle.items):
        for problem in condition_problems(member.when, bundle_questions):
            out.error("condition", f"事项纳入条件：{problem}", f"items[{index}].when")
    _check_shared_questions(out, bundle, plan)
    return out.problems


def _check_shared_questions(out: _Collector, bundle: BundleSpec, plan: Plan) -> None:
    """A key asked by several owners is one question: same kind, same options."""
    first: dict[str, QuestionSpec] = {}
    for question in list(bundle.questions) + [q for item in plan.items for q in item.questions]:
        known = first.setdefault(question.key, question)
        if known.kind != question.kind or known.option_values() != question.option_values():
            out.error(
                "question_conflict",
                f"问题标识“{question.key}”在不同事项中的题型或选项不一致",
                "questions",
            )


def lint_field_kinds(items: Iterable[ItemSpec]) -> list[LintProblem]:
    """Every shared field key has one kind across the whole catalog."""
    kinds: dict[str, tuple[str, str]] = {}
    problems = []
    for item in items:
        for field in item.fields:
            known = kinds.setdefault(field.key, (field.kind, item.code))
            if known[0] != field.kind:
                problems.append(
                    LintProblem(
                        ERROR,
                        "field_kind_conflict",
                        f"共享字段“{field.key}”在事项 {known[1]} 与本事项中的类型不一致",
                        item.code,
                        "fields",
                    )
                )
    return problems


def lint_material_names(items: Iterable[ItemSpec]) -> list[LintProblem]:
    names: dict[str, str] = {}
    problems = []
    for item in items:
        for material in item.materials:
            known = names.setdefault(material.key, material.name)
            if known != material.name:
                problems.append(
                    LintProblem(
                        WARNING,
                        "material_name_conflict",
                        f"材料标识“{material.key}”对应不同名称：“{known}”与“{material.name}”",
                        item.code,
                        "materials",
                    )
                )
    return problems


def lint_catalog(
    catalog: CatalogSpec,
    existing_items: Mapping[str, ItemSpec] | None = None,
    departments: Collection[str] | None = None,
) -> list[LintProblem]:
    """All rules over a whole catalog file; `existing_items` are items already in the
    database that the file's bundles may refer to without listing them."""
    items = {**(existing_items or {}), **catalog.items_by_code()}
    known_departments = None
    if departments is not None:
        known_departments = set(departments) | {d.code for d in catalog.departments}
    problems: list[LintProblem] = []
    for item in catalog.items:
        problems += lint_item(item, known_departments)
    problems += lint_field_kinds(items.values())
    problems += lint_material_names(catalog.items)
    for bundle in catalog.bundles:
        problems += lint_bundle(bundle, items, departments=known_departments)
    return problems
