"""好差评 use cases: rate a case stage or a window visit, and work the rectification a bad
rating opens (回访 → 整改答复 → 办结, or 误评申诉 → 复核). Each is one transaction with its
audit event; a bad rating and its rectification are created together or not at all.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.cases.enums import DECIDED_STATES, CaseState, Channel
from tongban.cases.models import Application, Case
from tongban.cases.permissions import is_applicant
from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.models import Department, Role, User
from tongban.core.roles import supervised_units
from tongban.core.workcalendar import add_working_days

from .enums import (
    BAD_LEVELS,
    OFFLINE_CHANNELS,
    OFFLINE_INDICATORS,
    ONLINE_INDICATORS,
    Finding,
    FollowUpMethod,
    Level,
    RatingChannel,
    Stage,
)
from .models import Rating, Rectification
from .transitions import check_transition

RATABLE_AT_COMPLETION = DECIDED_STATES | {CaseState.REFUSED, CaseState.REVOKED}
MIN_BAD_COMMENT = 5  # characters: a 差评 must say what went wrong, or nobody can fix it


def _required(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("required", f"请填写{what}", 400)
    return value


def _validated(
    level: int, indicators: Mapping[str, Any], comment: str, channel: str
) -> dict[str, int]:
    problems = []
    if level not in Level.values:
        problems.append("评价等级须为1（非常不满意）至5（非常满意）")
    if channel not in RatingChannel.values:
        problems.append(f"不支持的评价渠道“{channel}”")
    allowed = OFFLINE_INDICATORS if channel in OFFLINE_CHANNELS else ONLINE_INDICATORS
    scores: dict[str, int] = {}
    for name, score in indicators.items():
        if name not in allowed:
            problems.append(f"本渠道没有评价指标“{name}”（可选：{'、'.join(allowed)}）")
        elif not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            problems.append(f"“{name}”的评分须为1至5的整数")
        else:
            scores[name] = score
    if level in BAD_LEVELS and len((comment or "").strip()) < MIN_BAD_COMMENT:
        problems.append(f"差评请说明原因（至少{MIN_BAD_COMMENT}个字），以便整改")
    if problems:
        raise DomainError("invalid_rating", problems, 400)
    return scores


def _rated_object(
    stage: str, case_no: str | None, application_number: str | None
) -> tuple[Application, Case | None, Department]:
    """The application (locked: two ratings of it cannot race), the case and who answers."""
    if stage == Stage.WINDOW:
        application = (
            Application.objects.select_for_update().filter(number=application_number or "").first()
        )
        if application is None:
            raise DomainError("not_found", f"申请“{application_number}”不存在", 404)
        if application.channel != Channel.WINDOW or application.service_centre_id is None:
            raise DomainError("not_ratable", "只有在窗口提交的申请才能评价窗口服务", 409)
        centre = Department.objects.get(pk=application.service_centre_id)
        return application, None, centre
    if stage not in Stage.values:
        raise DomainError("invalid_rating", [f"不支持的评价对象“{stage}”"], 400)
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("department", "application")
        .filter(case_no=case_no or "")
        .first()
    )
    if case is None:
        raise DomainError("not_found", f"办件“{case_no}”不存在", 404)
    if stage == Stage.ACCEPT and case.accepted_on is None:
        raise DomainError("not_ratable", "办件受理后才能评价受理环节", 409)
    if stage == Stage.COMPLETE and case.state not in RATABLE_AT_COMPLETION:
        raise DomainError("not_ratable", "办件办结后才能评价办结环节", 409)
    return case.application, case, case.department


def _rater_of(application: Application, actor: User) -> None:
    # At a window the creator is the clerk, who must not rate their own service.
    if not is_applicant(actor, application):
        raise DomainError("forbidden", "只有申请人本人可以评价", 403)


def _pad_of(application: Application, stage: str, channel: str, clerk: User) -> None:
    """The window pad (窗口评价器, 一次一评): the applicant taps it at the counter while the
    clerk's session is open. Only a clerk of the service centre that received the
    application may open it, only for the window visit, and the rating is the applicant's
    own account's — a walk-in without an account cannot be recorded as a named rater."""
    if stage != Stage.WINDOW or channel != RatingChannel.WINDOW_PAD:
        raise DomainError("invalid_rating", ["窗口评价器只能评价窗口服务"], 400)
    centres = {a.department_id for a in clerk.assignments_by_role().get(Role.CLERK, [])}
    if application.service_centre_id not in centres:
        raise DomainError("forbidden", "只有受理该申请的服务中心窗口可以打开评价器", 403)
    if application.applicant_user_id is None:
        raise DomainError(
            "no_rater_account",
            "申请人没有通办账号，评价器无法记录评价人；请引导申请人注册后在线评价",
            409,
        )


