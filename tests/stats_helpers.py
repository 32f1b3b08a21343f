"""A mixed day at the service centre for the statistics tests: cases in every kind of state,
over two days, through the real action functions (so the audit events are the real ones)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

import time_machine

from tongban.cases.actions.lifecycle import (
    case_deliver,
    case_deny,
    case_refuse,
    case_request_supplement,
    case_resubmit,
    case_withdraw,
)
from tongban.cases.enums import DECIDED_STATES, OPEN_STATES, CaseState, Provision
from tongban.cases.inputs import MaterialChoice
from tongban.cases.models import Case
from tongban.core.models import User

from .case_helpers import (
    accept,
    advance_to_last_step,
    approve_through,
    approver_of,
    import_case_catalog,
    make_upload,
    shanghai,
    submit,
)

Persona = Callable[[str], User]
STATS_ITEMS = ("TREVIEW01", "TNATURAL01", "TINSTANT01")
STATS_BUNDLES = ("chain-test",)


def import_stats_catalog() -> None:
    import_case_catalog(*STATS_ITEMS, *STATS_BUNDLES)


@dataclass
class Scenario:
    """Case numbers by what happened to them."""

    cases: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, case_no: str) -> None:
        self.cases.setdefault(kind, []).append(case_no)


def _single(persona: Persona, item: str, channel: str = "web") -> str:
    application = submit(persona("citizen"), item=item, channel=channel)
    return application.cases.get().case_no


def run_day_one(persona: Persona, scenario: Scenario) -> None:
    """Mon 1 Jun 2026: receipts on every channel, acceptances, decisions, a refusal."""
    clerk = persona("clerk")
    with time_machine.travel(shanghai(2026, 6, 1), tick=True):
        approved = _single(persona, "TREVIEW01")
        approve_through(approved)
        case_deliver(approved, actor=clerk, role="clerk", method="pickup")
        scenario.add("delivered", approved)

        denied = _single(persona, "TREVIEW01", channel="mobile")
        accept(denied)
        advance_to_last_step(denied)
        case = Case.objects.get(case_no=denied)
        case_deny(
            denied,
            actor=approver_of(case),
            role="approver",
            reason="不符合条件",
            legal_basis="条例",
        )
        scenario.add("denied", denied)

        instant = _single(persona, "TINSTANT01", channel="mobile")
        accept(instant)
        scenario.add("instant", instant)

        refused = _single(persona, "TREVIEW01")
        case_refuse(refused, actor=clerk, role="clerk", reason="不属于本部门职权范围")
        scenario.add("refused", refused)

        in_review = _single(persona, "TNATURAL01")
        accept(in_review)
        scenario.add("in_review", in_review)

        bundle = submit(persona("citizen"), bundle="chain-test", channel="web")
        for case in bundle.cases.all():
            scenario.add(f"bundle_{case.state}", case.case_no)


def run_day_two(persona: Persona, scenario: Scenario) -> None:
    """Wed 3 Jun 2026: a supplement round trip, a withdrawal, a late-ish approval."""
    clerk = persona("clerk")
    with time_machine.travel(shanghai(2026, 6, 3), tick=True):
        supplemented = _single(persona, "TREVIEW01")
        case_request_supplement(
            supplemented,
            actor=clerk,
            role="clerk",
            materials=[{"key": "tc_plan", "name": "测试方案", "reason": "缺少盖章"}],
        )
        citizen = persona("citizen")
        upload = make_upload(citizen, "方案（盖章）.pdf")
        case_resubmit(
            supplemented,
            actor=citizen,
            role="citizen",
            materials={"tc_plan": MaterialChoice(Provision.UPLOAD, upload=upload)},
        )
        accept(supplemented)
        scenario.add("supplemented", supplemented)

        waiting = _single(persona, "TREVIEW01", channel="mobile")
        case_request_supplement(
            waiting,
            actor=clerk,
            role="clerk",
            materials=[{"key": "tc_plan", "name": "测试方案", "reason": "不清晰"}],
        )
        scenario.add("supplement", waiting)

        withdrawn = _single(persona, "TREVIEW01")
        case_withdraw(withdrawn, actor=persona("citizen"), role="citizen", reason="不办了")
        scenario.add("withdrawn", withdrawn)

        # Decided two days after day one's acceptance.
        late = scenario.cases["in_review"].pop()
        approve_through(late, accept_first=False)
        scenario.add("approved", late)


def direct_counts(day: datetime.date | None = None) -> dict[str, int]:
    """What the dashboard must show, counted straight from the case rows."""
    cases = Case.objects.all()
    received = cases.filter(received_at__date=day) if day is not None else cases
    return {
        "received": received.count(),
        "accepted": cases.filter(accepted_on__isnull=False).count(),
        "completed": cases.filter(decided_at__isnull=False).count(),
        "denied": cases.filter(state=CaseState.DENIED).count(),
        "refused": cases.filter(state=CaseState.REFUSED).count(),
        "open": cases.filter(state__in=OPEN_STATES).count(),
        "decided_states": cases.filter(state__in=DECIDED_STATES).count(),
    }
