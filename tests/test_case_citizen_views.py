"""The applicant's workbench: the apply wizard (questions → form → materials → review →
submit), drafts, my applications with timelines, supplement, withdrawal and notices."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from tests.case_helpers import (
    PDF_BYTES,
    application_input,
    checklist_for,
    grow_case_record,
    sample_form,
    today,
)
from tongban.cases.actions.dispatch import perform_action
from tongban.cases.actions.drafts import application_save_draft, draft_input
from tongban.cases.actions.submit import application_submit
from tongban.cases.enums import ApplicationStatus, CaseState, Provision
from tongban.cases.inputs import ApplicantInfo, ApplicationInput
from tongban.cases.models import Application, ApplicationMaterial, Case, Notice
from tongban.cases.queries import case_histories, case_history
from tongban.catalog.demo import load_demo_catalog
from tongban.core.demo import load_demo_data
from tongban.core.errors import DomainError
from tongban.core.identifiers import make_resident_id
from tongban.core.models import AuditEvent, Role, RoleAssignment, User

NEWBORN_ANSWERS = {
    "born_here": "yes",
    "parents_hukou": "both_local",
    "married": "yes",
    "want_insure": "yes",
    "want_card": "yes",
    "card_holder": "minor",
    "mother_insured": "no",
}
# 家庭经济困难学生资助申请 (教育局): no questions; one upload, one commitment, one e-licence.
STUDENT_AID = "11430600DE000007333000107002000"
# 临时救助 (民政局): an upload that may be supplied later (容缺后补).
RELIEF = "11430600DE000009XM3000109003000"
HTMX = {"HX-Request": "true"}

Login = Callable[[str], Client]


@pytest.fixture(scope="module")
def demo_catalog(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The demo catalog takes seconds to import: import it once for the module, inside an
    outer transaction rolled back at the end (each test still rolls back to its own
    savepoint, as in Django's setUpTestData)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_demo_data()
            load_demo_catalog()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


pytestmark = pytest.mark.usefixtures("demo_catalog", "demo")


def html(response: Any) -> str:
    return str(response.content.decode())


def pdf_file(name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, "application/pdf")


def draft_pk(location: str) -> int:
    match = re.search(r"/apply/(?:bundle|item)/[^/]+/(\d+)/", location)
    assert match, location
    return int(match.group(1))


def step_url(kind: str, code: str, pk: int, step: str) -> str:
    return f"/cases/apply/{kind}/{code}/{pk}/{step}/"


def start(client: Client, kind: str, code: str, answers: dict[str, str]) -> int:
    """Answer the questions and press 下一步: a draft is created, the form comes next."""
    data = {f"a-{k}": v for k, v in answers.items()}
    response = client.post(f"/cases/apply/{kind}/{code}/", {**data, "go": "next"})
    assert response.status_code == 302, html(response)
    assert response["Location"].endswith("/form/")
    return draft_pk(response["Location"])


def posted_form(
    answers: dict[str, str], bundle: str | None = None, item: str | None = None
) -> dict[str, str]:
    checklist = checklist_for(answers, bundle=bundle, item=item)
    return {f"f-{k}": str(v) for k, v in sample_form(checklist).items()}


def review_key(client: Client, kind: str, code: str, pk: int) -> str:
    response = client.get(step_url(kind, code, pk, "review"))
    assert response.status_code == 200
    match = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html(response))
    assert match
    return match.group(1)


def apply_student_aid(client: Client) -> Application:
    """The whole wizard for the small item, as a careful applicant does it."""
    pk = start(client, "item", STUDENT_AID, {})
    response = client.post(
        step_url("item", STUDENT_AID, pk, "form"), {**posted_form({}, item=STUDENT_AID)}
    )
    assert response.status_code == 302, html(response)
    response = client.post(
        step_url("item", STUDENT_AID, pk, "materials"),
        {
            "file-student_aid_application": pdf_file(),
            "file-hukou_booklet": pdf_file(),
            "agree-family_income_commitment": "1",
        },
    )
    assert response.status_code == 302, html(response)
    key = review_key(client, "item", STUDENT_AID, pk)
    response = client.post(
        f"/cases/apply/item/{STUDENT_AID}/{pk}/submit/", {"idempotency_key": key}
    )
    assert response.status_code == 302, html(response)
    return Application.objects.get(pk=pk)


# ---------------------------------------------------------------- choosing


def test_apply_index_lists_the_bundles_of_the_audience_and_finds_items(logged_in: Login) -> None:
    client = logged_in("citizen")
    page = html(client.get("/cases/apply/"))
    assert 'data-testid="apply-bundle-newborn"' in page
    assert "企业开办" not in page  # 法人 bundles are for companies
    page = html(client.get("/cases/apply/", {"q": "学生资助"}))
    assert f'data-testid="apply-item-{STUDENT_AID}"' in page

    company = html(logged_in("company").get("/cases/apply/"))
    assert 'data-testid="apply-bundle-newborn"' not in company
    assert "apply-bundle-" in company


def test_staff_without_an_applicant_role_may_not_apply(logged_in: Login) -> None:
    assert logged_in("clerk").get("/cases/apply/").status_code == 403


# ---------------------------------------------------------------- the wizard


def test_small_item_end_to_end(logged_in: Login, persona: Callable[[str], User]) -> None:
    client = logged_in("citizen")
    citizen = persona("citizen")
    page = html(client.get(f"/cases/apply/item/{STUDENT_AID}/"))
    assert 'data-testid="no-questions"' in page

    pk = start(client, "item", STUDENT_AID, {})
    form_page = html(client.get(step_url("item", STUDENT_AID, pk, "form")))
    # applicant.* fields are prefilled from the account.
    assert f'value="{citizen.full_name}"' in form_page
    assert 'data-testid="input-household.size"' in form_page
    assert 'type="number"' in form_page

    response = client.post(
        step_url("item", STUDENT_AID, pk, "form"), posted_form({}, item=STUDENT_AID)
    )
    assert response["Location"].endswith("/materials/")
    materials = html(client.get(step_url("item", STUDENT_AID, pk, "materials")))
    assert 'data-testid="file-student_aid_application"' in materials
    assert 'data-testid="agree-family_income_commitment"' in materials
    assert "本人承诺所填家庭人口" in materials
    # An e-licence material the applicant holds no licence for is uploaded (免提交 needs a
    # held licence and consent: tests/test_licence_reuse.py).
    assert 'data-testid="file-hukou_booklet"' in materials
    assert 'data-testid="licence-consent"' not in materials

    # 下一步 without the commitment: saved, but told what is missing.
    response = client.post(
        step_url("item", STUDENT_AID, pk, "materials"),
        {"file-student_aid_application": pdf_file()},
    )
    assert response.status_code == 400
    assert "告知承诺" in html(response)
    assert "已保存为草稿" in html(response)
    row = ApplicationMaterial.objects.get(application_id=pk, key="student_aid_application")
    assert row.provision == Provision.UPLOAD
    assert row.upload is not None
    # The file stays attached when the page comes back.
    assert row.upload.sha256[:12] in html(response)

    response = client.post(
        step_url("item", STUDENT_AID, pk, "materials"),
        {
            "u-student_aid_application": str(row.upload.public_id),
            "file-hukou_booklet": pdf_file(),
            "agree-family_income_commitment": "1",
        },
    )
    assert response["Location"].endswith("/review/")
    review = html(client.get(step_url("item", STUDENT_AID, pk, "review")))
    assert "岳阳市教育局" in review
    assert 'data-testid="review-blocking"' not in review
    assert "已阅读并承诺" in review

    key = review_key(client, "item", STUDENT_AID, pk)
    response = client.post(
        f"/cases/apply/item/{STUDENT_AID}/{pk}/submit/", {"idempotency_key": key}
    )
    application = Application.objects.get(pk=pk)
    assert application.status == ApplicationStatus.SUBMITTED
    assert response["Location"] == f"/cases/mine/{application.number}/"
    case = application.cases.get()
    assert case.state == CaseState.RECEIVED
    assert case.department.name == "岳阳市教育局"
    provisions = dict(application.materials.values_list("key", "provision"))
    assert provisions["family_income_commitment"] == Provision.COMMITMENT
    assert provisions["hukou_booklet"] == Provision.UPLOAD

    detail = html(client.get(response["Location"]))
    assert "申请已提交" in detail
    assert 'data-testid="case-state">已接件' in detail
    assert "材料已收到，等待窗口审核受理" in detail
    assert "提交申请" in detail


def test_newborn_bundle_end_to_end_with_htmx_questions(logged_in: Login) -> None:
    client = logged_in("citizen")
    url = "/cases/apply/bundle/newborn/"
    # Each answer re-evaluates the checklist without saving: card_holder appears once a
    # social security card is wanted.
    partial = client.post(url, {"a-want_card": "yes", "preview": "1"}, headers=HTMX)
    assert partial.status_code == 200
    assert 'data-testid="wizard-questions"' in html(partial)
    assert "<html" not in html(partial)
    assert 'data-testid="question-card_holder"' in html(partial)
    assert 'data-testid="answer-card_holder-minor"' in html(partial)
    assert not Application.objects.exists()

    # 下一步 with questions still open keeps the applicant on the questions.
    response = client.post(url, {"a-born_here": "yes", "go": "next"})
    assert response["Location"].endswith("/questions/")
    pk = draft_pk(response["Location"])
    page = html(client.get(response["Location"]))
    assert "还有问题没有回答" in page

    answers = {f"a-{k}": v for k, v in NEWBORN_ANSWERS.items()}
    response = client.post(
        step_url("bundle", "newborn", pk, "questions"), {**answers, "go": "next"}
    )
    assert response["Location"].endswith("/form/")
    response = client.post(
        step_url("bundle", "newborn", pk, "form"), posted_form(NEWBORN_ANSWERS, bundle="newborn")
    )
    assert response["Location"].endswith("/materials/"), html(response)
    materials = html(client.get(step_url("bundle", "newborn", pk, "materials")))
    # Only the e-licences the parents hold no licence for are handed in; what is produced
    # inside the bundle and the data checks are not.
    assert "需要您上传的材料（2）" in materials
    assert "本件事内生成" in materials
    assert 'data-testid="material-free-birth_medical_certificate"' in materials
    response = client.post(
        step_url("bundle", "newborn", pk, "materials"),
        {"file-hukou_booklet": pdf_file(), "file-marriage_certificate": pdf_file(), "go": "next"},
    )
    assert response["Location"].endswith("/review/")

    review = html(client.get(step_url("bundle", "newborn", pk, "review")))
    assert review.count('data-testid="review-item"') == 5
    for department in ("岳阳市妇幼保健院", "岳阳市公安局", "岳阳市医疗保障局"):
        assert department in review
    key = review_key(client, "bundle", "newborn", pk)
    response = client.post(f"/cases/apply/bundle/newborn/{pk}/submit/", {"idempotency_key": key})
    assert response.status_code == 302
    application = Application.objects.get(pk=pk)
    states = sorted(application.cases.values_list("state", flat=True))
    assert len(states) == 5
    assert CaseState.WAITING in states

    detail = html(client.get(response["Location"]))
    assert detail.count('data-testid="case-row"') == 5
    assert "等待前一个事项办结后自动开始，您无需再提交材料" in detail


def test_draft_is_saved_and_resumed(logged_in: Login) -> None:
    client = logged_in("citizen")
    pk = start(client, "item", RELIEF, {})
    response = client.post(
        step_url("item", RELIEF, pk, "form"),
        {"f-assistance.reason": "家中失火", "f-applicant.phone": "", "go": "save"},
    )
    assert response["Location"].endswith("/form/")
    draft = Application.objects.get(pk=pk)
    assert draft.status == ApplicationStatus.DRAFT
    assert draft.form == {"assistance.reason": "家中失火"}
    assert (
        AuditEvent.objects.filter(action="application.save_draft", object_id=str(pk)).count() == 2
    )

    mine = html(client.get("/cases/mine/"))
    assert 'data-testid="draft-row"' in mine
    # Resuming lands on the first step that still needs something: the form.
    response = client.get(f"/cases/apply/item/{RELIEF}/{pk}/")
    assert response["Location"].endswith("/form/")
    page = html(client.get(response["Location"]))
    assert 'value="家中失火"' in page

    # 容缺后补 needs a date; with one, the material may be supplied later.
    client.post(step_url("item", RELIEF, pk, "form"), posted_form({}, item=RELIEF))
    response = client.post(
        step_url("item", RELIEF, pk, "materials"),
        {"file-hardship_event_proof": pdf_file(), "defer-econ_check_authorization": "1"},
    )
    assert response.status_code == 400
    assert "补交期限" in html(response)
    supply_by = today() + datetime.timedelta(days=10)
    response = client.post(
        step_url("item", RELIEF, pk, "materials"),
        {
            "file-hardship_event_proof": pdf_file(),
            "defer-econ_check_authorization": "1",
            "supply-econ_check_authorization": supply_by.isoformat(),
        },
    )
    assert response.status_code == 302, html(response)
    assert client.get(f"/cases/apply/item/{RELIEF}/{pk}/")["Location"].endswith("/review/")


def test_a_bad_id_number_is_explained_in_chinese_and_nothing_is_saved(logged_in: Login) -> None:
    client = logged_in("citizen")
    pk = start(client, "bundle", "newborn", NEWBORN_ANSWERS)
    saves = AuditEvent.objects.filter(action="application.save_draft").count()
    data = posted_form(NEWBORN_ANSWERS, bundle="newborn")
    bad = data["f-mother.id_number"][:-1] + ("0" if data["f-mother.id_number"][-1] != "0" else "1")
    data["f-mother.id_number"] = bad
    response = client.post(step_url("bundle", "newborn", pk, "form"), data)
    assert response.status_code == 400
    page = html(response)
    assert 'data-testid="error-mother.id_number"' in page
    assert "母亲身份证号码：" in page
    assert f'value="{bad}"' in page  # what was typed stays, to be corrected
    assert "本次填写尚未保存" in page
    draft = Application.objects.get(pk=pk)
    assert draft.form == {}
    assert AuditEvent.objects.filter(action="application.save_draft").count() == saves


def test_submitting_twice_with_the_same_key_creates_one_application(logged_in: Login) -> None:
    client = logged_in("citizen")
    pk = start(client, "item", STUDENT_AID, {})
    client.post(step_url("item", STUDENT_AID, pk, "form"), posted_form({}, item=STUDENT_AID))
    client.post(
        step_url("item", STUDENT_AID, pk, "materials"),
        {
            "file-student_aid_application": pdf_file(),
            "file-hukou_booklet": pdf_file(),
            "agree-family_income_commitment": "1",
        },
    )
    key = review_key(client, "item", STUDENT_AID, pk)
    url = f"/cases/apply/item/{STUDENT_AID}/{pk}/submit/"
    first = client.post(url, {"idempotency_key": key})
    second = client.post(url, {"idempotency_key": key})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Application.objects.filter(status=ApplicationStatus.SUBMITTED).count() == 1
    assert Case.objects.count() == 1


def test_submit_with_something_missing_stays_on_the_review_page(logged_in: Login) -> None:
    client = logged_in("citizen")
    pk = start(client, "item", STUDENT_AID, {})
    key = review_key(client, "item", STUDENT_AID, pk)
    review = html(client.get(step_url("item", STUDENT_AID, pk, "review")))
    assert 'data-testid="review-blocking"' in review
    response = client.post(
        f"/cases/apply/item/{STUDENT_AID}/{pk}/submit/", {"idempotency_key": key}
    )
    assert response.status_code == 400
    assert "提交未成功" in html(response)
    assert Application.objects.get(pk=pk).status == ApplicationStatus.DRAFT


def test_htmx_upload_attaches_the_file_at_once(logged_in: Login) -> None:
    client = logged_in("citizen")
    pk = start(client, "item", STUDENT_AID, {})
    url = f"/cases/apply/item/{STUDENT_AID}/{pk}/upload/student_aid_application/"
    response = client.post(url, {"file-student_aid_application": pdf_file()}, headers=HTMX)
    assert response.status_code == 200
    row = ApplicationMaterial.objects.get(application_id=pk, key="student_aid_application")
    assert row.upload is not None
    assert row.upload.sha256[:12] in html(response)
    assert 'data-testid="upload-info-student_aid_application"' in html(response)

    text = SimpleUploadedFile("x.txt", b"hello", "text/plain")
    response = client.post(url, {"file-student_aid_application": text}, headers=HTMX)
    assert response.status_code == 400
    assert "不支持该文件类型" in html(response)


# ---------------------------------------------------------------- my applications


def other_citizen() -> User:
    user = User.objects.create_user(
        "citizen2", password="x", full_name="张三", id_number=make_resident_id("43060219800101123")
    )
    RoleAssignment.objects.create(user=user, role=Role.CITIZEN)
    return user


def test_another_citizen_cannot_see_my_application(
    logged_in: Login, client: Client, persona: Callable[[str], User]
) -> None:
    application = application_submit(
        persona("citizen"),
        Role.CITIZEN,
        application_input(persona("citizen"), {}, item=STUDENT_AID),
    )
    client.force_login(other_citizen())
    assert client.get(f"/cases/mine/{application.number}/").status_code == 404
    assert str(application.number) not in html(client.get("/cases/mine/"))


def test_a_clerk_who_is_also_a_citizen_sees_only_their_own_applications(
    client: Client, persona: Callable[[str], User]
) -> None:
    """What a clerk submits at the window for someone else is the applicant's, not theirs,
    even when the clerk has a citizen account too (the application's created_by is them)."""
    clerk = persona("clerk")
    RoleAssignment.objects.create(user=clerk, role=Role.CITIZEN)
    walk_in = application_submit(
        clerk,
        Role.CLERK,
        application_input(
            clerk,
            {},
            item=STUDENT_AID,
            channel="window",
            applicant=ApplicantInfo(name="张三", id_number=make_resident_id("43060219850101001")),
        ),
    )
    own = application_submit(clerk, Role.CITIZEN, application_input(clerk, {}, item=STUDENT_AID))
    assert walk_in.created_by == own.created_by == clerk
    client.force_login(clerk)
    page = html(client.get("/cases/mine/"))
    assert str(own.number) in page
    assert str(walk_in.number) not in page
    assert client.get(f"/cases/mine/{walk_in.number}/").status_code == 404
    assert client.get(f"/cases/mine/{own.number}/").status_code == 200


def submitted(persona: Callable[[str], User], item: str = STUDENT_AID) -> Case:
    citizen = persona("citizen")
    application = application_submit(
        citizen, Role.CITIZEN, application_input(citizen, {}, item=item)
    )
    return application.cases.get()


def test_supplement_notice_is_answered_with_new_files(
    logged_in: Login, persona: Callable[[str], User]
) -> None:
    case = submitted(persona)
    perform_action(
        persona("clerk"),
        case.case_no,
        "request_supplement",
        {"materials": [{"key": "student_aid_application", "reason": "申请表未签名"}]},
    )
    client = logged_in("citizen")
    number = case.application.number
    detail = html(client.get(f"/cases/mine/{number}/"))
    assert 'data-testid="supplement"' in detail
    assert "申请表未签名" in detail
    assert 'data-testid="supplement-file-student_aid_application"' in detail
    assert 'data-testid="notice-link"' in detail  # the 一次性告知书

    url = f"/cases/mine/{number}/cases/{case.case_no}/resubmit/"
    response = client.post(url, {})
    assert response.status_code == 400
    assert 'data-testid="supplement-error-student_aid_application"' in html(response)
    response = client.post(url, {"file-student_aid_application": pdf_file("签名版.pdf")})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED
    current = ApplicationMaterial.objects.get(
        application=case.application, key="student_aid_application", replaced_at__isnull=True
    )
    assert current.upload is not None
    assert current.upload.original_name == "签名版.pdf"
    detail = html(client.get(f"/cases/mine/{number}/"))
    assert "补齐补正提交" in detail
    assert 'data-testid="supplement"' not in detail


def test_withdraw_needs_a_confirmation(logged_in: Login, persona: Callable[[str], User]) -> None:
    case = submitted(persona)
    client = logged_in("citizen")
    url = f"/cases/mine/{case.application.number}/cases/{case.case_no}/withdraw/"
    response = client.post(url, {"reason": "不需要了"})
    assert response.status_code == 400
    assert "请勾选" in html(response)
    response = client.post(url, {"reason": "不需要了", "confirm": "1"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.WITHDRAWN
    detail = html(client.get(response["Location"]))
    assert "您已撤回申请" in detail
    assert 'data-testid="withdraw"' not in detail
    # Withdrawing twice is refused with the reason, not a 500.
    response = client.post(url, {"confirm": "1"})
    assert response.status_code == 400
    assert "不能执行" in html(response)


def test_timeline_names_the_window_not_the_clerk(
    logged_in: Login, persona: Callable[[str], User]
) -> None:
    case = submitted(persona)
    perform_action(persona("clerk"), case.case_no, "accept", {})
    detail = html(logged_in("citizen").get(f"/cases/mine/{case.application.number}/"))
    actors = re.findall(r'data-testid="timeline-actor">([^<]*)<', detail)
    assert actors[0] == "申请人"
    assert "岳阳市政务服务中心" in actors
    assert "clerk" not in actors
    assert "王芳" not in detail
    assert 'data-testid="case-due"' in detail


def test_notice_pdf_is_only_for_the_applicant(
    logged_in: Login, client: Client, persona: Callable[[str], User], monkeypatch: Any
) -> None:
    from tongban.cases import notice_pdf

    monkeypatch.setattr(
        notice_pdf, "render_notice_pdf", lambda data: b"%PDF-1.7 " + data.number.encode()
    )
    case = submitted(persona)
    perform_action(persona("clerk"), case.case_no, "accept", {})
    notice = Notice.objects.get(case=case)
    url = f"/cases/mine/{case.application.number}/notices/{notice.number}.pdf"
    owner = logged_in("citizen")
    response = owner.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    detail = html(owner.get(f"/cases/mine/{case.application.number}/"))
    assert 'data-testid="notice-link"' in detail

    client.force_login(other_citizen())
    assert client.get(url).status_code == 404
    # Nor through an application of one's own.
    mine = submitted(lambda _: User.objects.get(username="citizen2"))
    assert (
        client.get(f"/cases/mine/{mine.application.number}/notices/{notice.number}.pdf").status_code
        == 404
    )


def test_my_applications_list_in_few_queries(
    logged_in: Login, persona: Callable[[str], User], django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        submitted(persona)
    client = logged_in("citizen")
    client.get("/cases/mine/")  # warm the catalog spec cache
    # Session, user, roles, count, page, cases, drafts, then the statuses of all three
    # applications at once: their dependency edges and the calendar check.
    with django_assert_max_num_queries(9):
        page = html(client.get("/cases/mine/"))
    assert page.count('data-testid="application-row"') == 3
    assert "待受理" in page

    with django_assert_max_num_queries(8):
        home = html(client.get("/home/citizen/"))
    assert home.count('data-testid="application-row"') == 3
    assert 'data-testid="home-apply-link"' in home


# ---------------------------------------------------------------- drafts, directly


def test_a_draft_keeps_what_still_applies_and_refuses_what_the_plan_does_not_know(
    persona: Callable[[str], User],
) -> None:
    citizen = persona("citizen")
    data = ApplicationInput(
        bundle="newborn",
        answers=NEWBORN_ANSWERS,
        form={"child.id_number": make_resident_id("43060220250101001"), "child.name": "李小宝"},
    )
    draft = application_save_draft(citizen, Role.CITIZEN, data)
    assert draft.status == ApplicationStatus.DRAFT
    assert draft.number is None
    assert set(draft.form) == {"child.id_number", "child.name"}
    # Every checklist material has its row; the ones the applicant must act on wait (the
    # e-licences the citizen holds no licence for are among them).
    waiting = draft.materials.filter(provision=Provision.NOT_PROVIDED)
    assert set(waiting.values_list("key", flat=True)) == {"hukou_booklet", "marriage_certificate"}
    assert draft.materials.filter(provision=Provision.DATA_CHECK).exists()

    # No insurance and no card after all: the child's ID number is no longer asked.
    answers = {**NEWBORN_ANSWERS, "want_insure": "no", "want_card": "no"}
    del answers["card_holder"]
    draft = application_save_draft(
        citizen, Role.CITIZEN, draft_input(draft, answers=answers), draft
    )
    assert draft.form == {"child.name": "李小宝"}
    assert draft.answers == answers

    with pytest.raises(DomainError) as bad:
        application_save_draft(
            citizen, Role.CITIZEN, draft_input(draft, form={"no.such": "x"}), draft
        )
    assert "本申请没有“no.such”这一项" in str(bad.value.detail)
    with pytest.raises(DomainError):
        application_save_draft(
            citizen, Role.CITIZEN, draft_input(draft, answers={"born_here": "maybe"}), draft
        )
    # Someone else's draft does not exist for this account.
    with pytest.raises(DomainError) as other:
        application_save_draft(other_citizen(), Role.CITIZEN, draft_input(draft), draft)
    assert other.value.status == 404


def test_submitting_a_draft_leaves_the_callers_draft_alone_and_happens_once(
    persona: Callable[[str], User],
) -> None:
    """The checks run on a copy of the draft: a refused submission leaves the caller's draft
    as it was (the review page is shown again from it), and a draft submitted is submitted
    once — the second attempt is refused under the row lock."""
    citizen = persona("citizen")
    data = application_input(citizen, {}, item=STUDENT_AID)
    draft = application_save_draft(citizen, Role.CITIZEN, data)
    before = {f.attname: getattr(draft, f.attname) for f in Application._meta.concrete_fields}
    with pytest.raises(DomainError) as refused:
        application_submit(citizen, Role.CITIZEN, draft_input(draft, materials={}), draft=draft)
    assert refused.value.code == "invalid_materials"
    after = {f.attname: getattr(draft, f.attname) for f in Application._meta.concrete_fields}
    assert after == before
    submitted = application_submit(citizen, Role.CITIZEN, data, draft=draft)
    assert submitted.pk == draft.pk
    assert submitted.status == ApplicationStatus.SUBMITTED
    assert draft.status == ApplicationStatus.DRAFT  # the caller's object, untouched
    with pytest.raises(DomainError) as again:
        application_submit(citizen, Role.CITIZEN, data, draft=draft)
    assert again.value.code == "not_a_draft"
    assert Application.objects.filter(pk=draft.pk, status=ApplicationStatus.SUBMITTED).count() == 1


def test_a_company_applies_with_its_credit_code_prefilled(
    logged_in: Login, persona: Callable[[str], User]
) -> None:
    item = "11430600DE0000049J3000104500000"  # 单位社会保险参保登记
    client = logged_in("company")
    pk = start(client, "item", item, {})
    page = html(client.get(step_url("item", item, pk, "form")))
    assert f'value="{persona("company").uscc}"' in page
    assert Application.objects.get(pk=pk).applicant_kind == "company"


class _DownRegister:
    def check(self, query: Any) -> Any:
        from tongban.registers.contract import RegisterUnavailable

        raise RegisterUnavailable("连接超时（3秒）")


MATERNITY = "11430600DE0000030M3000103004000"  # 生育津贴申领: mother_id_card is a data check


def test_a_register_that_is_down_turns_the_material_into_an_upload(
    logged_in: Login, settings: Any
) -> None:
    settings.TONGBAN_REGISTER_ADAPTERS = {
        "全国人口基础信息库": "tests.test_case_citizen_views._DownRegister"
    }
    client = logged_in("citizen")
    pk = start(client, "item", MATERNITY, {})
    form = posted_form({}, item=MATERNITY)
    del form["f-employer.uscc"]  # optional; the sample code's org-code check digit is wrong
    response = client.post(step_url("item", MATERNITY, pk, "form"), form)
    assert response.status_code == 302, html(response)
    materials = html(client.get(step_url("item", MATERNITY, pk, "materials")))
    assert 'data-testid="material-free-mother_id_card"' in materials  # not asked yet

    response = client.post(
        step_url("item", MATERNITY, pk, "materials"), {"file-birth_medical_certificate": pdf_file()}
    )
    page = html(response)
    assert response.status_code == 400
    assert "母亲居民身份证：数据核验暂时无法完成（全国人口基础信息库：连接超时（3秒））" in page
    assert 'data-testid="file-mother_id_card"' in page  # now an upload row
    assert 'data-testid="material-free-mother_id_card"' not in page

    kept = ApplicationMaterial.objects.get(application_id=pk, key="birth_medical_certificate")
    assert kept.upload is not None  # saved with the draft, posted back as the page does
    response = client.post(
        step_url("item", MATERNITY, pk, "materials"),
        {"file-mother_id_card": pdf_file(), "u-birth_medical_certificate": kept.upload.public_id},
    )
    assert response.status_code == 302, html(response)
    key = review_key(client, "item", MATERNITY, pk)
    response = client.post(f"/cases/apply/item/{MATERNITY}/{pk}/submit/", {"idempotency_key": key})
    assert response.status_code == 302, html(response)
    row = ApplicationMaterial.objects.get(application_id=pk, key="mother_id_card")
    assert row.provision == Provision.UPLOAD
    assert row.upload is not None
    assert row.register_was_down


# Session, user, roles, the application, its cases (notices and supplements prefetched),
# materials (also the paperless share), every case's timeline at once, the statuses (edges
# and the one calendar check of the page), the rating panel's two; the API: the
# application, its cases, the statuses and the permission check.
MINE_DETAIL_QUERIES = 13
API_APPLICATION_QUERIES = 8


def test_my_application_detail_query_count_does_not_grow_with_rows(
    logged_in: Login, persona: Callable[[str], User], django_assert_max_num_queries: Any
) -> None:

    case = submitted(persona)
    number = case.application.number
    client = logged_in("citizen")
    page, api = f"/cases/mine/{number}/", f"/api/v1/applications/{number}"
    client.get(page)  # warm the catalog spec cache
    with django_assert_max_num_queries(MINE_DETAIL_QUERIES):
        assert client.get(page).status_code == 200
    with django_assert_max_num_queries(API_APPLICATION_QUERIES):
        assert client.get(api).status_code == 200
    grow_case_record(case, 5)  # more materials and more timeline events
    with django_assert_max_num_queries(MINE_DETAIL_QUERIES):
        assert "补充材料4" in html(client.get(page))
    with django_assert_max_num_queries(API_APPLICATION_QUERIES):
        assert client.get(api).status_code == 200
    # More cases: a bundle's page reads every case's timeline and warning at once.
    citizen = persona("citizen")
    bundle = application_submit(
        citizen, Role.CITIZEN, application_input(citizen, NEWBORN_ANSWERS, bundle="newborn")
    )
    assert bundle.cases.count() > 1
    client.get(f"/cases/mine/{bundle.number}/")  # warm the catalog spec cache
    with django_assert_max_num_queries(MINE_DETAIL_QUERIES):
        bundle_page = html(client.get(f"/cases/mine/{bundle.number}/"))
    cases = list(bundle.cases.order_by("pk"))
    assert bundle_page.count('data-testid="timeline-label">提交申请<') == len(cases)
    # The page's one query gives each case exactly its own timeline.
    assert case_histories(cases) == {c.pk: case_history(c) for c in cases}
