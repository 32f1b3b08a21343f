"""新生儿出生一件事 end to end in real Chromium: the citizen applies once on a phone; the
hospital, police, medical-insurance, social-security and vaccination departments work
their queues in dependency order; the citizen sees every result without handing in
anything twice. Then the licence journey: the 出生医学证明 in the mother's wallet, its QR
verified by a phone without an account, reused (免提交) in a later application that 医保局
sees it attached to, logged in the wallet, revoked by the hospital, verified again.

Only setup (demo data, catalog, licence types), the expected QR symbol and the final
assertions touch the database; every step in between is a click or a keystroke. The
Chromium fixture is test_browser.py's: it fails instead of skipping when
TONGBAN_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.test_browser import browser
from tongban.cases.enums import OPEN_STATES, ApplicationStatus, CaseState, Provision
from tongban.cases.models import Application, ApplicationMaterial, Case, SupplementRequest
from tongban.catalog.demo import load_demo_catalog
from tongban.core.audit import verify_audit_chain
from tongban.core.demo import load_demo_data
from tongban.core.identifiers import make_resident_id
from tongban.core.models import AuditEvent, User
from tongban.licences.demo import load_demo_licence_types
from tongban.licences.models import Licence, LicenceStatus, LicenceUse
from tongban.licences.qr import qr_svg
from tongban.licences.wallet import qr_text

from .browser_helpers import expect as _expect
from .browser_helpers import fits_the_screen as _fits_the_screen
from .browser_helpers import signed_in as _persona
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
HOSPITAL_LICENCE = "出生医学证明"  # the e-licence the hospital case issues
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
    load_demo_licence_types()  # as `make run` does: results are issued as e-licences
    return str(live_server.url)


def _answer(page: Any, question: str, label: str) -> None:
    settled = page.evaluate("window.tbSettled")
    page.get_by_test_id(f"question-{question}").get_by_label(label, exact=True).check()
    # A function, not an expression string: the latter needs eval, which the CSP forbids.
    page.wait_for_function("(n) => window.tbSettled > n", arg=settled)


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
    if state not in OPEN_STATES:  # the queue lists open cases unless told otherwise
        page.get_by_test_id("filter-state").select_option(label="全部状态")
        expect(page).to_have_url(re.compile(r"[?&]state=all\b"))  # htmx pushes the filter
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


# ---------------------------------------------------------------- the licence journey

# A later application that needs the 出生医学证明: the mother's 生育津贴 (not in the bundle
# above, where she answered that she holds no 职工医保). Decided by 秒批 once submitted.
MATERNITY = Item("生育津贴申领", "岳阳市医疗保障局", "approver-yy-yibao", ())
MATERNITY_CODE = "11430600DE0000030M3000103004000"
BIRTH_CERTIFICATE = "birth_medical_certificate"  # the licence type and the material key
REVOKE_REASON = "出生医学证明信息填写有误，依法撤销并重新签发"


def _wallet_card(page: Any, type_name: str) -> Any:
    """The one wallet card of this licence type (the wallet must be open)."""
    card = page.get_by_test_id("licence-card").filter(
        has=page.locator("h2", has_text=re.compile(f"^{type_name}$"))
    )
    _expect()(card).to_have_count(1)
    return card


def _open_wallet(page: Any, site: str) -> None:
    """From any citizen page, through 首页, to 我的证照."""
    page.goto(f"{site}/")
    page.get_by_test_id("home-wallet-link").click()
    page.wait_for_url(f"{site}/licences/")
    _expect()(page.get_by_test_id("wallet-title")).to_have_text("我的证照")


def _wallet_holds_the_certificate(page: Any, site: str) -> str:
    """1 我的证照: the hospital's 出生医学证明 is there, 有效; returns its identifier."""
    expect = _expect()
    _open_wallet(page, site)
    card = _wallet_card(page, HOSPITAL_LICENCE)
    expect(card.get_by_test_id("licence-status")).to_have_text("有效")
    expect(card).to_contain_text(HOSPITAL.department)  # 颁发机构
    expect(card).to_contain_text("李晓梅")  # 持证主体: the mother who applied
    _fits_the_screen(page)
    return str(card.get_attribute("data-identifier"))


def _qr_encodes_the_verify_url(page: Any, site: str, licence: Licence) -> str:
    """2 The card's QR is exactly the symbol of `qr_text(licence)`: the verify URL and, after
    `#`, the signed payload. Returns the verify URL as reachable on the test server."""
    card = _wallet_card(page, HOSPITAL_LICENCE)
    text = qr_text(licence)
    printed_url, _, payload = text.partition("#")
    assert printed_url == f"{settings.TONGBAN_PUBLIC_URL}/verify/{licence.identifier}"
    assert payload  # the offline-verifiable part travels in the fragment
    # Parse the expected SVG with the page's own HTML parser and compare node trees: every
    # module of the symbol (the path data), the viewBox, size, title and role must match.
    same = card.locator(".tb-qr").evaluate(
        """(box, expected) => {
            const template = document.createElement("template");
            template.innerHTML = expected;
            const shown = box.querySelectorAll("svg");
            return shown.length === 1 && shown[0].isEqualNode(template.content.firstElementChild);
        }""",
        qr_svg(text),
    )
    assert same, "the wallet's QR code does not encode the licence's verify URL and payload"
    # The 在线核验 link goes to the same page as the QR.
    path = urlsplit(printed_url).path
    link = card.get_by_role("link", name="在线核验")
    assert link.get_attribute("href") == path
    return f"{site}{path}"  # TONGBAN_PUBLIC_URL is the real site; here it is the live server


