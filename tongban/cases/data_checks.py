"""Data checks (数据核验): a material the government can verify against a register instead
of asking the applicant for it.

The material names its register(s) as the catalog writes them; tongban.registers finds the
adapter configured for each and asks it about the people in the application form (every
resident-ID field, with the name beside it). The result says one of four things:

- passed True — every register confirmed: the material is 免提交, the answer kept with it;
- passed False — a register said no: the department sees why (and 秒批 rules see false);
- passed None — no adapter for a register, or no ID number in the form: the department
  verifies it by hand during review, and the material says so, never a guess;
- unavailable — an adapter could not answer now: the material falls back to upload or paper,
  with the adapter's reason shown to the applicant or clerk. Nothing typed is lost.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from tongban.catalog.checklist import ChecklistField
from tongban.catalog.enums import FieldKind
from tongban.registers.contract import (
    Outcome,
    Person,
    RegisterAnswer,
    RegisterQuery,
    RegisterUnavailable,
)
from tongban.registers.registry import adapter_for

logger = logging.getLogger(__name__)

ROLE_BY_PREFIX = {"applicant": "申请人", "agent": "代理人"}


@dataclass(frozen=True)
class CheckResult:
    passed: bool | None  # None: not checked by the system, the department verifies by hand
    detail: str
    unavailable: bool = False
    answer: dict[str, Any] = field(default_factory=dict)  # stored with the material


def people_in_form(form: Mapping[str, Any], fields: list[ChecklistField]) -> tuple[Person, ...]:
    """Everyone the form names by ID number, with the name typed beside it ("x.name")."""
    people = []
    for f in fields:
        value = str(form.get(f.key) or "").strip().upper()
        if f.kind != FieldKind.RESIDENT_ID or not value:
            continue
        prefix = f.key.rsplit(".", 1)[0] if "." in f.key else ""
        role = f.label.replace("身份证号码", "").replace("公民身份号码", "").strip()
        role = role or ROLE_BY_PREFIX.get(prefix, prefix or f.label)
        name = str(form.get(f"{prefix}.name") or "").strip() if prefix else ""
        people.append(Person(id_number=value, name=name, role=role))
    return tuple(people)


def _ask(name: str, query: RegisterQuery) -> dict[str, Any]:
    adapter = adapter_for(name)
    entry: dict[str, Any] = {"register": name}
    if adapter is None:
        return {**entry, "outcome": None, "detail": f"“{name}”未接入，由部门核验"}
    entry["adapter"] = f"{type(adapter).__module__}.{type(adapter).__qualname__}"
    try:
        answer: RegisterAnswer = adapter.check(query)
    except RegisterUnavailable as exc:
        return {**entry, "outcome": Outcome.UNAVAILABLE, "detail": str(exc) or "暂时无法连接"}
    except Exception:  # an adapter's bug must not lose the application: fall back to upload
        logger.exception("register adapter for %s failed", name)
        return {**entry, "outcome": Outcome.UNAVAILABLE, "detail": "核验服务异常"}
    return {
        **entry,
        "outcome": answer.outcome,
        "detail": answer.detail,
        "facts": answer.facts,
        "reference": answer.reference,
    }


def run_check(
    register: str, form: Mapping[str, Any], fields: list[ChecklistField], today: datetime.date
) -> CheckResult:
    # A material may name several registers ("全国人口基础信息库、婚姻登记信息系统"): every
    # one must confirm; one unavailable sends the material back to the applicant.
    people = people_in_form(form, fields)
    if not people:
        return CheckResult(None, "表单中没有身份证号码，由部门核验")
    names = [part.strip() for part in register.split("、") if part.strip()]
    answers = [_ask(name, RegisterQuery(name, people, today)) for name in names]
    answer = {"checked_at": timezone.now().isoformat(), "answers": answers}
    outcomes = [a["outcome"] for a in answers]

    def details(*wanted: object) -> str:
        return "；".join(a["detail"] for a in answers if a["outcome"] in wanted)

    if Outcome.UNAVAILABLE in outcomes:
        return CheckResult(None, details(Outcome.UNAVAILABLE), unavailable=True, answer=answer)
    if Outcome.DENIED in outcomes:
        return CheckResult(False, details(Outcome.DENIED), answer=answer)
    if None in outcomes:
        return CheckResult(None, details(None, Outcome.CONFIRMED), answer=answer)
    return CheckResult(True, details(Outcome.CONFIRMED), answer=answer)
