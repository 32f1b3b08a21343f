"""The statistics dashboard in real Chromium: the supervisor opens it from the home page,
the three ECharts charts are drawn (pixels on their canvases, data in their series), a
figure's definition opens with one click, the red-card case leads to its case page, the
charts follow the window's size, and the page fits a phone screen.

Setup (demo data, two days of cases through the real actions, one fold) and the final
checks touch the database; everything in between is a click. The Chromium fixture is
test_browser.py's.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from tests.test_browser import browser
from tongban.cases.enums import CaseState
from tongban.cases.models import Case
from tongban.stats.definitions import DEFINITIONS
from tongban.stats.fold import fold_pending

from .browser_helpers import PHONE
from .browser_helpers import expect as _expect
from .browser_helpers import fits_the_screen as _fits_the_screen
from .browser_helpers import signed_in as _persona
from .stats_helpers import Scenario, import_stats_catalog, run_day_one, run_day_two

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

__all__ = ["browser"]  # test_browser.py's module-scoped Chromium fixture, reused

QUERY = "from=2026-05-01&to=2026-06-30"
PHONE_WIDTH = 390  # browser_helpers.PHONE's viewport
CHARTS = ("chart-series", "chart-backlog", "chart-channels")

# What a chart element holds once ECharts has drawn it: the first series' data points, the
# canvas size and how many of its pixels are painted (not transparent).
CHART_STATE = """(el) => {
  const chart = echarts.getInstanceByDom(el);
  const canvas = el.querySelector("canvas");
  if (!chart || !canvas) { return null; }
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { painted++; } }
  return {
    points: chart.getOption().series[0].data.length,
    width: canvas.width,
    cssWidth: canvas.clientWidth,
    painted: painted,
  };
}"""


def _chart(page: Any, testid: str) -> dict[str, int]:
    element = page.get_by_test_id(testid)
    _expect()(element).to_have_attribute("data-ready", "1")
    state: dict[str, int] | None = element.evaluate(CHART_STATE)
    assert state is not None, f"{testid} has no ECharts instance"
    return state


def test_the_supervisor_reads_the_dashboard(
    browser: Any, live_server: Any, calendar: None, persona: Any
) -> None:
    expect = _expect()
    site = str(live_server.url)
    import_stats_catalog()
    scenario = Scenario()
    run_day_one(persona, scenario)
    run_day_two(persona, scenario)
    fold_pending()
    red = Case.objects.get(state=CaseState.IN_REVIEW)
    Case.objects.filter(pk=red.pk).update(promised_due=datetime.date(2026, 6, 2))

    # From the supervisor's home to the dashboard, then the period with the data.
    page = _persona(browser, site, "supervisor", viewport={"width": 1280, "height": 900})
    page.get_by_test_id("home-stats").click()
    page.wait_for_url(re.compile(r"/stats/$"))
    expect(page.get_by_test_id("stats-title")).to_contain_text("统计总览")
    page.goto(f"{site}/stats/?{QUERY}")
    expect(page.get_by_test_id("value-received")).to_have_text(str(Case.objects.count()))

    # Each chart is drawn: data in its first series and painted pixels on its canvas.
    for testid in CHARTS:
        state = _chart(page, testid)
        assert state["points"] > 0, testid
        assert state["width"] > 0, (testid, state)
        assert state["painted"] > 500, (testid, state)
    assert _chart(page, "chart-series")["points"] == 61  # one point a day, May and June

    # A figure's definition is one click away.
    formula = page.get_by_test_id("formula-completion_rate")
    expect(formula).to_be_hidden()
    page.get_by_test_id("definition-completion_rate").locator("summary").click()
    expect(formula).to_be_visible()
    expect(formula).to_contain_text(DEFINITIONS["completion_rate"].formula)

    # The charts follow the window: narrower window, narrower canvas.
    wide = _chart(page, "chart-series")["cssWidth"]
    page.set_viewport_size({"width": 600, "height": 900})
    page.wait_for_function(
        "(w) => document.querySelector('[data-testid=chart-series] canvas').clientWidth < w",
        arg=wide,
    )

    # The red card's case, clicked in the warnings panel, opens the case page.
    row = page.get_by_test_id("panel-warnings").locator(f"[data-case='{red.case_no}']")
    expect(row).to_have_attribute("data-level", "red")
    row.get_by_test_id(f"case-{red.case_no}").click()
    page.wait_for_url(re.compile(rf"/cases/staff/case/{red.case_no}/$"))
    expect(page.locator("body")).to_contain_text(red.case_no)

    # On a phone the page fits the screen and the charts are still drawn.
    phone = _persona(browser, site, "supervisor", **PHONE)
    phone.goto(f"{site}/stats/?{QUERY}")
    for testid in CHARTS:
        state = _chart(phone, testid)
        assert 0 < state["cssWidth"] <= PHONE_WIDTH, (testid, state)
        assert state["painted"] > 0, testid
    _fits_the_screen(phone)
    phone.get_by_test_id("warnings-more").click()
    phone.wait_for_url(re.compile(r"/stats/warnings/\?"))
    expect(phone.get_by_test_id("warning-row").first).to_have_attribute("data-case", red.case_no)
    _fits_the_screen(phone)