def rectification_due(day: datetime.date) -> tuple[datetime.date, bool]:
    """The rectification deadline: TONGBAN_RECTIFY_DAYS working days after the rating."""
    due = add_working_days(day, settings.TONGBAN_RECTIFY_DAYS)
    return due.due, due.provisional


def rating_submit(
    actor: User,
    *,
    stage: str,
    level: int,
    channel: str,
    case_no: str | None = None,
    application_number: str | None = None,
    indicators: Mapping[str, Any] | None = None,
    comment: str = "",
    anonymous: bool = False,
    on_pad_of: User | None = None,
) -> Rating:
    """Rate one case stage or one window visit; a 差评 opens exactly one rectification.

    `on_pad_of` is the clerk whose window pad the applicant (`actor`) tapped: the rating is
    the applicant's, the audit event records the clerk's session it was made in."""
    scores = _validated(level, indicators or {}, comment, channel)
    with transaction.atomic():
        application, case, department = _rated_object(stage, case_no, application_number)
        if on_pad_of is not None:
            _pad_of(application, stage, channel, on_pad_of)
        _rater_of(application, actor)
        # The unique constraints (one per case stage, one per window visit) decide.
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    case=case,
                    application=application,
                    stage=stage,
                    department=department,
                    level=level,
                    indicators=scores,
                    comment=(comment or "").strip(),
                    channel=channel,
                    anonymous=anonymous,
                    rater=actor,
                )
        except IntegrityError:
            raise DomainError("already_rated", "已经评价过了，每个环节只能评价一次", 409) from None
        after: dict[str, Any] = {
            "stage": stage,
            "level": level,
            "case": case.case_no if case else None,
            "application": application.number,
            "department": department.code,
            "channel": channel,
        }
        if on_pad_of is not None:
            after["rater"] = actor.pk
        record_event(
            action="rating.submit",
            object_type="rating",
            object_id=rating.pk,
            # On a pad the session is the clerk's: the event says whose and for whom.
            actor=on_pad_of or actor,
            role=Role.CLERK if on_pad_of is not None else Role.CITIZEN,
            after=after,
        )
        if level in BAD_LEVELS:
            _open_rectification(rating)
        return rating


def _open_rectification(rating: Rating) -> Rectification:
    due, provisional = rectification_due(timezone.localdate())
    rectification = Rectification.objects.create(
        rating=rating, department=rating.department, due_on=due, due_provisional=provisional
    )
    record_event(
        action="rectification.open",
        object_type="rectification",
        object_id=rectification.pk,
        role="system",
        after={"rating": rating.pk, "department": rating.department.code, "due_on": str(due)},
    )
    return rectification


# ---------------------------------------------------------------- the rectification


def _lock(pk: int) -> Rectification:
    found = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("rating", "department")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise DomainError("not_found", "差评整改不存在", 404)
    return found


def is_responsible(user: User, department_id: int) -> bool:
    """Staff of the rated unit (谁办理、谁负责): its approvers or window clerks."""
    roles = user.assignments_by_role()
    return any(
        a.department_id == department_id
        for role in (Role.APPROVER, Role.CLERK)
        for a in roles.get(role, [])
    )


def _department_may(user: User, rectification: Rectification) -> None:
    if not is_responsible(user, rectification.department_id):
        raise DomainError("forbidden", "只有被评价单位可以办理该差评整改", 403)


