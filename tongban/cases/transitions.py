"""The one transition table of a case. Every state change goes through `check_transition`.

Each action lists the states it may start from and the state it leads to. Guards that depend
on more than the state (the last review step, an open special procedure) live in the action
functions and raise the same 409.
"""

from __future__ import annotations

from dataclasses import dataclass

from tongban.core.errors import DomainError

from .enums import CaseState as S


@dataclass(frozen=True)
class Transition:
    action: str
    label: str  # 业务动作, as shown in the timeline and the national process table
    sources: frozenset[str]
    target: str


def _t(action: str, label: str, sources: set[S], target: str) -> Transition:
    return Transition(action, label, frozenset(str(s) for s in sources), target)


_DECIDABLE: set[S] = {S.IN_REVIEW}
_BEFORE_DECISION: set[S] = {S.WAITING, S.RECEIVED, S.SUPPLEMENT, S.IN_REVIEW, S.SPECIAL}
_DECIDED: set[S] = {S.APPROVED, S.APPROVED_DEFICIENT, S.DENIED}

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("release", "前置办结自动启动", {S.WAITING}, S.RECEIVED),
        _t("cancel", "前置未通过终止", {S.WAITING}, S.CANCELLED),
        _t("accept", "受理", {S.RECEIVED}, S.IN_REVIEW),
        _t("request_supplement", "补齐补正告知", {S.RECEIVED}, S.SUPPLEMENT),
        _t("resubmit", "补齐补正提交", {S.SUPPLEMENT}, S.RECEIVED),
        _t("refuse", "不予受理", {S.RECEIVED, S.SUPPLEMENT}, S.REFUSED),
        _t("advance", "审批环节办理", _DECIDABLE, S.IN_REVIEW),
        _t("approve", "办结（准予）", _DECIDABLE, S.APPROVED),
        _t("approve_deficient", "办结（容缺通过）", _DECIDABLE, S.APPROVED_DEFICIENT),
        _t("deny", "办结（不予许可）", _DECIDABLE, S.DENIED),
        _t("start_special", "特别程序开始", {S.IN_REVIEW}, S.SPECIAL),
        _t("end_special", "特别程序结束", {S.SPECIAL}, S.IN_REVIEW),
        _t("deliver", "送达", _DECIDED, S.DELIVERED),
        _t("withdraw", "申请人撤回", _BEFORE_DECISION, S.WITHDRAWN),
        _t("revoke", "撤销", {S.APPROVED, S.APPROVED_DEFICIENT, S.DELIVERED}, S.REVOKED),
    ]
}


class IllegalTransition(DomainError):
    def __init__(self, action: str, state: str, why: str = "") -> None:
        label = TRANSITIONS[action].label if action in TRANSITIONS else action
        detail = {
            "message": why or f"办件当前状态为“{S(state).label}”，不能执行“{label}”",
            "state": state,
            "state_label": S(state).label,
            "action": action,
        }
        super().__init__("illegal_transition", detail, status=409)


class UnknownAction(DomainError):
    def __init__(self, action: str) -> None:
        super().__init__("unknown_action", f"没有名为“{action}”的办件操作", status=404)


def check_transition(action: str, state: str) -> Transition:
    """The transition for `action` from `state`, or IllegalTransition (409)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise UnknownAction(action)
    if state not in transition.sources:
        raise IllegalTransition(action, state)
    return transition


def allowed_actions(state: str) -> list[str]:
    return [a for a, t in TRANSITIONS.items() if state in t.sources]
