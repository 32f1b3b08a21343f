"""What every Chromium test does: sign a persona in through the real login form in its own
context, and check that a page fits a phone screen."""

from __future__ import annotations

import re
from typing import Any

from tongban.core.demo import DEMO_PASSWORD

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def signed_in(browser: Any, site: str, username: str, **options: Any) -> Any:
    """A fresh browser context (its own cookies) signed in as `username`."""
    page = browser.new_context(**options).new_page()
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/home/\w+/$"))
    return page


def fits_the_screen(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the phone screen"
