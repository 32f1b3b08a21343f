"""Adapters over the built-in register (RegisterRecord): a population register (户籍),
a marriage register and a social-insurance register.

Each register has its own rule for what a check confirms:
- 人口库: every person named must be in it under the same name (身份核验). A person it has
  no record of is checked locally (ID format only), and the answer says so — the demo holds
  only its own people, and walk-in tests type others.
- 婚姻登记: at least one person named has a marriage registration.
- 社保: at least one person named is insured (参保状态 正常参保).
"""

from __future__ import annotations

import uuid

from tongban.core.fieldcrypto import lookup_digest

from .contract import Outcome, Person, RegisterAnswer, RegisterQuery
from .identity import LOCAL_ONLY, format_problems
from .models import RegisterRecord


class LocalRegister:
    register_label = "共享库"

    def records(self, query: RegisterQuery) -> dict[str, RegisterRecord]:
        """Person id number → their record in this register, one query."""
        digests = {lookup_digest(p.id_number): p.id_number for p in query.people}
        found = RegisterRecord.objects.filter(
            register=query.register, subject_digest__in=list(digests)
        )
        return {digests[r.subject_digest]: r for r in found}

    def check(self, query: RegisterQuery) -> RegisterAnswer:
        records = self.records(query)
        reference = uuid.uuid4().hex[:16]
        mismatched = _name_mismatches(query.people, records)
        if mismatched:
            detail = f"姓名与{self.register_label}登记不一致：{'、'.join(mismatched)}"
            return RegisterAnswer(Outcome.DENIED, detail, {}, reference)
        facts = {
            p.role: dict(records[p.id_number].facts) for p in query.people if p.id_number in records
        }
        return self.judge(query, records, facts, reference)

    def judge(
        self,
        query: RegisterQuery,
        records: dict[str, RegisterRecord],
        facts: dict[str, dict[str, str]],
        reference: str,
    ) -> RegisterAnswer:
        """The answer once every name matched; each register has its own rule."""
        if not facts:
            return RegisterAnswer(
                Outcome.DENIED, f"{self.register_label}中查无相关人员的登记记录", {}, reference
            )
        named = "、".join(facts)
        return RegisterAnswer(
            Outcome.CONFIRMED, f"{self.register_label}有登记记录：{named}", facts, reference
        )


def _name_mismatches(people: tuple[Person, ...], records: dict[str, RegisterRecord]) -> list[str]:
    return [
        p.role
        for p in people
        if p.id_number in records and p.name and records[p.id_number].subject_name != p.name
    ]


class PopulationRegister(LocalRegister):
    register_label = "人口库"

    def judge(
        self,
        query: RegisterQuery,
        records: dict[str, RegisterRecord],
        facts: dict[str, dict[str, str]],
        reference: str,
    ) -> RegisterAnswer:
        unknown = tuple(p for p in query.people if p.id_number not in records)
        bad = format_problems(unknown, query)
        if bad:
            return RegisterAnswer(
                Outcome.DENIED, f"身份证号码校验未通过：{'、'.join(bad)}", facts, reference
            )
        parts = []
        if facts:
            parts.append(f"人口库核验一致：{'、'.join(facts)}")
        if unknown:
            roles = "、".join(p.role for p in unknown)
            parts.append(f"{roles}不在本地共享库，身份证号码格式与校验位正确（{LOCAL_ONLY}）")
        return RegisterAnswer(Outcome.CONFIRMED, "；".join(parts), facts, reference)


class MarriageRegister(LocalRegister):
    register_label = "婚姻登记信息系统"


class SocialInsuranceRegister(LocalRegister):
    register_label = "社会保险信息系统"

    def judge(
        self,
        query: RegisterQuery,
        records: dict[str, RegisterRecord],
        facts: dict[str, dict[str, str]],
        reference: str,
    ) -> RegisterAnswer:
        insured = {role: f for role, f in facts.items() if f.get("参保状态") == "正常参保"}
        if facts and not insured:
            stopped = "、".join(facts)
            return RegisterAnswer(
                Outcome.DENIED, f"{stopped}当前不是正常参保状态", facts, reference
            )
        return super().judge(query, records, insured, reference)
