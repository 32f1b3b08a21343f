"""Follow-ups that are not state transitions: 容缺后补 (deferred materials supplied after
acceptance or a 容缺通过) and 事后核查 (the check of a commitment-approved case), through the
action functions, the API and the workbenches."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tongban.cases.actions.dispatch import perform_action
from tongban.cases.actions.followup import case_supply_deferred, case_verify
from tongban.cases.actions.lifecycle import (
    case_approve,
    case_approve_deficient,
    case_withdraw,
)
from tongban.cases.enums import CaseState, Provision, VerificationStatus
from tongban.cases.inputs import MaterialChoice
from tongban.cases.models import ApplicationMaterial, Case, VerificationTask
from tongban.cases.transitions import IllegalTransition
from tongban.core.audit import verify_audit_chain
from tongban.core.errors import DomainError
from tongban.core.models import AuditEvent, User

from .case_helpers import (
    PDF_BYTES,
    accept,
    advance_to_last_step,
    approver_of,
    cases_by_item,
    checklist_for,
    import_case_catalog,
    make_upload,
    sample_materials,
    shanghai,
    submit,
)

D = datetime.date.fromisoformat
Persona = Callable[[str], User]


def _deferring(
    citizen: User, supply_by: str, *, bundle: str | None = None, item: str | None = None
):
    """Materials with the 测试报告 (tc_report) deferred to `supply_by`, the rest uploaded."""
    materials = sample_materials(checklist_for({}, bundle, item), citizen, skip=("tc_report",))
    materials["tc_report"] = MaterialChoice(Provision.DEFERRED, supply_by=D(supply_by))
    return materials


def _events(case_no: str, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_id=case_no, action=action).order_by("seq"))


@pytest.fixture
def review_case(demo: None, persona: Persona) -> Case:
    """TREVIEW01 applied on Monday 2026-06-01 with 测试报告 deferred to 06-15, accepted."""
    import_case_catalog("TREVIEW01")
    citizen = persona("citizen")
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        application = submit(
            citizen, item="TREVIEW01", materials=_deferring(citizen, "2026-06-15", item="TREVIEW01")
        )
        case = application.cases.get()
        accept(case.case_no)
    case.refresh_from_db()
    return case


# --- 容缺后补 --------------------------------------------------------------------------


def test_acceptance_carries_the_deferred_supply_by_and_blocks_a_plain_approval(
    review_case: Case,
) -> None:
    case = review_case
    assert case.state == CaseState.IN_REVIEW
    assert case.deficiency_supply_by == D("2026-06-15")
    assert case.deficiency_supplied_at is None
    with time_machine.travel(shanghai(2026, 6, 3), tick=False):
        advance_to_last_step(case.case_no)
        with pytest.raises(IllegalTransition) as caught:
            case_approve(case.case_no, actor=approver_of(case), role="approver")
    assert "容缺材料尚未补齐" in str(caught.value.detail)
    assert Case.objects.get(pk=case.pk).state == CaseState.IN_REVIEW


def test_the_applicant_supplies_the_deferred_material_and_then_it_can_be_approved(
    review_case: Case, persona: Persona
) -> None:
    case, citizen = review_case, persona("citizen")
    with time_machine.travel(shanghai(2026, 6, 5), tick=False):
        upload = make_upload(citizen, "测试报告.pdf")
        done = perform_action(
            citizen,
            case.case_no,
            "supply_deferred",
            {"materials": {"tc_report": {"provision": "upload", "upload": upload}}},
        )
    assert done.deficiency_supplied_at is not None
    assert done.state == CaseState.IN_REVIEW  # not a transition
    current = ApplicationMaterial.objects.get(
        application=case.application, key="tc_report", replaced_at__isnull=True
    )
    assert current.provision == Provision.UPLOAD
    assert current.upload is not None
    assert str(current.upload.public_id) == upload
    assert current.supplied_at is not None
    # The deferred row is kept, replaced, with its supply-by date: the history stays.
    old = ApplicationMaterial.objects.get(
        application=case.application, key="tc_report", replaced_at__isnull=False
    )
    assert old.provision == Provision.DEFERRED
    assert old.supply_by == D("2026-06-15")
    [event] = _events(case.case_no, "case.deficiency_supplied")
    assert event.actor_id == citizen.pk
    assert (event.after or {})["materials"] == ["测试报告"]
    assert len(_events(case.case_no, "case.deferred_supplied")) == 1
    with time_machine.travel(shanghai(2026, 6, 8), tick=False):
        advance_to_last_step(case.case_no)
        approved = case_approve(case.case_no, actor=approver_of(case), role="approver")
    assert approved.state == CaseState.APPROVED
    assert not verify_audit_chain().breaks


def test_supplying_a_material_that_is_not_deferred_or_twice_is_refused_without_writing(
    review_case: Case, persona: Persona
) -> None:
    case, citizen = review_case, persona("citizen")
    upload = make_upload(citizen)
    with pytest.raises(DomainError) as caught:
        case_supply_deferred(
            case.case_no,
            actor=citizen,
            role="citizen",
            materials={"tc_plan": MaterialChoice(Provision.UPLOAD, upload=upload)},
        )
    assert caught.value.status == 400
    assert "tc_plan" in str(caught.value.detail)
    # An upload that is not there (another person's id) is refused as well.
    with pytest.raises(DomainError):
        case_supply_deferred(
            case.case_no,
            actor=citizen,
            role="citizen",
            materials={"tc_report": MaterialChoice(Provision.UPLOAD, upload=None)},
        )
    assert ApplicationMaterial.objects.filter(application=case.application).count() == 3
    assert not _events(case.case_no, "case.deferred_supplied")
    case_supply_deferred(
        case.case_no,
        actor=citizen,
        role="citizen",
        materials={"tc_report": MaterialChoice(Provision.UPLOAD, upload=upload)},
    )
    with pytest.raises(DomainError) as again:
        case_supply_deferred(case.case_no, actor=citizen, role="citizen", materials={}, note="再补")
    assert again.value.status == 400
    assert "没有待补齐" in str(again.value.detail)


def test_an_ended_case_takes_no_deferred_material(review_case: Case, persona: Persona) -> None:
    citizen = persona("citizen")
    case_withdraw(review_case.case_no, actor=citizen, role="citizen", reason="不办了")
    with pytest.raises(IllegalTransition) as caught:
        case_supply_deferred(
            review_case.case_no,
            actor=citizen,
            role="citizen",
            materials={"tc_report": MaterialChoice(Provision.UPLOAD, upload=make_upload(citizen))},
        )
    assert caught.value.status == 409
    assert caught.value.detail["state"] == CaseState.WITHDRAWN


def test_one_supply_closes_every_case_of_the_bundle_that_needed_the_material(
    demo: None, persona: Persona
) -> None:
    import_case_catalog("defer-test")
    citizen = persona("citizen")
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        application = submit(
            citizen,
            bundle="defer-test",
            materials=_deferring(citizen, "2026-06-10", bundle="defer-test"),
        )
        cases = cases_by_item(application)
        for case in cases.values():
            accept(case.case_no)
    review, shared = (Case.objects.get(pk=cases[c].pk) for c in ("TREVIEW01", "TDEFER02"))
    assert review.deficiency_supply_by == shared.deficiency_supply_by == D("2026-06-10")
    clerk = persona("clerk")
    # Brought on paper to the window, recorded through the second case.
    done = case_supply_deferred(
        shared.case_no,
        actor=clerk,
        role="clerk",
        materials={"tc_report": MaterialChoice(Provision.PAPER)},
    )
    assert done.deficiency_supplied_at is not None
    review.refresh_from_db()
    assert review.deficiency_supplied_at is not None
    assert len(_events(review.case_no, "case.deficiency_supplied")) == 1
    assert len(_events(shared.case_no, "case.deficiency_supplied")) == 1


def test_a_deficiency_named_at_approval_is_closed_with_a_note(demo: None, persona: Persona) -> None:
    import_case_catalog("TREVIEW01")
    citizen = persona("citizen")
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        case = submit(citizen, item="TREVIEW01").cases.get()
        accept(case.case_no)
        advance_to_last_step(case.case_no)
        approver = approver_of(case)
        case = case_approve_deficient(
            case.case_no, actor=approver, role="approver", supply_by=D("2026-06-20")
        )
    assert case.state == CaseState.APPROVED_DEFICIENT
    with pytest.raises(DomainError) as caught:
        case_supply_deferred(case.case_no, actor=approver, role="approver", materials={})
    assert caught.value.status == 400
    assert "请说明" in str(caught.value.detail)
    done = case_supply_deferred(
        case.case_no, actor=approver, role="approver", materials={}, note="现场核验报告原件已收"
    )
    assert done.deficiency_supplied_at is not None
    assert done.state == CaseState.APPROVED_DEFICIENT
    [event] = _events(case.case_no, "case.deficiency_supplied")
    assert (event.after or {})["note"] == "现场核验报告原件已收"


def test_overdue_deficiency_shows_in_the_queue_filter_the_warnings_and_the_home_pages(
    review_case: Case, logged_in: Callable[[str], Client], persona: Persona
) -> None:
    case, citizen = review_case, persona("citizen")
    approver = logged_in(approver_of(case).username)
    with time_machine.travel(shanghai(2026, 6, 12), tick=False):
        page = approver.get("/cases/staff/queue/", {"deficiency": "overdue"}).content.decode()
        assert f'data-testid="queue-row-{case.case_no}"' not in page
        page = approver.get("/cases/staff/queue/", {"deficiency": "open"}).content.decode()
        assert f'data-testid="queue-row-{case.case_no}"' in page
        assert 'data-testid="deficiency-open"' in page
    with time_machine.travel(shanghai(2026, 6, 16), tick=False):
        page = approver.get("/cases/staff/queue/", {"deficiency": "overdue"}).content.decode()
        assert f'data-testid="queue-row-{case.case_no}"' in page
        assert 'data-testid="deficiency-overdue"' in page
        home = approver.get("/home/approver/").content.decode()
        assert 'data-testid="home-deficiency"' in home
        supervisor = logged_in("supervisor")
        home = supervisor.get("/home/supervisor/").content.decode()
        assert 'data-testid="home-deficiency"' in home
        page = supervisor.get("/cases/staff/warnings/", {"level": "deficiency"}).content.decode()
        assert f'data-testid="warning-row-{case.case_no}"' in page
        assert 'data-testid="count-deficiency">1<' in page
        # Supplied: gone from the overdue lists.
        case_supply_deferred(
            case.case_no,
            actor=citizen,
            role="citizen",
            materials={"tc_report": MaterialChoice(Provision.UPLOAD, upload=make_upload(citizen))},
        )
        page = supervisor.get("/cases/staff/warnings/", {"level": "deficiency"}).content.decode()
        assert f'data-testid="warning-row-{case.case_no}"' not in page


def test_the_citizen_uploads_a_deferred_material_from_my_applications(
    review_case: Case, logged_in: Callable[[str], Client]
) -> None:
    client = logged_in("citizen")
    number = review_case.application.number
    page = client.get(f"/cases/mine/{number}/").content.decode()
    assert 'data-testid="deferred-form-tc_report"' in page
    # No file chosen: a Chinese message, nothing written.
    response = client.post(f"/cases/mine/{number}/deferred/tc_report/")
    assert response.status_code == 400
    assert "请选择要上传的文件" in response.content.decode()
    response = client.post(
        f"/cases/mine/{number}/deferred/tc_report/",
        {"file-tc_report": SimpleUploadedFile("测试报告.pdf", PDF_BYTES, "application/pdf")},
    )
    assert response.status_code == 302
    review_case.refresh_from_db()
    assert review_case.deficiency_supplied_at is not None
    page = client.get(f"/cases/mine/{number}/").content.decode()
    assert 'data-testid="supplied-tc_report"' in page
    assert 'data-testid="deferred-form-tc_report"' not in page


def test_the_clerk_records_a_deferred_material_on_paper_from_the_check_page(
    review_case: Case, logged_in: Callable[[str], Client]
) -> None:
    clerk = logged_in("clerk")
    url = f"/cases/staff/window/check/{review_case.case_no}/"
    page = clerk.get(url).content.decode()
    assert 'data-testid="action-form-supply_deferred"' in page
    assert 'data-testid="supply_deferred-tc_report-paper"' in page
    response = clerk.post(
        f"/cases/staff/case/{review_case.case_no}/do/supply_deferred/",
        {"back": "check", "collect_keys": "tc_report", "rp-tc_report": "paper"},
    )
    assert response.status_code == 302
    review_case.refresh_from_db()
    assert review_case.deficiency_supplied_at is not None
    row = ApplicationMaterial.objects.get(
        application=review_case.application, key="tc_report", replaced_at__isnull=True
    )
    assert row.provision == Provision.PAPER


# --- 事后核查 --------------------------------------------------------------------------


@pytest.fixture
def committed_case(demo: None, persona: Persona) -> Case:
    import_case_catalog("TCOMMIT01")
    with time_machine.travel(shanghai(2026, 9, 29), tick=False):
        case = submit(persona("citizen"), item="TCOMMIT01").cases.get()
        accept(case.case_no)
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    return case


def test_a_confirmed_verification_closes_the_task_once(
    committed_case: Case, persona: Persona
) -> None:
    case = committed_case
    approver = approver_of(case)
    with time_machine.travel(shanghai(2026, 10, 9), tick=False):
        case_verify(
            case.case_no,
            actor=approver,
            role="approver",
            outcome=VerificationStatus.CONFIRMED,
            finding="经电话核实及数据比对，承诺属实",
        )
    task = VerificationTask.objects.get(case=case)
    assert task.status == VerificationStatus.CONFIRMED
    assert task.closed_by_id == approver.pk
    assert task.finding == "经电话核实及数据比对，承诺属实"
    [event] = _events(case.case_no, "verification.close")
    assert (event.after or {})["overdue"] is False
    assert Case.objects.get(pk=case.pk).state == CaseState.APPROVED
    with pytest.raises(DomainError) as again:
        case_verify(
            case.case_no,
            actor=approver,
            role="approver",
            outcome=VerificationStatus.FALSE_COMMITMENT,
            finding="再次核查",
        )
    assert again.value.status == 409
    assert VerificationTask.objects.get(case=case).status == VerificationStatus.CONFIRMED


def test_a_false_commitment_revokes_the_approval_in_the_same_transaction(
    committed_case: Case,
) -> None:
    case = committed_case
    approver = approver_of(case)
    with time_machine.travel(shanghai(2026, 10, 20), tick=False):
        done = case_verify(
            case.case_no,
            actor=approver,
            role="approver",
            outcome=VerificationStatus.FALSE_COMMITMENT,
            finding="申请人实际不符合条件",
        )
    assert done.state == CaseState.REVOKED
    assert done.reason == "承诺不实：申请人实际不符合条件"
    assert "国办发〔2020〕42号" in done.legal_basis
    [close] = _events(case.case_no, "verification.close")
    assert (close.after or {})["overdue"] is True  # due 2026-10-12
    [revoke] = _events(case.case_no, "case.revoke")
    assert revoke.seq > close.seq
    assert not verify_audit_chain().breaks


@pytest.mark.parametrize(
    ("outcome", "finding", "message"),
    [
        ("confirmed", "  ", "请填写核查情况"),
        ("maybe", "看过了", "核查结论应为"),
    ],
)
def test_bad_verification_input_changes_nothing(
    committed_case: Case, outcome: str, finding: str, message: str
) -> None:
    with pytest.raises(DomainError) as caught:
        case_verify(
            committed_case.case_no,
            actor=approver_of(committed_case),
            role="approver",
            outcome=outcome,
            finding=finding,
        )
    assert caught.value.status == 400
    assert message in str(caught.value.detail)
    assert VerificationTask.objects.get(case=committed_case).status == VerificationStatus.OPEN


def test_only_the_department_verifies_and_the_api_answers_with_json(
    committed_case: Case, persona: Persona, client: Client
) -> None:
    with pytest.raises(DomainError) as caught:
        perform_action(
            persona("citizen"),
            committed_case.case_no,
            "verify",
            {"outcome": "confirmed", "finding": "我自己核查"},
        )
    assert caught.value.status == 403
    assert "事后核查" in str(caught.value.detail)
    client.force_login(approver_of(committed_case))
    response = client.post(
        f"/api/v1/cases/{committed_case.case_no}/actions/verify",
        {"outcome": "false_commitment", "finding": "虚假承诺"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == CaseState.REVOKED


def test_the_approver_verifies_from_the_case_page(
    committed_case: Case, logged_in: Callable[[str], Client]
) -> None:
    client = logged_in(approver_of(committed_case).username)
    listing = client.get("/cases/staff/verifications/").content.decode()
    assert f'data-testid="verify-{committed_case.case_no}"' in listing
    page = client.get(f"/cases/staff/case/{committed_case.case_no}/").content.decode()
    assert 'data-testid="action-form-verify"' in page
    assert 'data-testid="verification-status"' in page
    response = client.post(
        f"/cases/staff/case/{committed_case.case_no}/do/verify/",
        {"outcome": "confirmed", "finding": ""},
    )
    assert response.status_code == 400
    assert "请填写核查情况" in response.content.decode()
    response = client.post(
        f"/cases/staff/case/{committed_case.case_no}/do/verify/",
        {"outcome": "confirmed", "finding": "属实"},
    )
    assert response.status_code == 302
    page = client.get(f"/cases/staff/case/{committed_case.case_no}/").content.decode()
    assert 'data-testid="action-form-verify"' not in page
    assert "核查属实" in page
