"""新生儿出生一件事 end to end in real Chromium: the citizen applies once on a phone; the
hospital, police, medical-insurance, social-security and vaccination departments work
their queues in dependency order; the citizen sees every result without handing in
anything twice.

Only setup (demo data and catalog) and the final assertions touch the database; every
step in between is a click or a keystroke. The Chromium fixture is test_browser.py's: it
fails instead of skipping when TONGBAN_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.test_browser import browser
from tongban.cases.enums import ApplicationStatus, CaseState, Provision
from tongban.cases.models import Application, ApplicationMaterial, Case, SupplementRequest
from tongban.catalog.demo import load_demo_catalog
from tongban.core.audit import verify_audit_chain
from tongban.core.demo import DEMO_PASSWORD, load_demo_data
from tongban.core.identifiers import make_resident_id
from tongban.core.models import AuditEvent, User
from tongban.licences.models import Licence

from .case_helpers import PDF_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser"]  # test_browser.py's module-scoped Chromium fixture, reused

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
MOTHER_ID = make_resident_id("43060219920315402")  # the demo citizen 李晓梅 is the mother
FATHER_ID = make_resident_id("43060219900101001")
ADDRESS = "湖南省岳阳市岳阳楼区金鹗中路1号"


@dataclass(frozen=True)
class Item:
    name: str
    department: str
    approver: str
    steps: tuple[str, ...]  # review steps after 受理; empty for a 即办件 (decided at 受理)


HOSPITAL = Item("出生医学证明首次签发", "岳阳市妇幼保健院", "approver-yy-fuyou", ("审核", "签发"))
POLICE = Item("出生登记", "岳阳市公安局", "approver-yy-gongan", ("审核", "审批", "制证送达"))
INSURANCE = Item("新生儿城乡居民基本医疗保险参保登记", "岳阳市医疗保障局", "approver-yy-yibao", ())
CARD = Item(
    "社会保障卡申领", "岳阳市人力资源和社会保障局", "approver-yy-renshe", ("审核", "制卡", "发卡")
)
VACCINATION = Item("预防接种证办理", "岳阳市卫生健康委员会", "approver-yy-weijian", ())
ITEMS = (HOSPITAL, VACCINATION, POLICE, INSURANCE, CARD)
# bundle `newborn` edges in tongban/catalog/demo/personal.yaml
WAITS_FOR = {POLICE: HOSPITAL, INSURANCE: POLICE, CARD: POLICE}

# htmx wires up swapped-in content when it settles (20 ms after the swap): a robot that
# answers the next question faster than that would click a form htmx does not watch yet.
COUNT_SETTLES = """window.tbSettled = 0;
document.body.addEventListener("htmx:afterSettle", () => { window.tbSettled += 1; });"""


@pytest.fixture
def site(live_server: Any) -> str:
    load_demo_data()
    load_demo_catalog()
    return str(live_server.url)


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def _persona(browser: Any, site: str, username: str, **options: Any) -> Any:
    """A fresh browser context (its own cookies) signed in as `username`."""
    page = browser.new_context(**options).new_page()
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/home/\w+/$"))
    return page


def _fits_the_screen(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the phone screen"


def _answer(page: Any, question: str, label: str) -> None:
    settled = page.evaluate("window.tbSettled")
    page.get_by_test_id(f"question-{question}").get_by_label(label, exact=True).check()
    page.wait_for_function(f"window.tbSettled > {settled}")


def _case_rows(page: Any) -> dict[str, Any]:
    """The application page's case cards, by item name."""
    rows = page.get_by_test_id("case-row")
    _expect()(rows).to_have_count(len(ITEMS))
    return {row.locator("h2").inner_text(): row for row in rows.all()}


# ---------------------------------------------------------------- the citizen applies once


