"""One case's life: the transitions a real run would have made, with their times.

A case's whole path is drawn when it is received (outcome, supplement, special procedure,
decision day, delivery), then cut at the end of the generated period: whatever would happen
later has not happened yet, so recent cases are left open in the state they would really be
in (received, supplement, in review, special procedure). The Case row's fields are the fold
of the events that were kept, so the row always agrees with its events.

Every transition name, source and target state is the one in tongban/cases/transitions.py;
the decision measures are those of tongban/cases/clock.decision_timing.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tongban.cases.enums import NATIONAL_STATE, CaseState, DecisionBy, SpecialKind
from tongban.cases.transitions import TRANSITIONS

from .calendar import DAY, FastCalendar
from .world import ItemInfo

# Outcome probabilities, per case. Immediate items (即办件) are decided at acceptance and are
# never late or denied, so the promised items carry those shares a little higher.
P_REFUSE = 0.02  # 不予受理: half at once, half after an unanswered 补正
P_SUPPLEMENT = 0.12  # 补正 then resubmitted
P_WITHDRAW = 0.01
P_SPECIAL = 0.009  # of promised items (≈ 0.5 % of all cases)
P_DENY = 0.05  # of promised items (≈ 3 % of all cases)
P_DEFICIENT = 0.01  # 容缺通过, of approvals
P_LATE_STATUTORY = 0.008  # of promised items: decided after the statutory due date
P_LATE_PROMISED = 0.06  # of promised items: after the promised, within the statutory date
P_NOT_DELIVERED = 0.08  # approved results without a recorded delivery
DELIVERY = (("pickup", 0.30), ("mail", 0.35), ("electronic", 0.35))

OFFICE_OPEN = 8 * 3600 + 30 * 60
OFFICE_CLOSE = 17 * 3600 + 30 * 60
SPECIAL_KINDS = [k.value for k in SpecialKind][:6]
REFUSE_REASON = "申请事项不属于本机关职权范围或申请材料不符合法定形式"
DENY_REASON = "经审查，申请人不符合法定条件"
LEGAL_BASIS = "《中华人民共和国行政许可法》第三十二条、第三十八条"


def _before(state: str) -> str:
    return json.dumps({"state": state, "step": 0}, ensure_ascii=False)


def _after_prefix(action: str) -> str:
    """The constant head of a transition's `after`, without the closing brace."""
    target = TRANSITIONS[action].target
    head = {
        "state": target,
        "step": 0,
        "label": TRANSITIONS[action].label,
        "national_state": NATIONAL_STATE[CaseState(target)],
    }
    return json.dumps(head, ensure_ascii=False)[:-1]


BEFORE = {s.value: _before(s.value) for s in CaseState}
AFTER = {action: _after_prefix(action) for action in TRANSITIONS}
TARGET = {action: t.target for action, t in TRANSITIONS.items()}
Step = Callable[..., int]


@dataclass
class CaseLife:
    """A case's final fields and its kept events [(time, action, before, after)]."""

    state: str = CaseState.RECEIVED
    accepted_on: int | None = None
    statutory_due: int | None = None
    promised_due: int | None = None
    provisional: bool = False
    paused_working: int = 0
    paused_natural: int = 0
    decided_at: int | None = None
    decision_by: str = ""
    reason: str = ""
    legal_basis: str = ""
    result_name: str = ""
    deficiency_supply_by: int | None = None
    delivered_at: int | None = None
    delivery_method: str = ""
    tracking_no: str = ""
    updated_at: int = 0
    special: tuple[int, int | None, int, str] | None = None  # start, end, paused, kind
    events: list[tuple[int, str, str, str]] = field(default_factory=list)


