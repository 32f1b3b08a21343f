"""The public catalog in real Chromium: a newcomer finds 新生儿出生, answers the situation
questions one by one and watches the checklist change in place (htmx, no reload); the
bundle graph is drawn with the vendored ECharts; the guide also works without JavaScript.

Uses the mini catalog (tests/data/mini-catalog.yaml), not the demo YAML. The Chromium
fixture is test_browser.py's: it fails instead of skipping when TONGBAN_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from tests.test_browser import browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser"]  # test_browser.py's module-scoped Chromium fixture, reused

BUNDLE_NAME = "新生儿出生一件事（测试）"


@pytest.fixture
def site(live_server: Any, mini_catalog: None) -> str:
    return str(live_server.url)


def _answer(page: Any, question: str, label: str) -> None:
    page.locator(f'fieldset[data-question="{question}"]').get_by_label(label, exact=True).check()


# htmx wires up swapped-in content when it settles (20 ms after the swap): a robot that
# answers the next question faster than that would click a form htmx does not watch yet.
COUNT_SETTLES = """window.tbSettled = 0;
document.body.addEventListener("htmx:afterSettle", () => { window.tbSettled += 1; });"""


def _answer_and_wait(page: Any, question: str, label: str) -> None:
    settled = page.evaluate("window.tbSettled")
    _answer(page, question, label)
    # A function, not an expression string: the latter needs eval, which the CSP forbids.
    page.wait_for_function("(n) => window.tbSettled > n", arg=settled)


def test_newcomer_finds_newborn_and_the_checklist_follows_each_answer(
    browser: Any, site: str
) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    page.goto(f"{site}/")  # not logged in: the login page, whose top bar links the catalog
    page.get_by_role("link", name="办事指南").click()
    page.wait_for_url(f"{site}/catalog/")
    page.get_by_role("link", name=BUNDLE_NAME).click()
    page.wait_for_url(f"{site}/catalog/bundles/newborn-mini/")
    page.get_by_role("link", name="情形引导：我要准备什么？").click()
    page.wait_for_url(f"{site}/catalog/bundles/newborn-mini/guide/")
    expect(page.get_by_test_id("guide-title")).to_have_text(BUNDLE_NAME)

    # A marker on window survives an htmx swap but not a page load.
    page.evaluate("window.tbNoReload = true")
    page.evaluate(COUNT_SETTLES)
    provide = page.get_by_test_id("materials-provide")
    items = page.get_by_test_id("checklist-items")
    expect(provide).not_to_contain_text("分娩记录")
    expect(items).not_to_contain_text("出生医学证明签发")

    _answer_and_wait(page, "born_here", "是")
    expect(provide).to_contain_text("分娩记录")
    expect(items).to_contain_text("出生医学证明签发")
    expect(page.get_by_test_id("materials-free")).to_contain_text(
        "本件事内生成：“出生医学证明签发”办结后自动流转"
    )
    born_here = page.locator('fieldset[data-question="born_here"]')
    expect(born_here.get_by_test_id("answered")).to_have_text("已选：是")

    _answer_and_wait(page, "want_card", "是")
    expect(provide).to_contain_text("近期免冠照片")
    expect(items).to_contain_text("社会保障卡申领")
    expect(page.get_by_test_id("promised-days")).to_have_text("13 个工作日")

    _answer_and_wait(page, "married", "是")
    expect(provide).to_contain_text("结婚证")
    expect(provide).not_to_contain_text("非婚生育情况说明")
    expect(page.get_by_test_id("questions-done")).to_be_visible()

    # An answered question can be changed in place.
    _answer_and_wait(page, "married", "否")
    expect(provide).to_contain_text("非婚生育情况说明")
    expect(provide).not_to_contain_text("结婚证")

    # A tampered value comes back as a 400 with the reason, swapped in like any answer.
    # (One plain click: Playwright's check() would click the fresh, untampered radio again
    # when it finds the swapped-in form unanswered.)
    settled = page.evaluate("window.tbSettled")
    page.evaluate(
        """const radio = document.querySelector(
            'fieldset[data-question="married"] input[value="yes"]');
        radio.value = "maybe";
        radio.click();"""
    )
    # A function, not an expression string: the latter needs eval, which the CSP forbids.
    page.wait_for_function("(n) => window.tbSettled > n", arg=settled)
    expect(page.get_by_test_id("answer-problems")).to_contain_text(
        "父母是否已登记结婚？：请回答 yes（是）或 no（否）"
    )
    expect(provide).to_contain_text("近期免冠照片")  # the good answers still count

    assert page.evaluate("window.tbNoReload") is True, "the page reloaded"
    print_link = page.get_by_test_id("print-link").get_attribute("href")
    assert print_link is not None
    assert "a-married" not in print_link  # the bad answer was dropped
    assert "a-want_card=yes" in print_link
    page.goto(f"{site}{print_link}")
    assert page.get_by_role("checkbox", name="分娩记录").count() == 1
    assert page.get_by_role("checkbox", name="近期免冠照片").count() == 1
    unanswered = page.get_by_role("row", name="父母是否已登记结婚？ 未回答")
    assert unanswered.count() == 1
    page.close()


def test_bundle_graph_is_drawn_with_vendored_echarts_only(browser: Any, site: str) -> None:
    page = browser.new_page()
    foreign: list[str] = []
    here = urlparse(site).netloc
    page.on(
        "request",
        lambda request: (
            foreign.append(request.url) if urlparse(request.url).netloc != here else None
        ),
    )
    page.goto(f"{site}/catalog/bundles/newborn-mini/")
    graph = page.get_by_test_id("bundle-graph")
    graph.locator("canvas").wait_for()
    assert graph.get_attribute("data-ready") == "1"
    assert foreign == [], f"requests left the site: {foreign}"
    page.close()


def test_guide_works_without_javascript(browser: Any, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/catalog/bundles/newborn-mini/guide/")
    _answer(page, "married", "是")
    _answer(page, "born_here", "否")
    page.get_by_role("button", name="更新清单").click()
    page.wait_for_load_state()
    provide = page.get_by_test_id("materials-provide").inner_text()
    assert "结婚证" in provide
    assert "分娩记录" not in provide
    assert "出生医学证明签发" not in page.get_by_test_id("checklist-items").inner_text()
    context.close()


def test_guide_fits_a_375px_phone(browser: Any, site: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{site}/catalog/bundles/newborn-mini/guide/")
    _answer(page, "born_here", "是")
    page.get_by_test_id("materials-provide").get_by_text("分娩记录").wait_for()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the phone screen"
    context.close()
