"""智能导办 in real Chromium, on the demo catalog and synonyms: on the 办事大厅 a would-be tea
shop owner types "开个奶茶店要哪些证" key by key, sees htmx suggestions appear under the box,
picks 开办餐饮店一件事 and lands on its situational checklist; pressing Enter instead shows
the results page; without JavaScript the same box is a plain form. On a phone screen.

One test: importing the demo catalog costs seconds, and a transactional live-server test
flushes it after each test. The Chromium fixture is test_browser.py's.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.test_browser import browser
from tongban.catalog.demo import load_demo_catalog
from tongban.core.demo import load_demo_data
from tongban.guide.demo import load_demo_synonyms
from tongban.guide.index import forget_index

from .browser_helpers import PHONE
from .browser_helpers import expect as _expect
from .browser_helpers import fits_the_screen as _fits_the_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser"]  # test_browser.py's module-scoped Chromium fixture, reused

TEA_SHOP = "开个奶茶店要哪些证"
RESTAURANT = "开办餐饮店一件事"


@pytest.fixture
def site(live_server: Any) -> Any:
    forget_index()
    load_demo_data()
    load_demo_catalog()
    load_demo_synonyms()
    yield str(live_server.url)
    forget_index()  # the flushed catalog must not linger in this process's index


def test_typing_in_the_guide_box_suggests_and_leads_to_the_checklist(
    browser: Any, site: str
) -> None:
    expect = _expect()
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{site}/catalog/")

    # As you type: the suggestions appear under the box (htmx, no page load).
    page.evaluate("window.tbNoReload = true")
    box = page.get_by_test_id("guide-q")
    box.press_sequentially(TEA_SHOP, delay=60)
    suggestions = page.get_by_test_id("guide-suggestion")
    expect(suggestions.first).to_contain_text(RESTAURANT)
    expect(suggestions.first).to_contain_text("一件事")
    assert page.evaluate("window.tbNoReload") is True
    _fits_the_screen(page)

    suggestions.first.click()
    page.wait_for_url(f"{site}/catalog/bundles/restaurant/guide/")
    expect(page.get_by_test_id("guide-title")).to_have_text(RESTAURANT)

    # Enter without picking a suggestion: the results page, best first, checklist button.
    page.goto(f"{site}/catalog/")
    box = page.get_by_test_id("guide-q")
    box.press_sequentially(TEA_SHOP, delay=20)
    box.press("Enter")
    page.wait_for_url(re.compile(r"/guide/\?q="))
    assert quote(TEA_SHOP) in page.url
    first = page.get_by_test_id("guide-result").first
    expect(first.get_by_test_id("guide-result-name")).to_have_text(RESTAURANT)
    # The person's own word first: 奶茶 is an everyday name of the bundle (开奶茶店).
    expect(first.get_by_test_id("guide-matched").first).to_have_text("奶茶")
    expect(first.get_by_test_id("guide-matched").nth(1)).to_have_text("餐饮")
    expect(page.get_by_test_id("guide-understood")).to_contain_text("奶茶 → 餐饮")
    expect(page.get_by_test_id("guide-bbcs")).to_be_visible()
    _fits_the_screen(page)
    first.get_by_test_id("guide-checklist").click()
    page.wait_for_url(f"{site}/catalog/bundles/restaurant/guide/")
    page.context.close()

    # Without JavaScript the box is a plain GET form.
    context = browser.new_context(java_script_enabled=False, **PHONE)
    plain = context.new_page()
    plain.goto(f"{site}/catalog/")
    plain.get_by_test_id("guide-q").fill("老人走了后事怎么办")
    plain.get_by_test_id("guide-submit").click()
    plain.wait_for_url(re.compile(r"/guide/\?q="))
    expect(plain.get_by_test_id("guide-result-name").first).to_have_text("身后一件事")
    context.close()