def _apply(
    rectification: Rectification,
    action: str,
    *,
    actor: User | None,
    role: str,
    changes: Mapping[str, Any],
) -> Rectification:
    transition = check_transition(action, rectification.state)
    before = rectification.state
    for name, value in changes.items():
        setattr(rectification, name, value)
    rectification.state = transition.target
    rectification.save(update_fields=["state", *changes])
    record_event(
        action=f"rectification.{action}",
        object_type="rectification",
        object_id=rectification.pk,
        actor=actor,
        role=role,
        before={"state": before},
        after={
            "state": transition.target,
            **{k: str(v) for k, v in changes.items() if not k.endswith("_at")},
        },
    )
    return rectification


def rectification_follow_up(pk: int, actor: User, *, method: str, notes: str) -> Rectification:
    """回访核实: the department calls (or visits) the rater and writes down what it heard."""
    if method not in FollowUpMethod.values:
        raise DomainError("invalid", f"不支持的回访方式“{method}”", 400)
    notes = _required(notes, "回访记录")
    with transaction.atomic():
        rectification = _lock(pk)
        _department_may(actor, rectification)
        if method == FollowUpMethod.NONE and not rectification.rating.anonymous:
            raise DomainError("invalid", "实名差评必须回访（电话、上门或短信）", 400)
        changes = {
            "follow_up_method": method,
            "follow_up_notes": notes,
            "followed_up_at": timezone.now(),
        }
        return _apply(rectification, "follow_up", actor=actor, role=Role.APPROVER, changes=changes)


def rectification_resolve(
    pk: int, actor: User, *, finding: str, fix: str, reply: str
) -> Rectification:
    """整改答复: the finding, what was done about it, and the answer to the rater."""
    if finding not in Finding.values:
        raise DomainError("invalid", f"不支持的核实结论“{finding}”", 400)
    fix = _required(fix, "整改措施或解释说明")
    reply = _required(reply, "给评价人的答复")
    with transaction.atomic():
        rectification = _lock(pk)
        _department_may(actor, rectification)
        changes = {"finding": finding, "fix": fix, "reply": reply, "replied_at": timezone.now()}
        return _apply(rectification, "resolve", actor=actor, role=Role.APPROVER, changes=changes)


def rectification_appeal(pk: int, actor: User, *, reason: str) -> Rectification:
    """误评申诉: the department says the rating is mistaken or malicious; a supervisor decides."""
    reason = _required(reason, "申诉理由")
    with transaction.atomic():
        rectification = _lock(pk)
        _department_may(actor, rectification)
        changes = {"appeal_reason": reason}
        return _apply(rectification, "appeal", actor=actor, role=Role.APPROVER, changes=changes)


def rectification_review_appeal(
    pk: int, actor: User, *, uphold: bool, decision: str
) -> Rectification:
    """The supervisor's review: upheld, the rating no longer counts as 差评; rejected, the
    department must rectify after all (the deadline is not extended)."""
    decision = _required(decision, "复核意见")
    supervised = supervised_units(actor)
    if supervised is None:
        raise DomainError("forbidden", "只有效能监督人员可以复核申诉", 403)
    if not Rectification.objects.filter(supervised, pk=pk).exists():
        raise DomainError("forbidden", "该整改单位不在您监督的地区", 403)
    with transaction.atomic():
        rectification = _lock(pk)
        action = "uphold_appeal" if uphold else "reject_appeal"
        changes: dict[str, Any] = {"appeal_decision": decision}
        if uphold:
            changes["closed_at"] = timezone.now()
        return _apply(rectification, action, actor=actor, role=Role.SUPERVISOR, changes=changes)


def rectification_close(
    pk: int, actor: User | None, *, re_level: int | None = None
) -> Rectification:
    """办结: after the reply, the rater may rate again (二次评价) — which closes it — or the
    department closes it once the rater has had the reply."""
    with transaction.atomic():
        rectification = _lock(pk)
        rating = rectification.rating
        if re_level is not None:
            if actor is None or actor.pk != rating.rater_id:
                raise DomainError("forbidden", "只有评价人可以再次评价", 403)
            if re_level not in Level.values:
                raise DomainError("invalid", "评价等级须为1至5", 400)
            rating.re_level = re_level
            rating.save(update_fields=["re_level"])
            role: str = Role.CITIZEN
        else:
            if actor is not None:
                _department_may(actor, rectification)
            role = Role.APPROVER if actor is not None else "system"
        changes = {"closed_at": timezone.now()}
        return _apply(rectification, "close", actor=actor, role=role, changes=changes)
