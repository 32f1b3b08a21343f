"""The one transition table of a rectification (差评整改)."""

from __future__ import annotations

from dataclasses import dataclass

from tongban.core.errors import DomainError

from .enums import RectificationState as S


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str


def _t(action: str, label: str, sources: set[S], target: S) -> Transition:
    return Transition(action, label, frozenset(str(s) for s in sources), str(target))


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("follow_up", "回访核实", {S.OPEN}, S.FOLLOWED_UP),
        _t("resolve", "整改答复", {S.FOLLOWED_UP}, S.REPLIED),
        _t("appeal", "误评申诉", {S.OPEN, S.FOLLOWED_UP}, S.APPEALED),
        _t("uphold_appeal", "申诉成立", {S.APPEALED}, S.VOIDED),
        _t("reject_appeal", "申诉不成立", {S.APPEALED}, S.FOLLOWED_UP),
        _t("close", "整改办结", {S.REPLIED}, S.CLOSED),
    ]
}
OPEN_STATES = frozenset({str(S.OPEN), str(S.FOLLOWED_UP), str(S.APPEALED)})


def check_transition(action: str, state: str) -> Transition:
    transition = TRANSITIONS[action]
    if state not in transition.sources:
        label = S(state).label
        raise DomainError(
            "illegal_transition", f"差评整改当前为“{label}”，不能{transition.label}", 409
        )
    return transition
