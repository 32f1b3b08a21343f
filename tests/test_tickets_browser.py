"""12345 工单 end to end in real Chromium: the citizen reports a "办不成事" 求助 on a phone;
the hotline operator finds it on the home page, sees the 派单目录's suggestion and
overrides it; the lead department signs and returns it with a reason; the operator
reassigns it to the suggested unit, which signs and replies; the operator records the 回访
as 满意 and closes it; the citizen sees 已办结 with the reply — and never the 退单 reason.

Only setup (demo data, the dispatch catalogue) and the final assertions touch the
database; every step in between is a click or a keystroke. No clock travel: the ticket's
limit is five working days, far more than the test takes. The Chromium fixture is
test_browser.py's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.test_browser import browser
from tongban.core.demo import load_demo_data
from tongban.core.models import AuditEvent
from tongban.tickets.demo import load_demo_dispatch_rules
from tongban.tickets.enums import TicketState
from tongban.tickets.models import Ticket

from .browser_helpers import expect as _expect
from .browser_helpers import fits_the_screen as _fits_the_screen
from .browser_helpers import signed_in as _persona

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser"]  # test_browser.py's module-scoped Chromium fixture, reused

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
TITLE = "补办身份证"
CONTENT = "在窗口补办身份证，被告知要回户籍地办理，已经跑了两趟还是办不成"
RETURN_REASON = "来电人反映的是窗口服务问题，请政务服务中心协调处理"
REPLY = "已安排帮代办专员联系您，下周一在政务服务中心当场受理补办"


def lead_of(ticket: Ticket) -> str | None:
    return ticket.lead_department.code if ticket.lead_department else None


def _open_from_queue(page: Any, number: str) -> None:
    page.get_by_test_id("home-tickets").click()
    page.get_by_test_id(f"open-{number}").click()


def test_a_bbcs_ticket_goes_round_the_loop(browser: Any, live_server: Any) -> None:
    expect = _expect()
    site = str(live_server.url)
    load_demo_data()
    load_demo_dispatch_rules()

    # The citizen, on a phone: home → 反映“办不成事” → 求助, already ticked as 办不成事.
    citizen = _persona(browser, site, "citizen", **PHONE)
    citizen.get_by_test_id("home-bbcs").click()
    expect(citizen.get_by_test_id("file-bbcs")).to_be_checked()
    expect(citizen.locator("#file-type_1")).to_be_checked()  # 求助
    _fits_the_screen(citizen)
    citizen.get_by_test_id("file-title").fill(TITLE)
    citizen.get_by_test_id("file-content").fill(CONTENT)
    citizen.get_by_test_id("file-submit").click()
    citizen.wait_for_url(re.compile(r"/tickets/mine/GD\d{12}/$"))
    number = citizen.get_by_test_id("progress-number").inner_text()
    expect(citizen.get_by_test_id("progress-state")).to_have_text("已受理（待派单）")
    _fits_the_screen(citizen)

    # The operator: home (1 待派单) → the list → the ticket; the catalogue suggests the
    # service centre (办不成事, 窗口, 跑了); the operator sends it to 公安 instead.
    hotline = _persona(browser, site, "hotline")
    expect(hotline.get_by_test_id("count-received")).to_have_text("1")
    hotline.get_by_test_id("home-tickets-received").click()
    hotline.get_by_test_id(f"open-{number}").click()
    expect(hotline.get_by_test_id("detail-title")).to_have_text(f"【办不成事】{TITLE}")
    expect(hotline.get_by_test_id("suggested-lead")).to_have_text("岳阳市政务服务中心")
    expect(hotline.get_by_test_id("dispatch-lead")).to_have_value("yy-zhengwu")
    expect(hotline.get_by_test_id("to-proxy")).to_be_visible()  # 求助: 转帮代办 offered
    hotline.get_by_test_id("dispatch-lead").select_option("yy-gongan")
    hotline.get_by_test_id("submit-dispatch").click()
    expect(hotline.get_by_test_id("detail-state")).to_have_text("已派单（待签收）")
    expect(hotline.get_by_test_id("detail-lead")).to_have_text("岳阳市公安局")

    # 公安: home → 12345工单 → sign, then return it with a reason.
    gongan = _persona(browser, site, "approver-yy-gongan")
    expect(gongan.get_by_test_id("home-tickets-to-sign")).to_have_text("待签收 1")
    _open_from_queue(gongan, number)
    gongan.get_by_test_id("submit-sign").click()
    expect(gongan.get_by_test_id("detail-state")).to_have_text("已签收（办理中）")
    gongan.get_by_test_id("return-reason").fill("不归我们管")
    gongan.get_by_test_id("submit-return").click()
    expect(gongan.get_by_test_id("problems")).to_contain_text("退单理由至少10个字")
    expect(gongan.get_by_test_id("return-reason")).to_have_value("不归我们管")
    gongan.get_by_test_id("return-reason").fill(RETURN_REASON)
    gongan.get_by_test_id("submit-return").click()
    expect(gongan.get_by_test_id("detail-state")).to_have_text("已退回（待改派）")

    # The operator reads the reason and reassigns to the service centre.
    hotline.goto(f"{site}/home/hotline/")
    expect(hotline.get_by_test_id("count-returned")).to_have_text("1")
    hotline.get_by_test_id("home-tickets-returned").click()
    hotline.get_by_test_id(f"open-{number}").click()
    expect(hotline.get_by_test_id("reassign-return-reason")).to_have_text(RETURN_REASON)
    hotline.get_by_test_id("reassign-lead").select_option("yy-zhengwu")
    hotline.get_by_test_id("submit-reassign").click()
    expect(hotline.get_by_test_id("detail-lead")).to_have_text("岳阳市政务服务中心")

    # The service centre signs and replies (on a phone).
    zhengwu = _persona(browser, site, "approver-yy-zhengwu", **PHONE)
    _open_from_queue(zhengwu, number)
    zhengwu.get_by_test_id("submit-sign").click()
    zhengwu.get_by_test_id("reply-reply").fill(REPLY)
    zhengwu.get_by_test_id("submit-reply").click()
    expect(zhengwu.get_by_test_id("detail-state")).to_have_text("已答复（待回访）")
    expect(zhengwu.get_by_test_id("detail-reply")).to_have_text(REPLY)
    _fits_the_screen(zhengwu)

    # The operator calls back: 满意, then 办结.
    hotline.goto(f"{site}/home/hotline/")
    expect(hotline.get_by_test_id("count-to-follow-up")).to_have_text("1")
    hotline.get_by_test_id("home-tickets-replied").click()
    hotline.get_by_test_id(f"open-{number}").click()
    hotline.get_by_test_id("follow_up-satisfaction").select_option("satisfied")
    hotline.get_by_test_id("follow_up-notes").fill("来电人对答复满意，已约好下周一办理")
    hotline.get_by_test_id("submit-follow_up").click()
    expect(hotline.get_by_test_id("detail-follow-up")).to_contain_text("满意")
    hotline.get_by_test_id("submit-close").click()
    expect(hotline.get_by_test_id("detail-state")).to_have_text("已办结")

    # The citizen: 已办结, the reply, and nothing of the 退单.
    citizen.reload()
    expect(citizen.get_by_test_id("progress-state")).to_have_text("已办结")
    expect(citizen.get_by_test_id("progress-reply")).to_have_text(REPLY)
    expect(citizen.get_by_test_id("progress-steps")).to_contain_text("正在重新确定承办单位")
    assert RETURN_REASON not in citizen.content()
    assert "来电人对答复满意" not in citizen.content()
    _fits_the_screen(citizen)
    citizen.goto(f"{site}/tickets/mine/")
    expect(citizen.get_by_test_id("my-ticket-state")).to_have_text("已办结")

    ticket = Ticket.objects.get(number=number)
    assert (ticket.state, lead_of(ticket)) == (TicketState.CLOSED, "yy-zhengwu")
    assert (ticket.satisfaction, ticket.reply) == ("satisfied", REPLY)
    dispatch = AuditEvent.objects.get(object_id=number, action="ticket.dispatch")
    assert (dispatch.after or {})["overridden"] is True
    assert (dispatch.after or {})["suggested"]["lead"] == "yy-zhengwu"