def _verify_page_says(page: Any, url: str, status: str, label: str) -> None:
    """The public verify page, as a phone that scanned the QR sees it (no login)."""
    expect = _expect()
    assert page.url == url  # not sent to a login page
    verdict = page.get_by_test_id("verdict")
    expect(verdict).to_have_attribute("data-status", status)
    expect(verdict.get_by_test_id("verdict-label")).to_have_text(label)
    facts = page.get_by_test_id("licence-facts")
    expect(facts).to_contain_text(HOSPITAL_LICENCE)
    expect(facts).to_contain_text(HOSPITAL.department)
    expect(facts).not_to_contain_text("李晓梅")  # the public page shows no holder's name
    _fits_the_screen(page)


def _apply_reusing_the_certificate(page: Any, site: str, licence: Licence) -> tuple[str, str]:
    """3 The mother applies for 生育津贴 alone: the 出生医学证明 is 免提交 once she consents.
    Returns the application number and the case number."""
    expect = _expect()
    page.goto(f"{site}/")
    page.get_by_test_id("home-apply-link").click()
    page.get_by_test_id("item-search").fill("生育津贴")
    page.get_by_test_id("item-search-button").click()
    page.get_by_test_id(f"apply-item-{MATERNITY_CODE}").click()
    page.wait_for_url(f"{site}/cases/apply/item/{MATERNITY_CODE}/")
    expect(page.get_by_test_id("wizard-title")).to_have_text(MATERNITY.name)
    expect(page.get_by_test_id("no-questions")).to_be_visible()
    page.get_by_test_id("wizard-next").click()
    page.wait_for_url("**/form/")

    page.get_by_test_id("input-mother.name").fill("李晓梅")
    page.get_by_test_id("input-mother.id_number").fill(MOTHER_ID)
    page.get_by_test_id("input-employer.name").fill("岳阳市第一人民医院")
    page.get_by_test_id("wizard-next").click()
    page.wait_for_url("**/materials/")

    # Offered, not taken: without consent the certificate is still to be uploaded.
    section = page.get_by_test_id("materials-licence")
    expect(section.get_by_test_id(f"licence-offer-{BIRTH_CERTIFICATE}")).to_contain_text(
        f"《{HOSPITAL_LICENCE}》"
    )
    expect(section.get_by_test_id(f"material-licence-{BIRTH_CERTIFICATE}")).to_have_count(0)
    consent = section.get_by_test_id("licence-consent")
    expect(consent).not_to_be_checked()
    consent.check()
    page.get_by_test_id("wizard-save").click()  # stays on the step, now with the consent
    expect(page.get_by_role("alert").filter(has_text="草稿已保存")).to_be_visible()
    section = page.get_by_test_id("materials-licence")
    expect(section.get_by_test_id("licence-consent")).to_be_checked()
    expect(section.get_by_test_id(f"material-licence-{BIRTH_CERTIFICATE}")).to_have_text(
        "电子证照免提交"
    )
    line = section.get_by_test_id(f"licence-line-{BIRTH_CERTIFICATE}")
    expect(line).to_contain_text(f"《{HOSPITAL_LICENCE}》")
    expect(line).to_contain_text(licence.number)
    expect(line).to_contain_text(HOSPITAL.department)
    expect(page.get_by_test_id(f"file-{BIRTH_CERTIFICATE}")).to_have_count(0)  # nothing to upload
    _fits_the_screen(page)
    page.get_by_test_id("wizard-next").click()
    page.wait_for_url("**/review/")

    expect(page.get_by_test_id("review-blocking")).to_have_count(0)
    expect(page.get_by_test_id(f"review-material-{BIRTH_CERTIFICATE}")).to_contain_text(
        f"电子证照免提交：《{HOSPITAL_LICENCE}》（证照编号 {licence.number}）"
    )
    expect(page.get_by_test_id("review-item-department")).to_have_text(MATERNITY.department)
    page.get_by_test_id("submit-application").click()
    page.wait_for_url("**/cases/mine/*/")

    expect(page.get_by_role("alert").filter(has_text="申请已提交")).to_be_visible()
    number = page.get_by_test_id("application-number").inner_text()
    row = page.get_by_test_id("case-row")
    expect(row).to_have_count(1)
    expect(row.locator("h2")).to_have_text(MATERNITY.name)
    # 秒批: the mother's ID number checks out and her employer is filled in.
    expect(row.get_by_test_id("case-state")).to_have_text(CaseState.APPROVED.label)
    return number, str(row.get_attribute("data-case"))


