"""Data checks (数据核验): a material the government can verify against a register instead
of asking the applicant for it.

Each register is reached through a checker registered under the register's name as written
in the catalog. A deployment plugs in its real connections (人口库, 婚姻登记 …) with
`register_checker`; a register without a checker is left to the department, which verifies it
during review — the result is then None ("not checked by the system"), never a guess.

The one checker built in needs no outside system: 全国人口基础信息库's first question is
whether the identity numbers in the form are well-formed (GB 11643 check digit, a real birth
date); it says so in its detail and does not claim to have queried the register.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tongban.catalog.checklist import ChecklistField
from tongban.catalog.enums import FieldKind
from tongban.core.identifiers import validate_resident_id


@dataclass(frozen=True)
class CheckResult:
    passed: bool | None  # None: no checker, the department verifies by hand
    detail: str


Checker = Callable[[Mapping[str, Any], list[ChecklistField], datetime.date], CheckResult]
_checkers: dict[str, Checker] = {}


def register_checker(register: str, checker: Checker) -> None:
    _checkers[register] = checker


def _identity_format(
    form: Mapping[str, Any], fields: list[ChecklistField], today: datetime.date
) -> CheckResult:
    keys = [f.key for f in fields if f.kind == FieldKind.RESIDENT_ID and form.get(f.key)]
    if not keys:
        return CheckResult(None, "表单中没有身份证号码，由部门核验")
    bad = [k for k in keys if not validate_resident_id(str(form[k]), today).valid]
    if bad:
        return CheckResult(False, f"身份证号码校验未通过：{'、'.join(bad)}")
    return CheckResult(True, f"{len(keys)}个身份证号码格式与校验位正确（本地校验，未联网查询）")


register_checker("全国人口基础信息库", _identity_format)


def run_check(
    register: str, form: Mapping[str, Any], fields: list[ChecklistField], today: datetime.date
) -> CheckResult:
    # A material may name several registers ("全国人口基础信息库、婚姻登记信息系统"): every
    # one must pass; any without a checker leaves the whole check to the department.
    results = []
    for name in [part.strip() for part in register.split("、") if part.strip()]:
        checker = _checkers.get(name)
        if checker is None:
            return CheckResult(None, f"“{name}”未接入，由部门核验")
        results.append(checker(form, fields, today))
    if any(r.passed is False for r in results):
        return CheckResult(False, "；".join(r.detail for r in results if r.passed is False))
    if any(r.passed is None for r in results):
        return CheckResult(None, "；".join(r.detail for r in results))
    return CheckResult(True, "；".join(r.detail for r in results))
