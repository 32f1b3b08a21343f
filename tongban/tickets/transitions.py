"""The one transition table of a ticket (工单). A target of None keeps the state: those
actions (催办, 延期, 关联) are allowed only in the listed states but change no state."""

from __future__ import annotations

from dataclasses import dataclass

from tongban.core.errors import DomainError

from .enums import TicketState as S


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None


def _t(action: str, label: str, sources: set[S], target: S | None) -> Transition:
    return Transition(
        action, label, frozenset(str(s) for s in sources), None if target is None else str(target)
    )


# Still with the hotline or a department: may be merged away, and counts as late when due.
OPEN_STATES = frozenset({S.RECEIVED, S.DISPATCHED, S.SIGNED, S.RETURNED})
_ALL_BUT_MERGED = set(S) - {S.MERGED}

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("answer", "即时办结", {S.RECEIVED}, S.CLOSED),
        _t("dispatch", "派单", {S.RECEIVED}, S.DISPATCHED),
        _t("sign", "签收", {S.DISPATCHED}, S.SIGNED),
        _t("return", "退单", {S.DISPATCHED, S.SIGNED}, S.RETURNED),
        _t("reassign", "改派", {S.RETURNED}, S.DISPATCHED),
        _t("reply", "答复", {S.SIGNED}, S.REPLIED),
        _t("request_extension", "申请延期", {S.SIGNED}, None),
        _t("review_extension", "审核延期", {S.SIGNED}, None),
        _t("remind", "催办", {S.DISPATCHED, S.SIGNED}, None),
        _t("merge", "并单", set(OPEN_STATES), S.MERGED),
        _t("follow_up", "回访", {S.REPLIED}, None),
        _t("redo", "退回重办", {S.REPLIED}, S.SIGNED),
        _t("close", "办结", {S.REPLIED}, S.CLOSED),
        _t("link", "关联申请或办件", _ALL_BUT_MERGED, None),
    ]
}
# The actions that move the state (and appear in the citizen's progress).
STATE_CHANGING = frozenset(t.action for t in TRANSITIONS.values() if t.target is not None)


def check_transition(action: str, state: str) -> Transition:
    transition = TRANSITIONS[action]
    if state not in transition.sources:
        label = S(state).label
        raise DomainError("illegal_transition", f"工单当前为“{label}”，不能{transition.label}", 409)
    return transition