class Simulator:
    def __init__(self, fc: FastCalendar, rng: random.Random, cutoff: int) -> None:
        self.fc = fc
        self.rng = rng
        self.cutoff = cutoff  # local seconds: nothing happens at or after this moment

    # --- times -----------------------------------------------------------------------

    def office(self, day: int, after: int = 0) -> int:
        """A moment in office hours on working day `day` (or the next one), after `after`."""
        fc, rng = self.fc, self.rng
        day = fc.next_working(day)
        while True:
            lo = max(day * DAY + OFFICE_OPEN, after + 60)
            hi = day * DAY + OFFICE_CLOSE
            if lo < hi:
                # Skewed to the morning: most things are done early in the day.
                return lo + int((hi - lo) * rng.random() ** 1.3)
            day = fc.next_working(day + 1)

    # --- the path ----------------------------------------------------------------------

    def run(self, received: int, window: bool, item: ItemInfo) -> CaseLife:
        rng, fc = self.rng, self.fc
        life = CaseLife(updated_at=received)
        steps: list[tuple[int, str, str, dict[str, object]]] = []  # time, action, extra, changes

        def step(t: int, action: str, extra: str = "", **changes: object) -> int:
            steps.append((t, action, extra, changes))
            return t

        # 1. The window looks at the materials: at once at a window, next office slot online.
        if window:
            t = received + 60 + int(rng.random() * 900)
        else:
            t = self.office(received // DAY, received + 1800 + int(rng.random() * 7200))
        u = rng.random()
        withdraw = rng.random() < P_WITHDRAW
        if u < P_REFUSE:
            if u < P_REFUSE / 2:
                step(t, "refuse", "", decided_at=t, reason=REFUSE_REASON, legal_basis=LEGAL_BASIS)
            else:
                t = step(t, "request_supplement")
                t = self.office(fc.add(t // DAY, 10 + int(rng.random() * 10)))
                step(t, "refuse", "", decided_at=t, reason=REFUSE_REASON, legal_basis=LEGAL_BASIS)
            return self._fold(life, steps)
        if withdraw and not window and rng.random() < 0.5:
            step(received + int((t - received) * rng.random()) + 1, "withdraw")
            return self._fold(life, steps)
        if u < P_REFUSE + P_SUPPLEMENT:
            t = step(t, "request_supplement")
            back = t + int((1 + rng.random() * 9) * DAY * rng.random())
            t = step(back if not window else self.office(back // DAY, back), "resubmit")
            t = self.office(t // DAY, t + 1800 + int(rng.random() * DAY))

        # 2. 受理: the clocks start from the next day.
        accepted = t // DAY
        sdue, p1 = fc.due(accepted, item.statutory_days, item.statutory_natural)
        if item.immediate:
            pdue, p2 = fc.due(accepted, 0, False)
        else:
            pdue, p2 = fc.due(accepted, item.promised_days, item.promised_natural)
        extra = (
            f', "statutory_due": "{fc.iso(sdue)}", "promised_due": "{fc.iso(pdue)}", '
            f'"provisional": {"true" if p1 or p2 else "false"}'
        )
        t = step(
            t,
            "accept",
            extra,
            accepted_on=accepted,
            statutory_due=sdue,
            promised_due=pdue,
            provisional=p1 or p2,
        )
        if item.immediate:
            decided = t + 1 + int(rng.random() * 30)
            self._decide(
                step, decided, "approve", item, accepted, pdue, sdue, 0, DecisionBy.INSTANT
            )
            self._deliver(step, decided, approved=True)
            return self._fold(life, steps)

        # 3. Review, perhaps with a special procedure that stops the clock.
        paused = 0
        earliest = accepted
        if rng.random() < P_SPECIAL:
            start = fc.add(accepted, 1 + int(rng.random() * 2))
            length = 3 + int(rng.random() * 22)
            end = fc.add(start, length)
            kind = SPECIAL_KINDS[int(rng.random() * len(SPECIAL_KINDS))]
            ts = step(self.office(start, t), "start_special", f', "kind": "{kind}"', special=kind)
            paused = fc.count(start, end)
            natural = end - start
            sdue, p1 = fc.due(
                accepted,
                item.statutory_days + (natural if item.statutory_natural else paused),
                item.statutory_natural,
            )
            pdue, p2 = fc.due(
                accepted,
                item.promised_days + (natural if item.promised_natural else paused),
                item.promised_natural,
            )
            extra = (
                f', "paused_working_days": {paused}, "statutory_due": "{fc.iso(sdue)}", '
                f'"promised_due": "{fc.iso(pdue)}"'
            )
            t = step(
                self.office(end, ts),
                "end_special",
                extra,
                special_end=end,
                statutory_due=sdue,
                promised_due=pdue,
                provisional=p1 or p2,
                paused_working=paused,
                paused_natural=natural,
            )
            earliest = end

        # 4. The decision day: mostly within the promised limit, a few late.
        v = rng.random()
        if v < P_LATE_STATUTORY:
            day = fc.add(max(sdue, earliest), 1 + int(rng.random() * 5))
        elif v < P_LATE_STATUTORY + P_LATE_PROMISED and fc.count(pdue, sdue) > 0:
            # Late cases are mostly a day or two late: a long tail would fill the red list.
            gap = fc.count(pdue, sdue)
            day = fc.add(pdue, 1 + int(rng.random() ** 2 * min(gap - 1, 4)))
        else:
            span = fc.count(accepted, pdue) if pdue > accepted else 0
            day = fc.add(accepted, int((span + 1) * rng.random() ** 1.5))
        day = max(day, earliest)
        decided = self.office(day, t)
        if withdraw:
            step(t + int((decided - t) * rng.random()) + 1, "withdraw")
            return self._fold(life, steps)
        w = rng.random()
        if w < P_DENY:
            action = "deny"
        elif w < P_DENY + P_DEFICIENT:
            action = "approve_deficient"
        else:
            action = "approve"
        self._decide(step, decided, action, item, accepted, pdue, sdue, paused, DecisionBy.PERSON)
        self._deliver(step, decided, approved=action != "deny")
        return self._fold(life, steps)

    def _decide(
        self,
        step: Step,
        t: int,
        action: str,
        item: ItemInfo,
        accepted: int,
        pdue: int,
        sdue: int,
        paused: int,
        by: str,
    ) -> None:
        fc = self.fc
        day = t // DAY
        working = max(0, fc.count(accepted, max(accepted, day)) - paused)
        extra = (
            f', "decision_by": "{by}", "working_days": {working}, '
            f'"on_time_promised": {"true" if day <= pdue else "false"}, '
            f'"on_time_statutory": {"true" if day <= sdue else "false"}'
        )
        changes: dict[str, object] = {"decided_at": t, "decision_by": by}
        if action == "deny":
            changes.update(reason=DENY_REASON, legal_basis=LEGAL_BASIS)
        else:
            changes["result_name"] = item.result_name
        if action == "approve_deficient":
            changes["deficiency_supply_by"] = fc.add(day, 10)
        step(t, action, extra, **changes)

    def _deliver(self, step: Step, decided: int, approved: bool) -> None:
        rng, fc = self.rng, self.fc
        if not approved or rng.random() < P_NOT_DELIVERED:
            return
        u = rng.random()
        if u < DELIVERY[0][1]:
            method, t = "pickup", self.office(fc.add(decided // DAY, 1 + int(rng.random() * 5)))
        elif u < DELIVERY[0][1] + DELIVERY[1][1]:
            method, t = "mail", self.office(fc.add(decided // DAY, 1 + int(rng.random() * 2)))
        else:
            method, t = "electronic", decided + 60 + int(rng.random() * 3600)
        tracking = f"SF{t:012d}"[:14] if method == "mail" else ""
        step(
            t,
            "deliver",
            f', "method": "{method}", "tracking_no": "{tracking}"',
            delivered_at=t,
            delivery_method=method,
            tracking_no=tracking,
        )

    # --- cut at the end of the period and fold into the row --------------------------------

    def _fold(
        self, life: CaseLife, steps: list[tuple[int, str, str, dict[str, object]]]
    ) -> CaseLife:
        cutoff = self.cutoff
        state = CaseState.RECEIVED.value
        for t, action, extra, changes in steps:
            if t >= cutoff:
                break
            target = TARGET[action]
            life.events.append((t, "case." + action, BEFORE[state], AFTER[action] + extra + "}"))
            state = target
            life.updated_at = t
            for name, value in changes.items():
                if name == "special":
                    life.special = (t // DAY, None, 0, str(value))
                elif name == "special_end":
                    assert life.special is not None
                    life.special = (life.special[0], int(str(value)), 0, life.special[3])
                else:
                    setattr(life, name, value)
        if life.special is not None and life.special[1] is not None:
            start, end, _, kind = life.special
            life.special = (start, end, life.paused_working, kind)
        life.state = state
        return life
