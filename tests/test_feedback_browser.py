"""好差评 end to end in real Chromium: the citizen rates a decided case 非常不满意 on a
phone; the department's approver finds the rectification on the desk, records the
follow-up call and the fix with the reply; the citizen reads the reply on the application
page; the supervisor's figures move from 差评整改率 0.0 % to 100.0 %.

Only setup (demo data, the case decided through the case actions) and the final assertions
touch the database; every step in between is a click or a keystroke. The Chromium fixture
is test_browser.py's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.test_browser import browser
from tongban.core.demo import load_demo_data
from tongban.core.models import User
from tongban.feedback.enums import RectificationState
from tongban.feedback.models import Rating, Rectification

from .browser_helpers import expect as _expect
from .browser_helpers import fits_the_screen as _fits_the_screen
from .browser_helpers import signed_in as _persona
from .case_helpers import approve_through, approver_of, import_case_catalog, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser"]  # test_browser.py's module-scoped Chromium fixture, reused

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
ITEM = "TREVIEW01"  # at yy-shichang
COMMENT = "补正材料来回跑了三趟，窗口没有一次说清楚"
REPLY = "经核实情况属实，已对窗口人员开展一次性告知培训，感谢您的监督"


def _figures(page: Any) -> tuple[str, str]:
    page.reload()
    return (
        page.get_by_test_id("fig-bad").inner_text(),
        page.get_by_test_id("fig-rectification").inner_text(),
    )


def test_a_bad_rating_is_rectified_and_answered(browser: Any, live_server: Any) -> None:
    expect = _expect()
    site = str(live_server.url)
    load_demo_data()
    import_case_catalog(ITEM)
    case = submit(User.objects.get(username="citizen"), item=ITEM).cases.get()
    approve_through(case.case_no)
    approver = approver_of(case).username
    assert approver == "approver-yy-shichang"

    # The citizen, on a phone: 我的申请 → the application → 请评价办结环节.
    citizen = _persona(browser, site, "citizen", **PHONE)
    citizen.get_by_test_id("home-mine-link").click()
    citizen.get_by_test_id("application-row").first.locator("a").click()
    invitation = citizen.locator(
        f'[data-testid="rating-invitation"][data-case="{case.case_no}"][data-stage="complete"]'
    )
    expect(invitation).to_contain_text("请评价办结环节")
    expect(citizen.get_by_test_id("rating-panel")).to_contain_text("请评价受理环节")
    application_url = citizen.url
    invitation.get_by_role("link").click()
    expect(citizen.get_by_test_id("rate-title")).to_have_text("请评价办结环节")
    expect(citizen.get_by_test_id("comment-hint")).to_contain_text("至少5个字")
    _fits_the_screen(citizen)
    citizen.get_by_test_id("level-1").click()
    citizen.get_by_test_id("rating-comment").fill(COMMENT)
    citizen.get_by_test_id("rating-submit").click()
    citizen.wait_for_url(re.compile(re.escape(application_url)))
    made = citizen.get_by_test_id("rating-made")
    expect(made.get_by_test_id("rating-level")).to_have_text("非常不满意")
    expect(made.get_by_test_id("rectification-state")).to_have_text("待回访")
    _fits_the_screen(citizen)

    # The supervisor sees the 差评, not yet rectified.
    supervisor = _persona(browser, site, "supervisor")
    assert _figures(supervisor) == ("1", "0.00%")

    # The department: home → desk → the rectification → 回访 → 整改答复.
    desk = _persona(browser, site, approver)
    expect(desk.get_by_test_id("home-rectifications-open")).to_have_text("1")
    desk.get_by_test_id("home-rectifications").click()
    desk.get_by_test_id("desk-row").first.get_by_role("link").click()
    expect(desk.get_by_test_id("detail-comment")).to_have_text(COMMENT)
    expect(desk.get_by_test_id("detail-rater")).to_have_text("李晓梅")
    desk.get_by_test_id("follow_up-method").select_option("phone")
    desk.get_by_test_id("follow_up-notes").fill("电话回访申请人，反映补正告知不一次说清，情况属实")
    desk.get_by_test_id("submit-follow_up").click()
    expect(desk.get_by_test_id("detail-state")).to_have_text("整改中")
    desk.get_by_test_id("resolve-finding").select_option("immediate")
    desk.get_by_test_id("resolve-fix").fill(
        "对窗口人员开展一次性告知培训，补正清单当场打印交申请人"
    )
    desk.get_by_test_id("resolve-reply").fill(REPLY)
    desk.get_by_test_id("submit-resolve").click()
    expect(desk.get_by_test_id("detail-state")).to_have_text("已答复")
    expect(desk.get_by_test_id("detail-reply")).to_have_text(REPLY)

    # The citizen reads the answer where they rated.
    citizen.reload()
    expect(citizen.get_by_test_id("rectification-state")).to_have_text("已答复")
    expect(citizen.get_by_test_id("rectification-reply")).to_contain_text(REPLY)
    expect(citizen.get_by_test_id("re-rate-form")).to_be_visible()

    # And the supervisor's figures move.
    assert _figures(supervisor) == ("1", "100.00%")
    supervisor.get_by_test_id("home-feedback-supervise").click()
    expect(supervisor.get_by_test_id("fig-rectification")).to_have_text("100.00%")
    expect(supervisor.get_by_test_id("figures-department")).to_contain_text(case.department.name)

    rectification = Rectification.objects.get()
    assert rectification.state == RectificationState.REPLIED
    assert rectification.reply == REPLY
    assert Rating.objects.get().level == 1
