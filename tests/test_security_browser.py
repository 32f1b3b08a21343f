"""The Content-Security-Policy in real Chromium: the pages with charts, htmx and forms run
under `script-src 'self'` without a single violation or console message, and the ECharts
charts are still drawn (painted pixels on their canvases).

Pages: the public statistics page (anonymous), the reform page and the dashboard
(supervisor), a bundle's situation guide (anonymous, htmx) and the window's walk-in form
(clerk; its tb-refresh controls re-render the form through htmx). The Chromium fixture is
test_browser.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.test_browser import browser
from tests.test_stats_browser import CHART_STATE

from .browser_helpers import expect as _expect
from .browser_helpers import signed_in
from .stats_helpers import Scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser"]  # test_browser.py's module-scoped Chromium fixture, reused

PERIOD = "from=2026-05-01&to=2026-06-30"
WIDE = {"viewport": {"width": 1280, "height": 900}}

# Runs before any page script; reports each violation to Python through the exposed
# function (init scripts and bindings are not subject to the page's policy).
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) => {
  window.tbReportViolation(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
});"""


class Watch:
    """Everything a page said that it should not have: console messages, page errors and
    CSP violations, across navigations."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.context.expose_function(
            "tbReportViolation", lambda text: self.problems.append(f"csp: {text}")
        )
        page.context.add_init_script(REPORT_VIOLATIONS)

    def _console(self, message: Any) -> None:
        # The site has no favicon; the browser's own request for one is not the page's doing.
        if str(message.location.get("url", "")).endswith("/favicon.ico"):
            return
        self.problems.append(f"console {message.type}: {message.text}")

    def clean(self, page: Any) -> None:
        page.wait_for_load_state("networkidle")
        assert self.problems == [], f"{page.url}: {self.problems}"


def _open(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, url
    policy = response.header_value("content-security-policy") or ""
    assert "script-src 'self'" in policy, url
    assert "unsafe-eval" not in policy


def _charts_drawn(page: Any, selector: str) -> int:
    charts = page.locator(selector)
    count = int(charts.count())
    assert count > 0, selector
    for index in range(count):
        chart = charts.nth(index)
        _expect()(chart).to_have_attribute("data-ready", "1")
        state = chart.evaluate(CHART_STATE)
        assert state is not None, f"{selector}[{index}] has no ECharts instance"
        assert state["painted"] > 500, (selector, index, state)
    return count


def _anonymous(browser: Any) -> tuple[Any, Watch]:
    page = browser.new_context(**WIDE).new_page()
    return page, Watch(page)


def _staff(browser: Any, site: str, username: str) -> tuple[Any, Watch]:
    page = signed_in(browser, site, username, **WIDE)
    return page, Watch(page)


def test_public_and_reform_charts_draw_under_the_policy(
    browser: Any, live_server: Any, two_days: Scenario
) -> None:
    site = str(live_server.url)
    page, watch = _anonymous(browser)
    _open(page, f"{site}/stats/public/?year=2026")
    _charts_drawn(page, "[data-tb-public-chart]")
    watch.clean(page)

    page, watch = _staff(browser, site, "supervisor")
    _open(page, f"{site}/stats/reform/?{PERIOD}")
    _charts_drawn(page, "[data-tb-reform-chart]")
    watch.clean(page)
    _open(page, f"{site}/stats/?{PERIOD}")
    assert _charts_drawn(page, "[data-tb-stats-chart]") == 3
    # ECharts' tooltip is HTML with style attributes (style-src-attr): hover a chart.
    page.get_by_test_id("chart-series").hover()
    watch.clean(page)


def test_htmx_guide_and_walk_in_form_run_under_the_policy(
    browser: Any, live_server: Any, two_days: Scenario, persona: Callable[[str], Any]
) -> None:
    site = str(live_server.url)
    page, watch = _anonymous(browser)
    _open(page, f"{site}/catalog/bundles/chain-test/guide/")
    # No htmx indicator <style> was injected (it would have been a violation anyway).
    assert page.locator("head style").count() == 0
    watch.clean(page)

    page, watch = _staff(browser, site, "clerk")
    _open(page, f"{site}/cases/staff/window/new/")
    plan = page.get_by_test_id("plan-select")
    options = plan.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    chosen = next(value for value in options if value)
    # A tb-refresh control re-renders the form through htmx (site.js's custom event, in
    # place of an hx-trigger filter, which would need eval).
    with page.expect_response(lambda r: r.request.method == "POST" and "window/new" in r.url):
        plan.select_option(chosen)
    _expect()(page.get_by_test_id("plan-select")).to_have_value(chosen)
    watch.clean(page)


def test_api_reference_pages_render_under_the_policy(browser: Any, live_server: Any) -> None:
    """Swagger UI runs under the site's policy; Redoc under its page's own relaxation."""
    site = str(live_server.url)
    page, watch = _anonymous(browser)
    _open(page, f"{site}/api/v1/docs")
    _expect()(page.locator(".swagger-ui .opblock").first).to_be_visible()
    watch.clean(page)

    page, watch = _anonymous(browser)
    response = page.goto(f"{site}/api/v1/redoc")
    assert response is not None
    assert response.status == 200
    assert "unsafe-eval" not in (response.header_value("content-security-policy") or "")
    _expect()(page.locator("#redoc-ui [role=menuitem]").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    # Redoc's "powered by" badge is an image on its vendor's CDN: blocked, as every outside
    # address must be on a closed government network; nothing else may be.
    outside = [p for p in watch.problems if "https://cdn.redoc.ly/" in p]
    assert outside
    assert all("img-src" in p for p in outside)
    watch.problems = [p for p in watch.problems if p not in outside]
    watch.clean(page)
