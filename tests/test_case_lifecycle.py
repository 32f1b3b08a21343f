"""The case lifecycle through the action functions: acceptance, 一次性告知 and 补正, review
steps, decisions by a person, by 即办, by 秒批 and on 告知承诺, delivery, withdrawal and
revocation — each with the guard that stops it in the wrong state or with bad input."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

import pytest
import time_machine

from tongban.cases.actions import lifecycle
from tongban.cases.actions.lifecycle import (
    case_advance,
    case_approve,
    case_approve_deficient,
    case_deliver,
    case_deny,
    case_refuse,
    case_request_supplement,
    case_resubmit,
    case_revoke,
    case_withdraw,
)
from tongban.cases.enums import (
    CaseState,
    DecisionBy,
    NoticeKind,
    Provision,
    VerificationStatus,
)
from tongban.cases.inputs import ApplicantInfo, MaterialChoice
from tongban.cases.models import (
    ApplicationMaterial,
    Case,
    Notice,
    SupplementRequest,
    VerificationTask,
)
from tongban.cases.transitions import (
    TRANSITIONS,
    IllegalTransition,
    UnknownAction,
    allowed_actions,
    check_transition,
)
from tongban.core.errors import DomainError
from tongban.core.identifiers import make_resident_id
from tongban.core.models import AuditEvent, User
from tongban.core.workcalendar import current_calendar

from .case_helpers import (
    accept,
    approve_through,
    approver_of,
    import_case_catalog,
    make_upload,
    shanghai,
    submit,
    transition_events,
)

D = datetime.date.fromisoformat
Persona = Callable[[str], User]


@pytest.fixture
def case_catalog(demo: None) -> None:
    # Most tests need these two; the others import their own item as well.
    import_case_catalog("TREVIEW01", "TNATURAL01")


@pytest.fixture
def june_first() -> Iterator[None]:
    """Monday 2026-06-01, 10:00 in Yueyang; the clock ticks so updated_at moves."""
    with time_machine.travel(shanghai(2026, 6, 1), tick=True):
        yield


def _single(persona: Persona, item: str, **overrides) -> Case:
    application = submit(persona("citizen"), item=item, **overrides)
    return application.cases.select_related("department").get()


def _snapshot(case_no: str) -> tuple:
    case = Case.objects.get(case_no=case_no)
    return (
        case.state,
        case.step_index,
        case.updated_at,
        case.reason,
        case.tracking_no,
        AuditEvent.objects.count(),
        Notice.objects.count(),
    )


# --- the table itself -------------------------------------------------------------------------


def test_the_table_only_names_real_states_and_every_other_pair_is_a_409() -> None:
    states = set(CaseState.values)
    for action, transition in TRANSITIONS.items():
        assert transition.sources <= states, action
        assert transition.target in states, action
        for state in states:
            if state in transition.sources:
                assert check_transition(action, state) is transition
                assert action in allowed_actions(state)
            else:
                with pytest.raises(IllegalTransition) as caught:
                    check_transition(action, state)
                assert caught.value.status == 409
                assert caught.value.detail["state"] == state
                assert "不能执行" in caught.value.detail["message"]
    with pytest.raises(UnknownAction) as unknown:
        check_transition("teleport", CaseState.RECEIVED)
    assert unknown.value.status == 404
    # Terminal states: nothing but revocation leads out of a decision, nothing out of the end.
    for terminal in (
        CaseState.REFUSED,
        CaseState.WITHDRAWN,
        CaseState.REVOKED,
        CaseState.CANCELLED,
    ):
        assert allowed_actions(terminal) == []
    assert allowed_actions(CaseState.DELIVERED) == ["revoke"]


# --- decisions without a person ------------------------------------------------------------


def test_an_immediate_item_is_approved_at_acceptance(case_catalog, persona, june_first) -> None:
    import_case_catalog("TINSTANT01")
    case = _single(persona, "TINSTANT01")
    assert case.state == CaseState.RECEIVED
    accept(case.case_no)
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert case.decision_by == DecisionBy.INSTANT
    assert case.accepted_on == D("2026-06-01")
    assert case.promised_due == case.accepted_on
    assert case.decided_at is not None
    assert case.result_name == "测试即办证明"
    events = transition_events(case.case_no)
    assert [e.action for e in events] == ["case.accept", "case.approve"]
    assert events[1].role == "system"
    assert events[1].actor is None
    assert events[1].after is not None
    assert events[1].after["decision_by"] == "instant"
    kinds = set(Notice.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == {NoticeKind.ACCEPTANCE, NoticeKind.APPROVAL}


def _auto_form(age: int) -> dict:
    return {"tc_age": age, "tc.applicant_id": make_resident_id("43060219920315402")}


def test_auto_rule_approves_at_submission_when_the_rule_holds(
    case_catalog, persona, june_first
) -> None:
    import_case_catalog("TAUTO01")
    case = _single(persona, "TAUTO01", form=_auto_form(30))
    assert case.state == CaseState.APPROVED
    assert case.decision_by == DecisionBy.AUTO_RULE
    assert case.accepted_on == D("2026-06-01")
    events = transition_events(case.case_no)
    assert [e.action for e in events] == ["case.accept", "case.approve"]
    approval = events[1].after
    assert approval is not None
    assert approval["decision_by"] == "auto_rule"
    assert approval["rule"]["and"][0] == {">=": [{"var": "form.tc_age"}, 18]}
    assert approval["rule_text"] == "申请人年满18周岁且身份信息核验通过"
    assert all(e.role == "system" for e in events)


def test_auto_rule_leaves_the_case_with_the_window_when_the_rule_fails(
    case_catalog, persona, june_first
) -> None:
    import_case_catalog("TAUTO01")
    case = _single(persona, "TAUTO01", form=_auto_form(17))
    assert case.state == CaseState.RECEIVED
    assert case.decision_by == ""
    assert case.accepted_on is None
    assert transition_events(case.case_no) == []
    event = AuditEvent.objects.get(object_id=case.case_no, action="case.auto_rule_not_met")
    assert event.after is not None
    assert event.after["rule_text"] == "申请人年满18周岁且身份信息核验通过"
    # The window then handles it as any other case.
    accept(case.case_no)
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW


def test_auto_rule_reads_shared_field_keys_with_dots(case_catalog, persona, june_first) -> None:
    """Form keys are shared keys like `household.size`; lint accepts `form.<key>` for them,
    so the rule must see them too (json_logic splits `var` names on dots)."""
    import_case_catalog("TAUTO02")
    case = _single(persona, "TAUTO02", form={"tc.household_size": 4})
    assert case.state == CaseState.APPROVED
    assert case.decision_by == DecisionBy.AUTO_RULE
    small = _single(persona, "TAUTO02", form={"tc.household_size": 2})
    assert small.state == CaseState.RECEIVED


def test_a_commitment_item_is_approved_on_acceptance_and_verified_later(
    case_catalog, persona
) -> None:
    import_case_catalog("TCOMMIT01")
    with time_machine.travel(shanghai(2026, 9, 29), tick=False):
        case = _single(persona, "TCOMMIT01")
        material = ApplicationMaterial.objects.get(application=case.application, key="tc_promise")
        assert material.provision == Provision.COMMITMENT
        assert material.commitment_text.startswith("本人承诺")
        assert case.state == CaseState.RECEIVED
        accept(case.case_no)
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert case.decision_by == DecisionBy.COMMITMENT
    task = VerificationTask.objects.get(case=case)
    assert task.status == VerificationStatus.OPEN
    assert task.department_id == case.department_id
    # 5 working days after 9/29: 9/30, (国庆) 10/8, 10/9, 10/10 (worked Saturday), 10/12.
    assert task.due_on == D("2026-10-12")
    assert task.due_on == current_calendar().add_working_days(D("2026-09-29"), 5).due
    assert AuditEvent.objects.filter(object_id=case.case_no, action="verification.open").exists()


# --- the window: supplement, resubmission, refusal, acceptance ---------------------------


def test_supplement_then_resubmit_then_accept_starts_the_clock_only_at_acceptance(
    case_catalog, persona
) -> None:
    clerk, citizen = persona("clerk"), persona("citizen")
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        case = _single(persona, "TREVIEW01")
        case_request_supplement(
            case.case_no,
            actor=clerk,
            role="clerk",
            materials=[{"key": "tc_plan", "reason": "方案缺少单位盖章"}],
            note="请补正后重新提交",
        )
    case.refresh_from_db()
    assert case.state == CaseState.SUPPLEMENT
    assert case.accepted_on is None
    assert case.promised_due is None
    request = SupplementRequest.objects.get(case=case)
    assert request.materials == [
        {"key": "tc_plan", "name": "测试方案", "reason": "方案缺少单位盖章"}
    ]
    assert Notice.objects.filter(case=case, kind=NoticeKind.SUPPLEMENT).count() == 1

    with time_machine.travel(shanghai(2026, 6, 4), tick=False):
        # Everything the notice asks for must come back at once.
        with pytest.raises(DomainError) as missing:
            case_resubmit(case.case_no, actor=citizen, role="citizen", materials={})
        assert missing.value.status == 400
        assert "测试方案" in str(missing.value.detail)
        old = ApplicationMaterial.objects.get(
            application=case.application, key="tc_plan", replaced_at__isnull=True
        )
        new_upload = make_upload(citizen, "方案（盖章）.pdf")
        case_resubmit(
            case.case_no,
            actor=citizen,
            role="citizen",
            materials={"tc_plan": MaterialChoice(Provision.UPLOAD, upload=new_upload)},
        )
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED
    request.refresh_from_db()
    assert request.resolved_at is not None
    old.refresh_from_db()
    assert old.replaced_at is not None
    current = ApplicationMaterial.objects.get(
        application=case.application, key="tc_plan", replaced_at__isnull=True
    )
    assert current.upload is not None
    assert str(current.upload.public_id) == new_upload

    with time_machine.travel(shanghai(2026, 6, 5), tick=False):
        accept(case.case_no)
    case.refresh_from_db()
    # The clock starts from acceptance (6/5), not from the submission (6/1): 补正 time is
    # outside the limit.
    assert case.accepted_on == D("2026-06-05")
    assert case.promised_due == D("2026-06-22")
    assert [e.action for e in transition_events(case.case_no)] == [
        "case.request_supplement",
        "case.resubmit",
        "case.accept",
    ]


def test_a_supplement_notice_must_list_every_material_with_its_reason(
    case_catalog, persona, june_first
) -> None:
    case = _single(persona, "TREVIEW01")
    before = _snapshot(case.case_no)
    for materials in ([], [{"key": "tc_plan", "reason": ""}], [{"reason": "缺"}]):
        with pytest.raises(DomainError) as caught:
            case_request_supplement(
                case.case_no, actor=persona("clerk"), role="clerk", materials=materials
            )
        assert caught.value.status == 400
    assert _snapshot(case.case_no) == before
    assert not SupplementRequest.objects.exists()


def test_refusal_needs_a_reason_and_ends_the_case(case_catalog, persona, june_first) -> None:
    clerk = persona("clerk")
    case = _single(persona, "TREVIEW01")
    before = _snapshot(case.case_no)
    with pytest.raises(DomainError) as caught:
        case_refuse(case.case_no, actor=clerk, role="clerk", reason="  ")
    assert caught.value.status == 400
    assert "理由" in caught.value.detail
    assert _snapshot(case.case_no) == before
    case_refuse(case.case_no, actor=clerk, role="clerk", reason="不属于本机关职权范围")
    case.refresh_from_db()
    assert case.state == CaseState.REFUSED
    assert Notice.objects.filter(case=case, kind=NoticeKind.REFUSAL).exists()
    with pytest.raises(IllegalTransition):
        accept(case.case_no)


def test_refusal_is_possible_while_waiting_for_supplement(
    case_catalog, persona, june_first
) -> None:
    clerk = persona("clerk")
    case = _single(persona, "TREVIEW01")
    case_request_supplement(
        case.case_no, actor=clerk, role="clerk", materials=[{"key": "tc_plan", "reason": "缺页"}]
    )
    case_refuse(case.case_no, actor=clerk, role="clerk", reason="逾期未补正")
    case.refresh_from_db()
    assert case.state == CaseState.REFUSED


def test_a_window_application_missing_a_required_material_cannot_be_accepted(
    case_catalog, persona, june_first
) -> None:
    clerk = persona("clerk")
    application = submit(
        clerk,
        item="TREVIEW01",
        role="clerk",
        channel="window",
        applicant=ApplicantInfo(name="张三", id_number=make_resident_id("43060219850101001")),
        materials={},
    )
    case = application.cases.get()
    assert case.state == CaseState.RECEIVED
    before = _snapshot(case.case_no)
    with pytest.raises(IllegalTransition) as caught:
        accept(case.case_no)
    assert caught.value.status == 409
    assert "测试方案" in caught.value.detail["message"]
    assert _snapshot(case.case_no) == before


# --- review and decision -----------------------------------------------------------------------


def test_review_steps_run_in_order_and_only_the_last_one_decides(
    case_catalog, persona, june_first
) -> None:
    case = _single(persona, "TREVIEW01")
    accept(case.case_no)
    approver = approver_of(case)
    # Steps after acceptance: 承办 → 审核 → 批准.
    assert lifecycle.review_steps(lifecycle.item_of(case)) == ["承办", "审核", "批准"]
    before = _snapshot(case.case_no)
    with pytest.raises(IllegalTransition) as early:
        case_approve(case.case_no, actor=approver, role="approver")
    assert "批准" in early.value.detail["message"]
    assert _snapshot(case.case_no) == before
    case_advance(case.case_no, actor=approver, role="approver", opinion="材料齐全")
    case_advance(case.case_no, actor=approver, role="approver", opinion="符合条件")
    case.refresh_from_db()
    assert (case.state, case.step_index) == (CaseState.IN_REVIEW, 2)
    with pytest.raises(IllegalTransition) as last:
        case_advance(case.case_no, actor=approver, role="approver")
    assert "最后一个审批环节" in last.value.detail["message"]
    case_approve(case.case_no, actor=approver, role="approver", opinion="准予许可")
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert case.decision_by == DecisionBy.PERSON
    steps = [
        (e.after or {}).get("step_name")
        for e in transition_events(case.case_no)
        if e.action == "case.advance"
    ]
    assert steps == ["承办", "审核"]


def test_a_denial_needs_its_reason_and_legal_basis(case_catalog, persona, june_first) -> None:
    case = _single(persona, "TNATURAL01")
    accept(case.case_no)
    approver = approver_of(case)
    before = _snapshot(case.case_no)
    for reason, basis in (("", "《测试条例》"), ("不符合条件", ""), ("  ", "  ")):
        with pytest.raises(DomainError) as caught:
            case_deny(
                case.case_no, actor=approver, role="approver", reason=reason, legal_basis=basis
            )
        assert caught.value.status == 400
        assert caught.value.detail.startswith("请填写")
    assert _snapshot(case.case_no) == before
    case_deny(
        case.case_no,
        actor=approver,
        role="approver",
        reason="不符合条件",
        legal_basis="《测试条例》第二条",
    )
    case.refresh_from_db()
    assert case.state == CaseState.DENIED
    assert (case.reason, case.legal_basis) == ("不符合条件", "《测试条例》第二条")
    assert Notice.objects.filter(case=case, kind=NoticeKind.DENIAL).exists()


def test_approval_with_a_deficiency_needs_a_future_supply_date(
    case_catalog, persona, june_first
) -> None:
    case = _single(persona, "TNATURAL01")
    accept(case.case_no)
    approver = approver_of(case)
    before = _snapshot(case.case_no)
    for supply_by in (None, D("2026-06-01"), D("2026-05-20")):
        with pytest.raises(DomainError) as caught:
            case_approve_deficient(
                case.case_no, actor=approver, role="approver", supply_by=supply_by
            )
        assert caught.value.status == 400
    assert _snapshot(case.case_no) == before
    case_approve_deficient(case.case_no, actor=approver, role="approver", supply_by=D("2026-06-30"))
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED_DEFICIENT
    assert case.deficiency_supply_by == D("2026-06-30")


# --- after the decision ---------------------------------------------------------------------


def test_delivery_by_mail_needs_a_tracking_number(case_catalog, persona, june_first) -> None:
    case = _single(persona, "TNATURAL01")
    approver = approver_of(case)
    with pytest.raises(IllegalTransition):
        case_deliver(case.case_no, actor=approver, role="approver", method="pickup")
    approve_through(case.case_no)
    before = _snapshot(case.case_no)
    with pytest.raises(DomainError) as caught:
        case_deliver(case.case_no, actor=approver, role="approver", method="mail")
    assert caught.value.status == 400
    assert caught.value.detail == "邮寄送达请填写快递单号"
    with pytest.raises(DomainError) as bad_method:
        case_deliver(case.case_no, actor=approver, role="approver", method="pigeon")
    assert bad_method.value.status == 400
    assert _snapshot(case.case_no) == before
    case_deliver(
        case.case_no, actor=approver, role="approver", method="mail", tracking_no=" SF1234567890 "
    )
    case.refresh_from_db()
    assert case.state == CaseState.DELIVERED
    assert (case.delivery_method, case.tracking_no) == ("mail", "SF1234567890")
    assert case.delivered_at is not None


def test_pickup_delivery_needs_no_tracking_number(case_catalog, persona, june_first) -> None:
    case = _single(persona, "TNATURAL01")
    approve_through(case.case_no)
    case_deliver(case.case_no, actor=approver_of(case), role="approver", method="pickup")
    case.refresh_from_db()
    assert case.state == CaseState.DELIVERED


@pytest.mark.parametrize("stage", ["received", "supplement", "in_review", "special"])
def test_the_applicant_may_withdraw_before_the_decision(
    case_catalog, persona, june_first, stage: str
) -> None:
    case = _single(persona, "TREVIEW01")
    clerk, approver = persona("clerk"), approver_of(case)
    if stage == "supplement":
        case_request_supplement(
            case.case_no, actor=clerk, role="clerk", materials=[{"key": "tc_plan", "reason": "缺"}]
        )
    if stage in ("in_review", "special"):
        accept(case.case_no)
    if stage == "special":
        lifecycle.case_start_special(
            case.case_no, actor=approver, role="approver", kind="hearing", reason="听证"
        )
    case_withdraw(case.case_no, actor=persona("citizen"), role="citizen", reason="不再需要")
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN
    event = transition_events(case.case_no)[-1]
    assert event.action == "case.withdraw"
    assert event.before == {"state": stage, "step": 0}
    # An open special procedure is closed with the case.
    assert not case.special_procedures.filter(ended_on__isnull=True).exists()


def test_no_withdrawal_after_the_decision_and_revocation_only_after_it(
    case_catalog, persona, june_first
) -> None:
    citizen = persona("citizen")
    case = _single(persona, "TNATURAL01")
    approver = approver_of(case)
    with pytest.raises(IllegalTransition):
        case_revoke(case.case_no, actor=approver, role="approver", reason="申请人以欺骗手段取得")
    approve_through(case.case_no)
    before = _snapshot(case.case_no)
    with pytest.raises(IllegalTransition) as caught:
        case_withdraw(case.case_no, actor=citizen, role="citizen")
    assert caught.value.detail["state"] == CaseState.APPROVED
    with pytest.raises(DomainError) as no_reason:
        case_revoke(case.case_no, actor=approver, role="approver", reason="")
    assert no_reason.value.status == 400
    assert _snapshot(case.case_no) == before
    case_deliver(case.case_no, actor=approver, role="approver", method="electronic")
    case_revoke(
        case.case_no,
        actor=approver,
        role="approver",
        reason="申请人以欺骗手段取得",
        legal_basis="《行政许可法》第六十九条",
    )
    case.refresh_from_db()
    assert case.state == CaseState.REVOKED
    assert [e.action for e in transition_events(case.case_no)][-3:] == [
        "case.approve",
        "case.deliver",
        "case.revoke",
    ]
