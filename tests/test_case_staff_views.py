"""Staff workbenches through the Django test client: the window clerk (walk-in, check,
受理 / 一次性告知 / 不予受理, 送达), the department approver (queue, detail, review and
decision, special procedures) and the supervisor (黄牌/红牌 list, read only).

Every test runs on a fixed, ordinary June week of 2026 (Monday 1 June; the Dragon Boat
holiday comes later), so due dates and warning levels are worked out by hand below.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.case_helpers import PDF_BYTES, application_input, grow_case_record
from tongban.cases.actions.dispatch import perform_action
from tongban.cases.actions.submit import application_submit
from tongban.cases.enums import ActingAs, CaseState, Channel, NoticeKind, Provision
from tongban.cases.models import Application, Case, Notice, VerificationTask
from tongban.core.identifiers import make_resident_id
from tongban.core.models import AuditEvent, User

SHANGHAI = ZoneInfo("Asia/Shanghai")
CITIZEN_ID = make_resident_id("43060219920315402")  # the demo citizen 李晓梅
AGENT_ID = make_resident_id("43060219850101123")
ITEM = "B0001"  # 出生登记 at yy-gongan, promised 5 working days, review steps 审核 → 决定
ANSWERS = {"born_here": "no", "married": "yes"}

pytestmark = pytest.mark.usefixtures("mini_catalog")


def at(day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, 6, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def june(time_machine: Any) -> Callable[[int], None]:
    """Move "now" to a day of June 2026 (10:00 in Shanghai); starts on Monday 1 June."""

    def move(day: int) -> None:
        time_machine.move_to(at(day), tick=False)

    move(1)
    return move


def submit_online(citizen: User, **answers: str) -> Case:
    data = application_input(citizen, {**ANSWERS, **answers}, item=ITEM)
    application = application_submit(citizen, "citizen", data)
    return application.cases.get()


def accepted_case(persona: Callable[[str], User]) -> Case:
    case = submit_online(persona("citizen"))
    perform_action(persona("clerk"), case.case_no, "accept", {})
    case.refresh_from_db()
    return case


def html(response: Any) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------- window: walk-in


def _walk_in_key(client: Client) -> str:
    page = html(client.get("/cases/staff/window/new/", {"plan": f"i:{ITEM}"}))
    match = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def _walk_in_post(key: str, **extra: Any) -> dict[str, Any]:
    data = {
        "idempotency_key": key,
        "plan": f"i:{ITEM}",
        "plan_shown": f"i:{ITEM}",
        "applicant_kind": "person",
        "applicant_id_number": CITIZEN_ID,
        "applicant_name": "李晓梅",
        "applicant_phone": "13807300001",
        "acting_as": "self",
        "a-born_here": "no",
        "a-married": "yes",
        "f-child.name": "李小宝",
        "f-applicant.id_number": CITIZEN_ID,
        "m-marriage_certificate": "paper",
        "step": "submit",
    }
    data.update(extra)
    return data


def test_clerk_finds_walk_in_by_id_number_and_prefills(logged_in, june) -> None:
    client = logged_in("clerk")
    key = _walk_in_key(client)
    response = client.post(
        "/cases/staff/window/new/",
        _walk_in_post(key, step="lookup", applicant_name="", applicant_phone=""),
    )
    page = html(response)
    assert response.status_code == 200
    assert 'data-testid="lookup-result" data-found="1"' in page
    assert f"{CITIZEN_ID[:4]}**********{CITIZEN_ID[-4:]}" in page
    assert 'value="李晓梅"' in page  # the name input is prefilled
    assert 'value="13807300001"' in page
    assert AuditEvent.objects.filter(action="person.lookup", actor__username="clerk").exists()


def test_lookup_of_an_unknown_number_says_so(logged_in, june) -> None:
    client = logged_in("clerk")
    unknown = make_resident_id("43060219700101001")
    page = html(
        client.post(
            "/cases/staff/window/new/",
            _walk_in_post(_walk_in_key(client), step="lookup", applicant_id_number=unknown),
        )
    )
    assert 'data-found="0"' in page
    assert "未找到" in page


def test_clerk_submits_walk_in_with_agent_once(logged_in, persona, june) -> None:
    client = logged_in("clerk")
    key = _walk_in_key(client)
    data = _walk_in_post(key, acting_as="agent", agent_name="张三", agent_id_number=AGENT_ID)
    response = client.post("/cases/staff/window/new/", data)
    assert response.status_code == 302
    application = Application.objects.get()
    assert response["Location"] == f"/cases/staff/window/applications/{application.number}/"
    assert application.channel == Channel.WINDOW
    assert application.received_by == persona("clerk")
    assert application.applicant_user == persona("citizen")  # found through the digest
    assert application.acting_as == ActingAs.AGENT
    assert application.agent_name == "张三"
    material = application.materials.get(key="marriage_certificate")
    assert material.provision == Provision.PAPER
    case = application.cases.get()
    assert case.state == CaseState.RECEIVED
    assert case.service_centre is not None
    assert case.service_centre.code == "yy-zhengwu"
    # A double click sends the same request with the same key: still one application.
    again = client.post("/cases/staff/window/new/", data)
    assert again["Location"] == response["Location"]
    assert Application.objects.count() == 1
    result = html(client.get(response["Location"]))
    assert case.case_no in result
    assert f'data-testid="check-{case.case_no}"' in result


def test_walk_in_with_scan_upload_and_proxy_staff(logged_in, persona, june) -> None:
    client = logged_in("clerk")
    data = _walk_in_post(_walk_in_key(client), acting_as="proxy_staff", step="refresh")
    data.pop("m-marriage_certificate")
    data["file-marriage_certificate"] = SimpleUploadedFile(
        "结婚证.pdf", PDF_BYTES, "application/pdf"
    )
    # Choosing the file uploads it at once; the re-rendered form carries its id.
    page = html(client.post("/cases/staff/window/new/", data))
    assert "已上传：结婚证.pdf" in page
    upload_id = re.search(r'name="u-marriage_certificate" value="([^"]+)"', page)
    assert upload_id is not None
    data.pop("file-marriage_certificate")
    data.update(
        {
            "step": "submit",
            "u-marriage_certificate": upload_id[1],
            "m-marriage_certificate": "upload",
        }
    )
    refused = client.post("/cases/staff/window/new/", data)
    assert refused.status_code == 400  # 帮代办 needs the applicant's recorded consent
    assert "帮代办须先取得申请人同意" in html(refused)
    assert not Application.objects.exists()
    typo = client.post("/cases/staff/window/new/", {**data, "proxy_mandate": "BD12"})
    assert "帮代办委托不存在" in html(typo)  # a mistyped number is not "no mandate given"
    assert not Application.objects.exists()
    data.update({"proxy_consent": "signed", "proxy_consent_reference": "SQ-2026-0601"})
    response = client.post("/cases/staff/window/new/", data)
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.proxy_staff == persona("clerk")
    mandate = application.proxy_mandate
    assert mandate is not None
    assert (mandate.agent, mandate.consent_method, mandate.consent_reference) == (
        persona("clerk"),
        "signed",
        "SQ-2026-0601",
    )
    assert mandate.principal_name == application.applicant_name
    material = application.materials.get(key="marriage_certificate")
    assert material.provision == Provision.UPLOAD
    assert material.upload is not None


def test_walk_in_problems_are_shown_in_chinese_and_nothing_is_saved(logged_in, june) -> None:
    client = logged_in("clerk")
    data = _walk_in_post(_walk_in_key(client), **{"f-child.name": ""})
    response = client.post("/cases/staff/window/new/", data)
    page = html(response)
    assert response.status_code == 400
    assert "请填写“新生儿姓名”" in page
    assert 'value="李晓梅"' in page  # what was typed is kept
    assert Application.objects.count() == 0


def test_walk_in_waits_for_answers_before_the_form(logged_in, june) -> None:
    client = logged_in("clerk")
    data = _walk_in_post(_walk_in_key(client), step="refresh")
    data.pop("a-married")
    page = html(client.post("/cases/staff/window/new/", data))
    assert 'data-testid="walkin-pending"' in page
    assert "父母是否已登记结婚？" in page


# --------------------------------------------------------------------------- window: queue and check


def test_clerk_queue_lists_centre_cases_oldest_first(logged_in, persona, june) -> None:
    first = submit_online(persona("citizen"))
    june(2)
    second = submit_online(persona("citizen"))
    page = html(logged_in("clerk").get("/cases/staff/window/"))
    assert page.index(f"window-row-{first.case_no}") < page.index(f"window-row-{second.case_no}")
    assert CITIZEN_ID not in page  # lists show masked numbers only
    assert f"{CITIZEN_ID[:4]}**********{CITIZEN_ID[-4:]}" in page


def test_check_page_lists_the_items_materials_and_accepts(logged_in, persona, june) -> None:
    case = submit_online(persona("citizen"))
    client = logged_in("clerk")
    page = html(client.get(f"/cases/staff/window/check/{case.case_no}/"))
    assert 'data-testid="material-marriage_certificate"' in page
    assert 'data-testid="material-view-marriage_certificate"' in page
    assert 'data-testid="action-accept"' in page
    response = client.post(
        f"/cases/staff/case/{case.case_no}/do/accept/", {"back": "check"}, follow=True
    )
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    assert case.promised_due == datetime.date(2026, 6, 8)  # 5 working days after 1 June
    page = html(response)
    assert "“受理”已完成" in page
    assert 'data-testid="notice-acceptance"' in page
    assert 'target="_blank"' in page


def test_one_time_supplement_lists_every_material_and_reason(logged_in, persona, june) -> None:
    case = submit_online(persona("citizen"))
    client = logged_in("clerk")
    url = f"/cases/staff/case/{case.case_no}/do/request_supplement/"
    page = html(client.get(f"/cases/staff/window/check/{case.case_no}/"))
    assert 'data-testid="supplement-check-marriage_certificate"' in page
    assert 'data-testid="supplement-reason-marriage_certificate"' in page
    # A ticked material without a reason: refused, with the tick kept.
    missing = client.post(url, {"back": "check", "s-marriage_certificate": "1"})
    assert missing.status_code == 400
    assert "请填写需补正的原因" in html(missing)
    assert 'value="1" id="s-marriage_certificate" checked' in html(missing)
    response = client.post(
        url,
        {
            "back": "check",
            "s-marriage_certificate": "1",
            "sr-marriage_certificate": "结婚证复印件不清晰",
            "so-name-0": "户口簿首页",
            "so-reason-0": "未提供",
            "note": "请一次补齐",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.SUPPLEMENT
    notice = Notice.objects.get(case=case, kind=NoticeKind.SUPPLEMENT)
    assert notice.data["materials"] == [["结婚证", "结婚证复印件不清晰"], ["户口簿首页", "未提供"]]


def test_supplemented_materials_received_at_the_window(logged_in, persona, june) -> None:
    case = submit_online(persona("citizen"))
    perform_action(
        persona("clerk"),
        case.case_no,
        "request_supplement",
        {"materials": [{"key": "marriage_certificate", "reason": "不清晰"}]},
    )
    client = logged_in("clerk")
    page = html(client.get(f"/cases/staff/window/check/{case.case_no}/"))
    assert 'data-testid="action-resubmit"' in page
    assert 'data-testid="resubmit-marriage_certificate-paper"' not in page  # applied online
    url = f"/cases/staff/case/{case.case_no}/do/resubmit/"
    data: dict[str, Any] = {
        "back": "check",
        "collect_keys": "marriage_certificate",
        "rp-marriage_certificate": "upload",
    }
    no_file = client.post(url, data)
    assert no_file.status_code == 400
    assert "请上传补正后的文件" in html(no_file)
    data["rf-marriage_certificate"] = SimpleUploadedFile("结婚证.pdf", PDF_BYTES, "application/pdf")
    assert client.post(url, data).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.RECEIVED
    material = case.application.materials.get(key="marriage_certificate", replaced_at=None)
    assert material.upload is not None
    assert material.upload.original_name == "结婚证.pdf"


def test_refuse_needs_a_reason_and_issues_the_notice(logged_in, persona, june) -> None:
    case = submit_online(persona("citizen"))
    client = logged_in("clerk")
    url = f"/cases/staff/case/{case.case_no}/do/refuse/"
    empty = client.post(url, {"back": "check", "reason": "", "legal_basis": ""})
    assert empty.status_code == 400
    assert "请填写不予受理的理由" in html(empty)
    response = client.post(
        url,
        {
            "back": "check",
            "reason": "申请事项不属于本机关职权范围",
            "legal_basis": "《行政许可法》第三十二条",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.REFUSED
    assert Notice.objects.filter(case=case, kind=NoticeKind.REFUSAL).exists()


def test_notice_pdf_opens_inline(logged_in, persona, june, monkeypatch) -> None:
    import tongban.cases.notice_pdf as notice_pdf

    monkeypatch.setattr(notice_pdf, "render_notice_pdf", lambda data: b"%PDF-1.4 test")
    case = accepted_case(persona)
    notice = Notice.objects.get(case=case, kind=NoticeKind.ACCEPTANCE)
    response = logged_in("clerk").get(
        f"/cases/staff/case/{case.case_no}/notices/{notice.number}.pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")


def test_clerk_hands_over_a_result_by_mail(logged_in, persona, june) -> None:
    case = accepted_case(persona)
    approver = persona("approver-yy-gongan")
    perform_action(approver, case.case_no, "advance", {})
    perform_action(approver, case.case_no, "approve", {"opinion": "同意"})
    client = logged_in("clerk")
    page = html(client.get("/cases/staff/window/deliver/"))
    assert f'data-testid="deliver-row-{case.case_no}"' in page
    url = f"/cases/staff/case/{case.case_no}/do/deliver/"
    no_number = client.post(url, {"back": "deliver", "method": "mail", "tracking_no": ""})
    assert no_number.status_code == 400
    assert "邮寄送达请填写快递单号" in html(no_number)
    response = client.post(
        url, {"back": "deliver", "method": "mail", "tracking_no": "SF1234567890"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DELIVERED
    assert case.tracking_no == "SF1234567890"


def test_window_pages_are_for_clerks_only(logged_in, persona, june) -> None:
    case = submit_online(persona("citizen"))
    client = logged_in("approver-yy-gongan")
    assert client.get("/cases/staff/window/").status_code == 403
    assert client.get(f"/cases/staff/window/check/{case.case_no}/").status_code == 403
    assert logged_in("citizen").get("/cases/staff/queue/").status_code == 403


# --------------------------------------------------------------------------- department queue


def _three_cases(persona: Callable[[str], User], june: Callable[[int], None]) -> list[Case]:
    """Accepted on Mon 1, Tue 2 and Fri 5 June: due Mon 8, Tue 9 and Fri 12 June."""
    cases = []
    for day in (1, 2, 5):
        june(day)
        cases.append(accepted_case(persona))
    return cases


def test_queue_in_due_date_order_with_yellow_and_red(logged_in, persona, june) -> None:
    late, close, calm = _three_cases(persona, june)
    assert [c.promised_due.day for c in (late, close, calm) if c.promised_due] == [8, 9, 12]
    june(9)  # Tuesday: 8 June has passed (red), 9 June is within two working days (yellow)
    client = logged_in("approver-yy-gongan")
    page = html(client.get("/cases/staff/queue/"))
    rows = [page.index(f"queue-row-{c.case_no}") for c in (late, close, calm)]
    assert rows == sorted(rows)
    assert re.search(rf'queue-row-{late.case_no}" [^>]*data-warning="red"', page)
    assert re.search(rf'queue-row-{close.case_no}" [^>]*data-warning="yellow"', page)
    assert re.search(rf'queue-row-{calm.case_no}" [^>]*data-warning="normal"', page)
    assert 'data-testid="badge-red"' in page
    assert 'data-testid="badge-yellow"' in page
    red_only = html(client.get("/cases/staff/queue/", {"warning": "red"}))
    assert late.case_no in red_only
    assert close.case_no not in red_only
    due_before = html(client.get("/cases/staff/queue/", {"due_before": "2026-06-10"}))
    assert calm.case_no not in due_before
    assert close.case_no in due_before


def test_queue_pages_by_keyset(logged_in, persona, june, monkeypatch) -> None:
    from tongban.cases import views_queue

    monkeypatch.setattr(views_queue, "QUEUE_PAGE_SIZE", 2)
    late, _, calm = _three_cases(persona, june)
    client = logged_in("approver-yy-gongan")
    first = html(client.get("/cases/staff/queue/"))
    assert calm.case_no not in first
    link = re.search(r'data-testid="queue-row-[^"]+"', first)
    assert link is not None
    next_url = re.search(r'href="(\?[^"]*after=[^"]+)"', first)
    assert next_url is not None
    second = html(client.get("/cases/staff/queue/" + next_url[1].replace("&amp;", "&")))
    assert calm.case_no in second
    assert late.case_no not in second


def test_top_bar_admin_link_for_those_who_may_edit_the_calendar(logged_in, persona) -> None:
    """The base layout's 系统管理 link follows `core.edit_calendar` (the sysadmin role, or a
    superuser) without asking the model backends for every permission on each page."""
    link = 'href="/admin/">系统管理</a>'
    assert link in html(logged_in("sysadmin").get("/home/sysadmin/"))
    assert link not in html(logged_in("approver-yy-gongan").get("/cases/staff/queue/"))
    assert link not in html(logged_in("citizen").get("/cases/mine/"))
    approver = persona("approver-yy-gongan")
    approver.is_superuser = True
    approver.save(update_fields=["is_superuser"])
    assert link in html(logged_in("approver-yy-gongan").get("/cases/staff/queue/"))


def test_paperless_share_of_loaded_rows_matches_the_aggregate(persona, june) -> None:
    """The detail pages count 免提交 on the material rows they have loaded: the same
    answer as the aggregate query, for every channel, failed checks and replaced rows."""
    from django.utils import timezone

    from tongban.cases.models import ApplicationMaterial
    from tongban.cases.paperless import application_paperless, paperless_of_rows

    case = submit_online(persona("citizen"))
    grow_case_record(case, 3 * len(Provision.values))
    rows = ApplicationMaterial.objects.filter(application_id=case.application_id).order_by("pk")
    for index, pk in enumerate(rows.values_list("pk", flat=True)):
        ApplicationMaterial.objects.filter(pk=pk).update(
            provision=Provision.values[index % len(Provision.values)],
            check_passed=(True, False, None)[index % 3],
            replaced_at=timezone.now() if index % 7 == 0 else None,
        )
    share = paperless_of_rows(list(rows))
    assert share == application_paperless(case.application_id)
    assert share.without_paper > 0
    assert share.total < rows.count()


QUEUE_QUERIES = 6


def test_queue_query_count_does_not_grow_with_rows(
    logged_in, persona, june, django_assert_max_num_queries
) -> None:
    for _ in range(2):
        accepted_case(persona)
    client = logged_in("approver-yy-gongan")
    client.get("/cases/staff/queue/")  # warm the pinned-spec cache
    # Session, user, roles, the item filter's choices, the rows, the calendar check.
    with django_assert_max_num_queries(QUEUE_QUERIES):
        assert client.get("/cases/staff/queue/").status_code == 200
    for _ in range(4):
        accepted_case(persona)
    with django_assert_max_num_queries(QUEUE_QUERIES):
        page = html(client.get("/cases/staff/queue/"))
    assert page.count('data-testid="queue-row-') == 6
    # A warning filter reads the same calendar snapshot as the rows' warnings.
    with django_assert_max_num_queries(QUEUE_QUERIES):
        assert client.get("/cases/staff/queue/", {"warning": "red"}).status_code == 200


# The queue's rows before the three badges were written out in queue_rows.html.
QUEUE_ROW_WITH_PARTIALS = """{% load i18n %}{% for r in rows %}{% with case=r.case %}
    {% include "cases/staff/partials/badge.html" with level=r.warning %}
  <td>{% include "cases/staff/partials/state.html" %} {% include "cases/staff/partials/deficiency.html" %}{% if r.step %}<span class="d-block small text-muted">{{ r.step }}</span>{% endif %}</td>
{% endwith %}{% endfor %}"""


def test_queue_rows_render_what_the_partials_render() -> None:
    """queue_rows.html writes the badges out (no include per row): every warning level,
    容缺 state and case state must still come out exactly as the shared partials draw them."""
    from django.template import engines

    from tongban.cases.staff_pages import CaseRow

    rows = []
    for state in CaseState.values:
        for warning in ("red", "yellow", "normal"):
            for deficiency in ("", "open", "overdue"):
                case = Case(
                    case_no=f"{state}-{warning}-{deficiency}",
                    state=state,
                    deficiency_supply_by=datetime.date(2026, 6, 12),
                )
                rows.append(CaseRow(case, warning, None, 0, "审核", deficiency))
    engine = engines["django"]
    page = engine.get_template("cases/staff/partials/queue_rows.html").render({"rows": rows})
    expected = engine.from_string(QUEUE_ROW_WITH_PARTIALS).render({"rows": rows})
    position = 0  # every line of the partials' rendering, in the same order
    for chunk in filter(None, (line.strip() for line in expected.split("\n"))):
        found = page.find(chunk, position)
        assert found >= 0, chunk
        position = found + len(chunk)
    assert page.count('data-testid="case-state"') == len(rows)


def test_approver_of_another_department_gets_404(logged_in, persona, june) -> None:
    case = accepted_case(persona)
    upload = case.application.materials.get(key="marriage_certificate").upload
    assert upload is not None
    client = logged_in("approver-yy-yibao")
    assert client.get(f"/cases/staff/case/{case.case_no}/").status_code == 404
    post = client.post(f"/cases/staff/case/{case.case_no}/do/approve/", {"opinion": "x"})
    assert post.status_code == 404
    file_url = f"/cases/staff/case/{case.case_no}/files/{upload.public_id}/"
    assert client.get(file_url).status_code == 404
    assert case.case_no not in html(client.get("/cases/staff/queue/"))


def test_detail_shows_full_record_and_audits_the_read(logged_in, persona, june) -> None:
    case = accepted_case(persona)
    client = logged_in("approver-yy-gongan")
    queue = html(client.get("/cases/staff/queue/"))
    assert CITIZEN_ID not in queue
    page = html(client.get(f"/cases/staff/case/{case.case_no}/"))
    assert CITIZEN_ID in page
    assert "新生儿姓名" in page  # form data under the item's own labels
    assert 'data-testid="current-step">当前环节：审核' in page
    event = AuditEvent.objects.filter(action="case.view_personal_data", object_id=case.case_no)
    assert event.get().role == "approver"
    assert event.get().actor == persona("approver-yy-gongan")


def test_material_file_is_inline_with_nosniff(logged_in, persona, june) -> None:
    case = accepted_case(persona)
    upload = case.application.materials.get(key="marriage_certificate").upload
    assert upload is not None
    response = logged_in("approver-yy-gongan").get(
        f"/cases/staff/case/{case.case_no}/files/{upload.public_id}/"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_advance_then_approve(logged_in, persona, june) -> None:
    case = accepted_case(persona)
    client = logged_in("approver-yy-gongan")
    page = html(client.get(f"/cases/staff/case/{case.case_no}/"))
    assert 'data-testid="action-advance"' in page
    assert 'data-testid="action-approve"' not in page  # decisions only at the last step
    base = f"/cases/staff/case/{case.case_no}/do"
    assert client.post(f"{base}/advance/", {"opinion": "材料齐全"}).status_code == 302
    page = html(client.get(f"/cases/staff/case/{case.case_no}/"))
    assert "当前环节：决定" in page
    assert 'data-testid="action-advance"' not in page
    assert 'data-testid="action-approve"' in page
    assert client.post(f"{base}/approve/", {"opinion": "同意"}).status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert Notice.objects.filter(case=case, kind=NoticeKind.APPROVAL).exists()


def test_deny_needs_reason_and_legal_basis(logged_in, persona, june) -> None:
    case = accepted_case(persona)
    perform_action(persona("approver-yy-gongan"), case.case_no, "advance", {})
    client = logged_in("approver-yy-gongan")
    url = f"/cases/staff/case/{case.case_no}/do/deny/"
    no_reason = client.post(url, {"reason": "", "legal_basis": ""})
    assert no_reason.status_code == 400
    assert "请填写不予许可的理由" in html(no_reason)
    no_basis = client.post(url, {"reason": "不符合登记条件", "legal_basis": ""})
    assert "请填写不予许可的法律依据" in html(no_basis)
    assert "不符合登记条件" in html(no_basis)  # what was typed stays in the form
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    done = client.post(url, {"reason": "不符合登记条件", "legal_basis": "《户口登记条例》第七条"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DENIED


def test_second_approver_gets_a_friendly_409(logged_in, persona, june) -> None:
    case = accepted_case(persona)
    approver = persona("approver-yy-gongan")
    perform_action(approver, case.case_no, "advance", {})
    client = logged_in("approver-yy-gongan")
    url = f"/cases/staff/case/{case.case_no}/do/approve/"
    perform_action(approver, case.case_no, "approve", {})  # a colleague was quicker
    response = client.post(url, {"opinion": "同意"})
    assert response.status_code == 409
    page = html(response)
    assert "办件当前状态为“办结（准予）”" in page
    assert "可能刚被其他人员处理" in page


def test_special_procedure_moves_the_due_dates(logged_in, persona, june) -> None:
    case = accepted_case(persona)  # accepted Monday 1 June: due Monday 8 June
    client = logged_in("approver-yy-gongan")
    base = f"/cases/staff/case/{case.case_no}/do"
    missing = client.post(f"{base}/start_special/", {"kind": "testing", "reason": ""})
    assert "请填写启动特别程序的理由或依据" in html(missing)
    june(2)
    client = logged_in("approver-yy-gongan")  # sessions last one working day (8 hours)
    started = client.post(f"{base}/start_special/", {"kind": "testing", "reason": "送检"})
    assert started.status_code == 302
    june(5)  # 3, 4 and 5 June are not counted
    client = logged_in("approver-yy-gongan")
    ended = client.post(f"{base}/end_special/", {"result": "检测合格"})
    assert ended.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    assert case.promised_due == datetime.date(2026, 6, 11)
    assert case.paused_working_days == 3
    page = html(client.get(f"/cases/staff/case/{case.case_no}/"))
    assert '<span data-testid="promised-due">2026-06-11</span>' in page
    assert 'data-testid="special-procedure"' in page


def test_verification_list_shows_open_tasks_first(logged_in, persona, june) -> None:
    first, second = accepted_case(persona), accepted_case(persona)
    VerificationTask.objects.create(
        case=first,
        department=first.department,
        due_on=datetime.date(2026, 6, 1),
        status="confirmed",
    )
    VerificationTask.objects.create(
        case=second, department=second.department, due_on=datetime.date(2026, 6, 20)
    )
    page = html(logged_in("approver-yy-gongan").get("/cases/staff/verifications/"))
    assert page.index(f"verification-{second.case_no}") < page.index(
        f"verification-{first.case_no}"
    )
    other = html(logged_in("approver-yy-yibao").get("/cases/staff/verifications/"))
    assert first.case_no not in other


# --------------------------------------------------------------------------- supervisor


def test_supervisor_sees_yellow_and_red_read_only(logged_in, persona, june) -> None:
    late, close, calm = _three_cases(persona, june)
    june(9)
    client = logged_in("supervisor")
    page = html(client.get("/cases/staff/warnings/"))
    assert late.case_no in page
    assert close.case_no in page
    assert calm.case_no not in page
    assert "岳阳市公安局" in page
    assert f'data-testid="overdue-{late.case_no}"><span class="text-danger">1 天' in page
    assert '<div class="tb-card-stat text-danger" data-testid="count-red">1</div>' in page
    detail = html(client.get(f"/cases/staff/case/{late.case_no}/"))
    assert 'data-testid="read-only"' in detail
    assert 'data-testid="action-' not in detail
    event = AuditEvent.objects.get(action="case.view_personal_data", object_id=late.case_no)
    assert event.role == "supervisor"
    refused = client.post(f"/cases/staff/case/{late.case_no}/do/approve/", {"opinion": "x"})
    assert refused.status_code == 403
    assert logged_in("approver-yy-gongan").get("/cases/staff/warnings/").status_code == 403


# --------------------------------------------------------------------------- home pages


def test_home_pages_link_to_workbenches_with_counts(logged_in, persona, june) -> None:
    _three_cases(persona, june)
    submit_online(persona("citizen"))
    june(9)
    clerk = html(logged_in("clerk").get("/home/clerk/"))
    assert '<span class="tb-card-stat" data-testid="count-waiting">1</span>' in clerk
    assert "/cases/staff/window/new/" in clerk
    approver = html(logged_in("approver-yy-gongan").get("/home/approver/"))
    assert 'data-testid="count-red">1</span>' in approver
    assert 'data-testid="count-yellow">1</span>' in approver
    supervisor = html(logged_in("supervisor").get("/home/supervisor/"))
    assert 'data-testid="count-red">1</span>' in supervisor
    assert "/cases/staff/warnings/" in supervisor


DETAIL_QUERIES = 16
API_DETAIL_QUERIES = 13


def test_case_detail_query_count_does_not_grow_with_rows(
    logged_in, persona, june, django_assert_max_num_queries
) -> None:
    case = accepted_case(persona)
    client = logged_in("approver-yy-gongan")
    page = f"/cases/staff/case/{case.case_no}/"
    api = f"/api/v1/cases/{case.case_no}"
    client.get(page)  # warm the pinned-spec cache
    # Session, user, the case (with its verification), roles; the audited read (savepoint,
    # chain head locked, insert, head update, release); the application's materials (the
    # item's list and the paperless share), calendar, supplements, specials, notices,
    # licences, timeline — one query each, whatever their length.
    with django_assert_max_num_queries(DETAIL_QUERIES):
        assert client.get(page).status_code == 200
    with django_assert_max_num_queries(API_DETAIL_QUERIES):
        assert client.get(api).status_code == 200
    grow_case_record(case, 5)
    for _ in range(3):
        accepted_case(persona)
    with django_assert_max_num_queries(DETAIL_QUERIES):
        detail = html(client.get(page))
    assert "补充材料4" in detail
    with django_assert_max_num_queries(API_DETAIL_QUERIES):
        data = client.get(api).json()
    assert len([m for m in data["materials"] if m["key"].startswith("extra-")]) == 5
