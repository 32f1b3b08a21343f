"""The contract every register adapter keeps (数据核验).

A data check asks a register about the people named in an application — "is this the
person the ID number says", "are they married", "are they insured here" — so that the
applicant need not bring a proof the government already holds. Registers live in other
systems (人口库, 婚姻登记, 社保 …); each is reached through an adapter chosen per deployment
(settings.TONGBAN_REGISTER_ADAPTERS, see registry.py), as payment or sign-in providers are.

An adapter either answers — CONFIRMED or DENIED, with the facts it found — or raises
RegisterUnavailable when it cannot answer now (timeout, connection refused, a reply it
cannot read). It never guesses: "unavailable" sends the material back to the applicant or
the window clerk to supply by upload or on paper, with the adapter's reason shown.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    DENIED = "denied"
    UNAVAILABLE = "unavailable"  # recorded on the material; never returned by an adapter


OUTCOME_LABELS: dict[str, str] = {
    Outcome.CONFIRMED: "核验通过",
    Outcome.DENIED: "核验未通过",
    Outcome.UNAVAILABLE: "核验服务不可用",
}


@dataclass(frozen=True)
class Person:
    id_number: str
    name: str
    role: str  # the form's label for this person (母亲, 申请人 …), for the answer's wording


@dataclass(frozen=True)
class RegisterQuery:
    register: str  # the register's name as the catalog writes it
    people: tuple[Person, ...]
    today: datetime.date


@dataclass(frozen=True)
class RegisterAnswer:
    outcome: Outcome
    detail: str  # one Chinese sentence for the clerk and the approver
    # Facts the register returned, per person role: {"母亲": {"婚姻状况": "已婚", …}}.
    facts: dict[str, dict[str, str]] = field(default_factory=dict)
    reference: str = ""  # the register's own id for this query, when it gives one


class RegisterUnavailable(Exception):
    """The register cannot answer now; the message (Chinese) says why."""


class RegisterAdapter(Protocol):
    """Answers data checks against one kind of register."""

    def check(self, query: RegisterQuery) -> RegisterAnswer: ...