def _department_sees_the_licence(page: Any, site: str, case_no: str, identifier: str) -> None:
    """4 医保局 opens the case: the certificate is attached as the e-licence, by identifier."""
    expect = _expect()
    _open_from_queue(page, site, case_no, CaseState.APPROVED)
    expect(page.get_by_test_id("case-title")).to_have_text(MATERNITY.name)
    material = page.get_by_test_id(f"material-{BIRTH_CERTIFICATE}")
    expect(material).to_contain_text(Provision.LICENCE.label)
    attached = material.get_by_test_id(f"material-licence-{BIRTH_CERTIFICATE}")
    expect(attached.locator("code")).to_have_text(identifier)
    expect(attached.get_by_role("link")).to_have_attribute("href", f"/verify/{identifier}")
    expect(page.get_by_test_id(f"material-view-{BIRTH_CERTIFICATE}")).to_have_count(0)


def _wallet_logs_the_use(page: Any, site: str, number: str) -> None:
    """5 我的证照 lists the use: which department, for which application, for which material."""
    expect = _expect()
    _open_wallet(page, site)
    uses = _wallet_card(page, HOSPITAL_LICENCE).get_by_test_id("licence-uses")
    use = uses.locator("tbody tr").filter(has_text=number)
    expect(use).to_have_count(1)
    expect(use.locator("td").nth(1)).to_have_text(MATERNITY.department)
    expect(use.locator("td").nth(3)).to_have_text(HOSPITAL_LICENCE)


def _issuer_revokes(page: Any, site: str, case_no: str, identifier: str) -> None:
    """6 The hospital, from its case, opens 证照管理 and revokes the licence with a reason."""
    expect = _expect()
    _open_from_queue(page, site, case_no, CaseState.APPROVED)
    issued = page.get_by_test_id("issued-licence")
    expect(issued).to_have_count(1)
    expect(issued).to_have_attribute("data-identifier", identifier)
    issued.get_by_test_id("manage-licence").click()
    page.wait_for_url(f"{site}/licences/manage/{identifier}/")
    status = page.get_by_test_id("licence-status")
    expect(status).to_have_text("有效")
    page.get_by_test_id("revoke-reason").fill(REVOKE_REASON)
    page.get_by_test_id("revoke-licence").click()
    page.wait_for_url(f"{site}/licences/manage/{identifier}/")
    expect(status).to_have_text("已撤销")
    expect(page.get_by_test_id("status-reason")).to_have_text(REVOKE_REASON)
    expect(page.get_by_test_id("revoke-licence")).to_have_count(0)  # once is all it takes


def _licence_journey(browser: Any, site: str, hospital_case_no: str) -> None:
    """After the bundle: the 出生医学证明 in the mother's wallet, verified by its QR, reused
    in a later application, seen by that department, logged, revoked, verified again."""
    expect = _expect()
    citizen = _persona(browser, site, "citizen", **PHONE)
    identifier = _wallet_holds_the_certificate(citizen, site)
    licence = Licence.objects.select_related("case").get(identifier=identifier)
    assert licence.case is not None
    assert licence.case.case_no == hospital_case_no

    verify_url = _qr_encodes_the_verify_url(citizen, site, licence)
    scanner = browser.new_context(**PHONE).new_page()  # anyone's phone: no account
    scanner.goto(verify_url)
    _verify_page_says(scanner, verify_url, "valid", "有效")

    number, case_no = _apply_reusing_the_certificate(citizen, site, licence)
    yibao = _persona(browser, site, MATERNITY.approver)
    _department_sees_the_licence(yibao, site, case_no, identifier)
    _wallet_logs_the_use(citizen, site, number)

    fuyou = _persona(browser, site, HOSPITAL.approver)
    _issuer_revokes(fuyou, site, hospital_case_no, identifier)
    scanner.reload()  # the same scan, again: the page is never cached
    _verify_page_says(scanner, verify_url, "revoked", "已撤销")
    expect(scanner.get_by_test_id("revoked-reason")).to_have_text(REVOKE_REASON)
    _open_wallet(citizen, site)
    expect(_wallet_card(citizen, HOSPITAL_LICENCE).get_by_test_id("licence-status")).to_have_text(
        "已撤销"
    )
    for page in (citizen, scanner, yibao, fuyou):
        page.context.close()

    # The use was logged once, for the case of 医保局; the revocation is on the record.
    use = LicenceUse.objects.get(licence=licence, application__number=number)
    assert use.case is not None
    assert (use.case.case_no, use.department.name) == (case_no, MATERNITY.department)
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.REVOKED


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
    # (the e-licences the hospital and police cases issued: their types are configured)
    produced = {m.key: m for m in materials.filter(provision=Provision.PRODUCED)}
    for key, upstream in (("birth_medical_certificate", HOSPITAL), ("hukou_booklet", POLICE)):
        issued = Licence.objects.get(case__case_no=case_nos[upstream], licence_type__key=key)
        assert produced[key].source_ref == issued.identifier
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

    _licence_journey(browser, site, case_nos[HOSPITAL])
    assert verify_audit_chain().ok
