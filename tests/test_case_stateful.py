"""Random action sequences against the case engine (hypothesis.stateful).

Each example submits a bundle application with a dependency graph (UP → MID → DOWN and
SIDE → DOWN, tests/data/case-catalog.yaml) and a single-item application (four review steps),
then performs random actions through `perform_action` — legal ones, illegal ones, and ones
by people who may not act — while the calendar moves forward by random days. A small model
of the rules predicts every outcome. After every step it checks that:

(a) every state is one the case may be in, equals the model's, and was reached only through
    pairs of the transition table; an illegal action is a 409 that changes nothing (state,
    updated_at, audit events, notices);
(b) every transition has its audit event: the `case.<action>` events of a case, in order,
    are exactly its transitions, chained from the first state to the current one;
(c) due dates exclude paused time: a case's due dates are its acceptance day plus its limit
    plus the working days of its ended special procedures, each of which paused exactly the
    working days in (start, end]; an ending procedure moves the dues by exactly that many;
(d) the audit hash chain verifies (at the end of every example);
(e) a waiting case starts only when all its upstream cases are approved, and an upstream
    that will not be approved (denied, refused, withdrawn, revoked, cancelled) ends it.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tongban.cases.actions.dispatch import SYSTEM_ACTIONS, perform_action
from tongban.cases.actions.lifecycle import item_of, review_steps
from tongban.cases.enums import CaseState, WarningLevel
from tongban.cases.models import Case, Notice, SpecialProcedure, SupplementRequest
from tongban.cases.permissions import APPLICANT_ACTIONS
from tongban.cases.queries import case_warning
from tongban.cases.transitions import TRANSITIONS, IllegalTransition
from tongban.core.audit import verify_audit_chain
from tongban.core.errors import DomainError
from tongban.core.models import AuditEvent, User
from tongban.core.workcalendar import current_calendar

from .case_helpers import (
    import_case_catalog,
    make_upload,
    shanghai,
    submit,
    transition_events,
)

S = CaseState
UP, MID, DOWN, SIDE, REVIEW = (
    "TCHAINUP01",
    "TCHAINMID01",
    "TCHAINDOWN01",
    "TCHAINSIDE01",
    "TREVIEW01",
)
NAMES = [UP, MID, DOWN, SIDE, REVIEW]
UPSTREAMS: dict[str, list[str]] = {MID: [UP], DOWN: [MID, SIDE]}
DOWNSTREAMS: dict[str, list[str]] = {UP: [MID], MID: [DOWN], SIDE: [DOWN]}
# The material each item's window asks to be supplemented ("" = a named, unlisted one).
OWN_MATERIAL = {
    UP: "tc_up_form",
    MID: "tc_mid_form",
    DOWN: "",
    SIDE: "tc_side_form",
    REVIEW: "tc_plan",
}
ACTIONS = sorted(a for a in TRANSITIONS if a not in SYSTEM_ACTIONS)
APPROVED = {S.APPROVED, S.APPROVED_DEFICIENT, S.DELIVERED}
# An upstream case in one of these will never be approved: what waits on it ends.
NEVER_APPROVED = {S.DENIED, S.REFUSED, S.WITHDRAWN, S.REVOKED, S.CANCELLED}
ALL_STATES = set(S.values)
# A case without upstream cases is never waiting, so never cancelled either.
ALLOWED_STATES = {
    name: ALL_STATES if name in UPSTREAMS else ALL_STATES - {S.WAITING, S.CANCELLED}
    for name in NAMES
}
# Actions that end a case (or send it back); drawn less often than those moving it on.
ENDINGS = {"withdraw", "refuse", "deny", "revoke", "request_supplement", "approve_deficient"}
CLERK_DOES = {"accept", "request_supplement", "refuse"}
START_DAYS = [
    datetime.date(2026, 2, 9),  # a week before 春节
    datetime.date(2026, 6, 1),
    datetime.date(2026, 9, 21),  # before 中秋 and 国庆
    datetime.date(2026, 12, 21),  # runs into 2027, which the calendar does not cover
]


@dataclass
class Model:
    """What the rules say one case should look like."""

    state: str
    initial: str
    step: int = 0
    transitions: int = 0
    history: list[str] = field(default_factory=list)


class CaseMachine(RuleBasedStateMachine):
    people: dict[str, User] = {}

    def __init__(self) -> None:
        super().__init__()
        # Each example runs in a savepoint rolled back at teardown, on a moving clock.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.travel = time_machine.travel(shanghai(2026, 6, 1), tick=True)
        self.clock = self.travel.start()
        self.cases: dict[str, int] = {}
        self.numbers: dict[str, str] = {}
        self.model: dict[str, Model] = {}
        self.steps: dict[str, int] = {}
        self.limits: dict[str, tuple[int, int]] = {}
        self.log: list[str] = []

    # --- setup and time ---------------------------------------------------------------

    @initialize(start=st.sampled_from(START_DAYS))
    def submit_applications(self, start: datetime.date) -> None:
        self.clock.move_to(shanghai(start.year, start.month, start.day))
        citizen = self.people["citizen"]
        bundle = submit(citizen, bundle="chain-test")
        single = submit(citizen, item=REVIEW)
        for case in [*bundle.cases.all(), *single.cases.all()]:
            item = item_of(case)
            # The clock checks below count working days: these items all do.
            assert item.statutory_limit.unit == item.promised_limit.unit == "working"
            self.cases[case.item_code] = case.pk
            self.numbers[case.item_code] = case.case_no
            self.model[case.item_code] = Model(state=case.state, initial=case.state)
            self.steps[case.item_code] = len(review_steps(item))
            self.limits[case.item_code] = (item.statutory_limit.days, item.promised_limit.days)
        assert set(self.cases) == set(NAMES)
        self.log.append(f"{start}: submitted")

    @rule(days=st.integers(min_value=0, max_value=10))
    def time_passes(self, days: int) -> None:
        self.clock.shift(datetime.timedelta(days=days))

    # --- actions ------------------------------------------------------------------------

    def _legal(self, name: str, action: str) -> bool:
        model = self.model[name]
        if model.state not in TRANSITIONS[action].sources:
            return False
        if action == "advance":
            return model.step + 1 < self.steps[name]
        if action in ("approve", "approve_deficient", "deny"):
            return model.step >= self.steps[name] - 1
        return True

    def _options(self) -> list[tuple[str, str]]:
        """The legal (case, action) pairs, the ones that move a case on weighted up, so
        that examples reach deep states before a withdrawal or refusal ends them."""
        return [
            (n, a)
            for n in NAMES
            for a in ACTIONS
            if self._legal(n, a)
            for _ in range(1 if a in ENDINGS else 6)
        ]

    @precondition(lambda self: bool(self.cases) and bool(self._options()))
    @rule(data=st.data(), days=st.integers(min_value=0, max_value=4))
    def legal_action(self, data: st.DataObject, days: int) -> None:
        self.clock.shift(datetime.timedelta(days=days))
        name, action = data.draw(st.sampled_from(self._options()), label="legal")
        self._attempt(name, action)

    @precondition(lambda self: bool(self.cases) and bool(self._options()))
    @rule(data=st.data(), days=st.integers(min_value=0, max_value=4))
    def another_legal_action(self, data: st.DataObject, days: int) -> None:
        # A second rule doing the same makes legal steps likelier than any other kind.
        self.legal_action(data, days)

    @precondition(lambda self: bool(self.cases))
    @rule(name=st.sampled_from(NAMES), action=st.sampled_from(ACTIONS))
    def any_action(self, name: str, action: str) -> None:
        self._attempt(name, action)

    @precondition(lambda self: bool(self.cases))
    @rule(
        name=st.sampled_from(NAMES),
        action=st.sampled_from(ACTIONS),
        who=st.sampled_from(["intruder", "citizen"]),
    )
    def someone_else_tries(self, name: str, action: str, who: str) -> None:
        if who == "citizen" and action in APPLICANT_ACTIONS:
            return  # the applicant may do these: covered by the other rules
        body = self._body(name, action)
        before = self._snapshot(name)
        with pytest.raises(DomainError) as caught:
            perform_action(self.people[who], self.numbers[name], action, body)
        # Another department's approver may not even see the case; the applicant sees it
        # but may not decide it.
        assert caught.value.status == (404 if who == "intruder" else 403), caught.value.detail
        assert self._snapshot(name) == before

    def _person(self, name: str, action: str) -> User:
        if action in CLERK_DOES:
            return self.people["clerk"]
        if action in APPLICANT_ACTIONS:
            return self.people["citizen"]
        return self.people[f"approver-{Case.objects.get(pk=self.cases[name]).department.code}"]

    def _body(self, name: str, action: str) -> dict[str, Any]:
        today = timezone.localdate()
        key = OWN_MATERIAL[name]
        if action == "request_supplement":
            entry = {"key": key} if key else {"name": "补充说明"}
            return {"materials": [{**entry, "reason": "请补正"}], "note": "一次性告知"}
        if action == "resubmit":
            if not key:
                return {"materials": {}}
            upload = make_upload(self.people["citizen"], "补正材料.pdf")
            return {"materials": {key: {"provision": "upload", "upload": upload}}}
        return {
            "refuse": {"reason": "不属于受理范围"},
            "advance": {"opinion": "同意"},
            "approve": {"opinion": "准予"},
            "approve_deficient": {"supply_by": (today + datetime.timedelta(days=10)).isoformat()},
            "deny": {"reason": "不符合条件", "legal_basis": "《测试条例》"},
            "start_special": {"kind": "inspection", "reason": "现场检验"},
            "end_special": {"result": "合格"},
            "deliver": {"method": "mail", "tracking_no": "SF0001"},
            "withdraw": {"reason": "不办了"},
            "revoke": {"reason": "以欺骗手段取得"},
        }.get(action, {})

    def _snapshot(self, name: str) -> tuple[Any, ...]:
        case = Case.objects.get(pk=self.cases[name])
        return (
            case.state,
            case.step_index,
            case.updated_at,
            case.statutory_due,
            case.promised_due,
            AuditEvent.objects.count(),
            Notice.objects.count(),
            SpecialProcedure.objects.count(),
            SupplementRequest.objects.count(),
        )

    def _attempt(self, name: str, action: str) -> None:
        legal = self._legal(name, action)
        body = self._body(name, action)
        before = self._snapshot(name)
        model = self.model[name]
        self.log.append(
            f"{timezone.localdate()} {action} {name} ({model.state}, step {model.step})"
        )
        refused: IllegalTransition | None = None
        try:
            perform_action(self._person(name, action), self.numbers[name], action, body)
        except IllegalTransition as error:
            refused = error
        if refused is not None:
            assert not legal, f"{action} on {name} in {model.state} refused: {refused.detail}"
            assert refused.status == 409
            assert refused.detail["state"] == model.state
            assert self._snapshot(name) == before, f"refused {action} on {name} changed things"
            return
        assert legal, f"{action} on {name} succeeded from {model.state} (step {model.step})"
        self._apply(name, action)
        if action == "end_special":
            self._check_pause(name, before)

    def _apply(self, name: str, action: str) -> None:
        model = self.model[name]
        model.state = TRANSITIONS[action].target
        model.transitions += 1
        model.history.append(action)
        if action == "accept":
            model.step = 0
        elif action == "advance":
            model.step += 1
        if action in ("approve", "approve_deficient"):
            self._release_after(name)
        elif model.state in NEVER_APPROVED:
            self._cancel_after(name)

    def _release_after(self, name: str) -> None:
        for down in DOWNSTREAMS.get(name, []):
            model = self.model[down]
            if model.state == S.WAITING and all(
                self.model[up].state in APPROVED for up in UPSTREAMS[down]
            ):
                model.state = S.RECEIVED
                model.transitions += 1
                model.history.append("release")

    def _cancel_after(self, name: str) -> None:
        for down in DOWNSTREAMS.get(name, []):
            model = self.model[down]
            if model.state == S.WAITING:
                model.state = S.CANCELLED
                model.transitions += 1
                model.history.append("cancel")
                self._cancel_after(down)

    def _check_pause(self, name: str, before: tuple[Any, ...]) -> None:
        """(c): the procedure paused the working days in (start, end]; both dues moved by
        exactly that many working days."""
        cal = current_calendar()
        case = Case.objects.get(pk=self.cases[name])
        procedure = SpecialProcedure.objects.filter(case=case).latest("pk")
        assert procedure.ended_on == timezone.localdate()
        paused = cal.count_working_days(procedure.started_on, procedure.ended_on).workdays
        assert procedure.paused_working_days == paused
        old_statutory, old_promised = before[3], before[4]
        assert case.statutory_due is not None
        assert case.promised_due is not None
        assert cal.count_working_days(old_statutory, case.statutory_due).workdays == paused
        assert cal.count_working_days(old_promised, case.promised_due).workdays == paused

    # --- what must hold after every step -------------------------------------------------

    @invariant()
    def the_world_matches_the_rules(self) -> None:
        cases = {c.item_code: c for c in Case.objects.filter(pk__in=self.cases.values())}
        cal = current_calendar()
        trail = "\n".join(self.log[-12:])
        for name, case in cases.items():
            model = self.model[name]
            # (a) a state the case may be in, the one the rules predict.
            assert case.state in ALLOWED_STATES[name], (name, case.state)
            assert (case.state, case.step_index) == (model.state, model.step), (
                f"{name}: engine {case.state}/{case.step_index}, "
                f"rules {model.state}/{model.step}\n{trail}"
            )
            # (b) one event per transition, each a pair of the table, chained.
            events = transition_events(case.case_no)
            assert [e.action.removeprefix("case.") for e in events] == model.history, trail
            state = model.initial
            for event in events:
                transition = TRANSITIONS[event.action.removeprefix("case.")]
                assert event.before is not None
                assert event.after is not None
                assert event.before["state"] == state
                assert state in transition.sources
                assert event.after["state"] == transition.target
                state = transition.target
            assert state == case.state
            # (e) a waiting case has an upstream that is not approved (yet).
            if case.state == S.WAITING:
                assert any(cases[up].state not in APPROVED for up in UPSTREAMS[name])
            self._check_clocks(name, case, cal)

    def _check_clocks(self, name: str, case: Case, cal: Any) -> None:
        procedures = list(SpecialProcedure.objects.filter(case=case).order_by("pk"))
        open_ones = [p for p in procedures if p.ended_on is None]
        assert len(open_ones) == (1 if case.state == S.SPECIAL else 0)
        if case.accepted_on is None:
            assert case.promised_due is None
            assert case.statutory_due is None
            assert not procedures
            return
        ended = [p for p in procedures if p.ended_on is not None and p.result != "申请人撤回"]
        for procedure in ended:
            assert procedure.ended_on is not None
            span = cal.count_working_days(procedure.started_on, procedure.ended_on).workdays
            assert procedure.paused_working_days == span
        assert case.paused_working_days == sum(p.paused_working_days for p in ended)
        statutory, promised = self.limits[name]
        # (c) the limits run only outside the pauses.
        expected_statutory = cal.add_working_days(
            case.accepted_on, statutory + case.paused_working_days
        )
        expected_promised = cal.add_working_days(
            case.accepted_on, promised + case.paused_working_days
        )
        assert case.statutory_due == expected_statutory.due, name
        assert case.promised_due == expected_promised.due, name
        if expected_statutory.provisional or expected_promised.provisional:
            assert case.due_provisional, name
        if case.state != S.IN_REVIEW:
            assert case_warning(case) == WarningLevel.NORMAL

    def teardown(self) -> None:
        try:
            if self.cases:
                report = verify_audit_chain()  # (d)
                assert report.ok, report.breaks
        finally:
            self.travel.stop()
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)


def test_random_action_sequences_keep_every_rule(case_catalog_people: dict[str, User]) -> None:
    CaseMachine.people = case_catalog_people
    run_state_machine_as_test(
        CaseMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            # Shrinking replays the database work hundreds of times (minutes); the failure
            # message already names the last steps. TONGBAN_SHRINK=1 shrinks anyway.
            phases=list(Phase)
            if os.environ.get("TONGBAN_SHRINK")
            else [Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )


@pytest.fixture
def case_catalog_people(demo: None) -> dict[str, User]:
    import_case_catalog("chain-test", "TREVIEW01")
    usernames = ["citizen", "clerk", "approver-yy-jiaoyu"] + [
        f"approver-{code}"
        for code in ("yy-fuyou", "yy-gongan", "yy-yibao", "yy-renshe", "yy-shichang")
    ]
    people = {u: User.objects.get(username=u) for u in usernames}
    people["intruder"] = people["approver-yy-jiaoyu"]
    return people
