"""The adapter that needs no outside system: the first question any population-register
check asks — are the ID numbers well-formed (GB 11643 check digit, a real birth date)?

It says in its answer that it did not query a register, so nobody mistakes it for one.
"""

from __future__ import annotations

from tongban.core.identifiers import validate_resident_id

from .contract import Outcome, Person, RegisterAnswer, RegisterQuery

LOCAL_ONLY = "本地校验，未联网查询"


def format_problems(people: tuple[Person, ...], query: RegisterQuery) -> list[str]:
    return [p.role for p in people if not validate_resident_id(p.id_number, query.today).valid]


class IdentityFormatCheck:
    def check(self, query: RegisterQuery) -> RegisterAnswer:
        bad = format_problems(query.people, query)
        if bad:
            return RegisterAnswer(Outcome.DENIED, f"身份证号码校验未通过：{'、'.join(bad)}")
        count = len(query.people)
        return RegisterAnswer(
            Outcome.CONFIRMED, f"{count}个身份证号码格式与校验位正确（{LOCAL_ONLY}）"
        )
