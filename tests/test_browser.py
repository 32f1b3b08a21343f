"""Real Chromium through Playwright: log in as two roles, use htmx, fit a phone screen.

Chromium comes from Debian (`apt-get install chromium`); Playwright never downloads one.
Without it these tests skip locally, but CI sets TONGBAN_REQUIRE_BROWSER=1 so a missing
browser fails the run instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tongban.core.demo import DEMO_PASSWORD, load_demo_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = _chromium_path()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium)"
        if os.environ.get("TONGBAN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # beside it are still synchronous, which Django's guard cannot tell.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(
                executable_path=path, headless=True, args=CHROMIUM_FLAGS
            )
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server: Any) -> str:
    load_demo_data()
    return str(live_server.url)


def _login(page: Any, site: str, username: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state("networkidle")


def test_clerk_logs_in_and_computes_a_due_date_with_htmx(browser: Any, site: str) -> None:
    page = browser.new_page()
    _login(page, site, "clerk")
    assert page.url.endswith("/home/clerk/")
    assert page.get_by_test_id("role-home-title").inner_text() == "综合窗口受理"
    page.fill("#dd-start", "2026-09-30")
    page.fill("#dd-days", "1")
    page.get_by_role("button", name="计算到期日").click()
    result = page.get_by_test_id("due-date-value")
    result.wait_for()
    assert "2026年10月8日" in result.inner_text()  # National Day week skipped
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(f"{site}/accounts/login/")
    page.close()


def test_sysadmin_sees_missing_calendar_warning_and_cannot_open_citizen_home(
    browser: Any, site: str
) -> None:
    page = browser.new_page()
    _login(page, site, "sysadmin")
    assert page.url.endswith("/home/sysadmin/")
    assert page.get_by_test_id("calendar-missing-warning").is_visible()
    response = page.goto(f"{site}/home/citizen/")
    assert response is not None
    assert response.status == 403
    assert "无权访问" in page.content()
    page.close()


def test_citizen_home_fits_a_375px_phone(browser: Any, site: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    _login(page, site, "citizen")
    assert page.get_by_test_id("role-home-title").inner_text() == "个人办事"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the phone screen"
    # The navigation collapses behind the toggler and opens on tap.
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    assert not page.get_by_role("button", name="退出").is_visible()
    toggler.click()
    page.get_by_role("button", name="退出").wait_for(state="visible")
    context.close()