def _apply_once(browser: Any, site: str) -> tuple[str, dict[Item, str]]:
    expect = _expect()
    page = _persona(browser, site, "citizen", **PHONE)
    page.get_by_test_id("home-apply-link").click()
    page.get_by_test_id("apply-bundle-newborn").click()
    page.wait_for_url(f"{site}/cases/apply/bundle/newborn/")
    expect(page.get_by_test_id("wizard-title")).to_have_text("新生儿出生一件事")

    # 1 情形问答: each answer re-evaluates the questions in place (htmx).
    page.evaluate(COUNT_SETTLES)
    _answer(page, "born_here", "是")
    _answer(page, "parents_hukou", "父母双方均为本市户籍")
    _answer(page, "married", "是")  # asked only once the parents' 户籍 is known
    _answer(page, "want_insure", "是")
    _answer(page, "want_card", "是")
    _answer(page, "card_holder", "未满16周岁的子女（含新生儿）")  # asked for the card
    _answer(page, "mother_insured", "否")
    expect(page.get_by_test_id("questions-done")).to_be_visible()
    in_play = page.get_by_test_id("items-in-play")
    for item in ITEMS:
        expect(in_play).to_contain_text(item.name)
    _fits_the_screen(page)
    page.get_by_test_id("wizard-next").click()
    page.wait_for_url("**/form/")

    # 2 一表申请: the account's own details are prefilled; the rest typed once.
    expect(page.get_by_test_id("input-applicant.name")).to_have_value("李晓梅")
    expect(page.get_by_test_id("input-applicant.id_number")).to_have_value(MOTHER_ID)
    typed = {
        "child.name": "李小宝",
        "child.birth_date": "2026-11-01",
        "child.birth_weight_g": "3300",
        "mother.name": "李晓梅",
        "mother.id_number": MOTHER_ID,
        "father.name": "王建国",
        "father.id_number": FATHER_ID,
        "applicant.phone": "13807300001",
        "applicant.address": ADDRESS,
        "vaccination.clinic": "岳阳楼区预防接种门诊",
        "mail.address": ADDRESS,
    }
    for key, value in typed.items():
        page.get_by_test_id(f"input-{key}").fill(value)
    page.get_by_test_id("input-child.gender").select_option(label="女")
    page.get_by_test_id("input-applicant.relation").select_option(label="父母")
    page.get_by_test_id("input-social_card.bank").select_option(label="中国建设银行")
    _fits_the_screen(page)
    page.get_by_test_id("wizard-next").click()
    page.wait_for_url("**/materials/")

    # 3 材料: only the parents' e-licence materials are handed in (the demo citizen holds no
    # electronic licence, so nothing is 免提交); data checks and the 出生医学证明 that the
    # hospital case of this very bundle produces are not.
    expect(page.get_by_test_id("step-problems")).to_have_count(0)
    for key in ("hukou_booklet", "marriage_certificate"):
        page.get_by_test_id(f"file-{key}").set_input_files(
            files=[{"name": f"{key}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
        )
        expect(page.get_by_test_id(f"upload-info-{key}")).to_be_visible()
    expect(page.get_by_test_id("materials-commitment")).to_have_count(0)
    free = page.get_by_test_id("materials-free")
    expect(free.get_by_test_id("material-free-birth_medical_certificate")).to_be_visible()
    expect(page.get_by_test_id("material-birth_medical_certificate")).to_contain_text(
        "本件事内生成"
    )
    page.get_by_test_id("wizard-next").click()
    page.wait_for_url("**/review/")

    # 4 确认提交
    expect(page.get_by_test_id("review-blocking")).to_have_count(0)
    expect(page.get_by_test_id("review-item")).to_have_count(len(ITEMS))
    review = page.get_by_test_id("review-items")
    for item in ITEMS:
        expect(review).to_contain_text(item.department)
    expect(page.get_by_test_id("review-field-child.name")).to_have_text("李小宝")
    _fits_the_screen(page)
    page.get_by_test_id("submit-application").click()
    page.wait_for_url("**/cases/mine/*/")

    expect(page.get_by_role("alert").filter(has_text="申请已提交")).to_be_visible()
    number = page.get_by_test_id("application-number").inner_text()
    rows = _case_rows(page)
    assert set(rows) == {item.name for item in ITEMS}
    for item in ITEMS:
        row = rows[item.name]
        expect(row).to_contain_text(item.department)
        if item in WAITS_FOR:
            expect(row.get_by_test_id("case-state")).to_have_text("待前置")
            expect(row.get_by_test_id("case-plain-words")).to_have_text(
                "等待前一个事项办结后自动开始，您无需再提交材料"
            )
        else:
            expect(row.get_by_test_id("case-state")).to_have_text("已接件")
    _fits_the_screen(page)
    case_nos = {item: str(rows[item.name].get_attribute("data-case")) for item in ITEMS}
    page.context.close()
    return number, case_nos


# ---------------------------------------------------------------- the departments


def _open_from_queue(page: Any, site: str, case_no: str, state: str) -> None:
    """From the approver's home, through 部门办件, to the case."""
    expect = _expect()
    page.goto(f"{site}/home/approver/")
    page.get_by_test_id("home-queue").click()
    row = page.get_by_test_id(f"queue-row-{case_no}")
    expect(row.get_by_test_id("case-state")).to_have_attribute("data-state", state)
    row.get_by_test_id(f"open-{case_no}").click()
    expect(page.get_by_test_id("case-no")).to_have_text(case_no)


def _act(page: Any, action: str, opinion: str = "") -> None:
    """Open the action's panel if it is folded, fill the opinion, press its button."""
    panel = page.get_by_test_id(f"action-panel-{action}")
    if opinion:
        if panel.get_attribute("open") is None:
            panel.locator("summary").click()
        page.get_by_test_id(f"action-{action}-opinion").fill(opinion)
    page.get_by_test_id(f"action-{action}").click()


def _work_case(page: Any, site: str, item: Item, case_no: str) -> None:
    """The department's approver: 受理, each review step, 准予许可 — in the browser."""
    expect = _expect()
    _open_from_queue(page, site, case_no, CaseState.RECEIVED)
    expect(page.get_by_test_id("case-title")).to_have_text(item.name)
    if item in WAITS_FOR:  # it started by itself once its upstream case was approved
        expect(page.get_by_test_id("timeline")).to_contain_text("前置办结自动启动")
    state = page.get_by_test_id("case-state")
    _act(page, "accept")
    if not item.steps:  # 即办件: decided the moment it is accepted
        expect(state).to_have_attribute("data-state", CaseState.APPROVED)
    else:
        step = page.get_by_test_id("current-step")
        for index, name in enumerate(item.steps[:-1]):
            expect(step).to_have_text(f"当前环节：{name}")
            expect(page.get_by_test_id("action-approve")).to_have_count(0)
            _act(page, "advance", f"{name}通过")
            expect(step).to_have_text(f"当前环节：{item.steps[index + 1]}")
        expect(page.get_by_test_id("action-advance")).to_have_count(0)
        _act(page, "approve", "同意")
        expect(state).to_have_attribute("data-state", CaseState.APPROVED)
    expect(page.get_by_test_id("notice-approval")).to_be_visible()
    expect(page.get_by_test_id("action-accept")).to_have_count(0)  # decided: 送达 is next


def _still_waiting(page: Any, site: str, item: Item, case_no: str) -> None:
    """The department sees the case in its queue as 待前置, with nothing it may do yet."""
    expect = _expect()
    _open_from_queue(page, site, case_no, CaseState.WAITING)
    expect(page.get_by_test_id("case-title")).to_have_text(item.name)
    expect(page.get_by_test_id("case-state")).to_have_text("待前置")
    expect(page.get_by_test_id("read-only")).to_be_visible()
    expect(page.get_by_test_id("actions")).to_have_count(0)


# ---------------------------------------------------------------- the citizen reads the results


def _citizen_sees_every_result(browser: Any, site: str, number: str) -> None:
    expect = _expect()
    page = _persona(browser, site, "citizen", **PHONE)
    page.get_by_test_id("home-mine-link").click()
    page.wait_for_url(f"{site}/cases/mine/")
    row = page.get_by_test_id("application-row")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("application-status")).to_have_text("已全部办结")
    row.get_by_role("link").click()
    page.wait_for_url(f"{site}/cases/mine/{number}/")
    expect(page.get_by_test_id("application-status")).to_have_text("已全部办结")
    expect(page.get_by_test_id("supplement")).to_have_count(0)  # nothing asked again

    rows = _case_rows(page)
    for item in ITEMS:
        card = rows[item.name]
        expect(card.get_by_test_id("case-state")).to_have_text(CaseState.APPROVED.label)
        expect(card.get_by_test_id("case-plain-words")).to_have_text("已办结，准予办理，等待送达")
        decision = card.get_by_test_id("notice-link").filter(has_text="准予许可决定书")
        expect(decision).to_have_count(1)

    # The 出生登记 decision opens as a PDF (one is enough: each costs a render).
    link = rows[POLICE.name].get_by_test_id("notice-link").filter(has_text="准予许可决定书")
    pdf = page.request.get(f"{site}{link.get_attribute('href')}")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    for item in WAITS_FOR:
        timeline = rows[item.name].get_by_test_id("timeline")
        if timeline.get_attribute("open") is None:
            timeline.locator("summary").click()
        started = timeline.get_by_test_id("timeline-entry").filter(has_text="前置办结自动启动")
        expect(started).to_have_count(1)
        expect(started.get_by_test_id("timeline-actor")).to_have_text("系统")
    _fits_the_screen(page)
    page.context.close()


# ---------------------------------------------------------------- the test


def test_newborn_bundle_end_to_end_in_dependency_order(browser: Any, site: str) -> None:
    number, case_nos = _apply_once(browser, site)

    citizen = User.objects.get(username="citizen")
    application = Application.objects.get(number=number)
    materials = ApplicationMaterial.objects.filter(application=application)
    submitted_rows = materials.count()
    uploads = ApplicationMaterial.objects.filter(upload__isnull=False).count()

    # One browser context per persona, signed in once.
    desks = {item: _persona(browser, site, item.approver) for item in ITEMS}
    # The police see 出生登记 from the start, but as 待前置: nothing to do until the
    # hospital has issued the 出生医学证明; likewise 医保 and 社保卡 wait for its 户口.
    for item in WAITS_FOR:
        _still_waiting(desks[item], site, item, case_nos[item])
    _work_case(desks[HOSPITAL], site, HOSPITAL, case_nos[HOSPITAL])
    _work_case(desks[VACCINATION], site, VACCINATION, case_nos[VACCINATION])
    _still_waiting(desks[INSURANCE], site, INSURANCE, case_nos[INSURANCE])
    _work_case(desks[POLICE], site, POLICE, case_nos[POLICE])
    _work_case(desks[INSURANCE], site, INSURANCE, case_nos[INSURANCE])
    _work_case(desks[CARD], site, CARD, case_nos[CARD])
    for page in desks.values():
        page.context.close()

    _citizen_sees_every_result(browser, site, number)

    # One application; nothing handed in again after it was submitted.
    assert Application.objects.filter(created_by=citizen).count() == 1
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.SUBMITTED
    assert materials.count() == submitted_rows
    assert ApplicationMaterial.objects.filter(upload__isnull=False).count() == uploads
    assert not SupplementRequest.objects.filter(case__application=application).exists()
    assert AuditEvent.objects.filter(action="application.submit", actor=citizen).count() == 1
    # What the later cases needed came from the earlier ones' results, not from the citizen.
    produced = {m.key: m for m in materials.filter(provision=Provision.PRODUCED)}
    assert produced["birth_medical_certificate"].source_ref.startswith(case_nos[HOSPITAL])
    # (the licence the police case issued, when its type is configured; else the case)
    police_licence = Licence.objects.filter(case__case_no=case_nos[POLICE]).first()
    police_ref = police_licence.identifier if police_licence else case_nos[POLICE]
    assert produced["hukou_booklet"].source_ref.startswith(police_ref)
    states = dict(Case.objects.filter(application=application).values_list("case_no", "state"))
    assert states == {case_no: CaseState.APPROVED for case_no in case_nos.values()}
    # Each waiting case was released by the system, after its upstream case's approval.
    for item, upstream in WAITS_FOR.items():
        release = AuditEvent.objects.get(action="case.release", object_id=case_nos[item])
        approve = AuditEvent.objects.get(action="case.approve", object_id=case_nos[upstream])
        assert release.actor_id is None
        assert (release.after or {})["upstream"] == case_nos[upstream]
        assert approve.occurred_at <= release.occurred_at
    assert verify_audit_chain().ok
