"""The statistics dashboard (统计总览 / department view) and its 黄牌/红牌 list, server-rendered:
the headline figures equal a direct count over the cases, every role sees only its scope,
bad input is a Chinese 400 page, and the page costs a bounded number of queries."""

from __future__ import annotations

import datetime
import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tongban.cases.enums import OPEN_STATES, CaseState
from tongban.cases.models import Case
from tongban.core.models import Department
from tongban.stats.definitions import DEFINITIONS

from .case_helpers import shanghai

PERIOD = {"from": "2026-05-01", "to": "2026-06-30"}
# Measured: 27 for the supervisor (session, user, roles and permissions 7; filter choices 3;
# overview 11; items 3; warnings 2; ratings 1; tickets 1), 25 for an approver.
MAX_QUERIES = 27


@pytest.fixture
def june_fifth() -> Iterator[None]:
    with time_machine.travel(shanghai(2026, 6, 5), tick=True):
        yield


def _text(response: Any) -> str:
    return response.content.decode()


def _value(page: str, key: str) -> str:
    found = re.search(rf'data-testid="value-{key}">([^<]*)<', page)
    assert found, f"no card {key}"
    return html.unescape(found.group(1)).strip()


def _json_script(page: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page)
    assert found, f"no json_script {element_id}"
    return json.loads(found.group(1))


def _make_red(case_no: str | None = None) -> Case:
    reviewing = Case.objects.filter(state=CaseState.IN_REVIEW).order_by("pk")
    case = reviewing.get(case_no=case_no) if case_no else reviewing.first()
    assert case is not None
    Case.objects.filter(pk=case.pk).update(promised_due=datetime.date(2026, 6, 2))
    return case


def test_headline_figures_equal_a_direct_count_over_the_cases(
    two_days, june_fifth, logged_in
) -> None:
    response = logged_in("supervisor").get("/stats/", PERIOD)
    assert response.status_code == 200
    page = _text(response)
    cases = Case.objects.all()
    assert int(_value(page, "received")) == cases.count() > 0
    assert int(_value(page, "accepted")) == cases.filter(accepted_on__isnull=False).count()
    completed = cases.filter(decided_at__isnull=False, accepted_on__isnull=False).count()
    assert int(_value(page, "completed")) == completed > 0
    assert int(_value(page, "backlog")) == cases.filter(state__in=OPEN_STATES).count() > 0
    assert "统计总览" in page
    assert "岳阳" in page
    assert "数据更新至" in page
    assert "待汇总事件 0 条" in page

    # The charts' data adds up to the same facts, and each is also a table.
    series = _json_script(page, "chart-series-data")
    received = next(s for s in series["series"] if s["name"] == "收件")
    assert sum(received["data"]) == cases.count()
    assert len(series["categories"]) == 61
    assert series["categories"][0] == "2026-05-01"
    channels = _json_script(page, "chart-channels-data")["series"][0]["data"]
    assert {c["name"]: c["value"] for c in channels} == {
        "网站": cases.filter(application__channel="web").count(),
        "移动端": cases.filter(application__channel="mobile").count(),
    }
    backlog = _json_script(page, "chart-backlog-data")
    assert (
        sum(sum(s["data"]) for s in backlog["series"])
        == cases.filter(state__in=OPEN_STATES).count()
    )
    for table in ("table-series", "table-backlog", "table-channels", "table-items"):
        assert f'data-testid="{table}"' in page

    # Every card's definition is one click away, with its formula and source.
    assert DEFINITIONS["completion_rate"].formula in page
    assert DEFINITIONS["p90_working_days"].formula in page
    assert page.count('class="tb-definition') == 11

    # Exports and the reform page are linked with the same filter.
    assert "/stats/export/items.xlsx?from=2026-05-01&amp;to=2026-06-30&amp;region=" in page
    assert "/stats/export/report.pdf?from=2026-05-01" in page
    assert "/stats/reform/?from=2026-05-01" in page


def test_the_item_table_flags_a_high_supplement_rate(two_days, june_fifth, logged_in) -> None:
    response = logged_in("supervisor").get("/stats/", PERIOD)
    page = _text(response)
    rows = {r["item_code"]: r for r in response.context["items"]}
    # TREVIEW01: two 补正 requests among six receipts (33 %); TINSTANT01: none.
    assert rows["TREVIEW01"]["supplement_rate"] >= 20
    assert 'data-testid="unclear-TREVIEW01"' in page
    assert rows["TINSTANT01"]["supplement_rate"] == 0
    assert 'data-testid="unclear-TINSTANT01"' not in page
    assert page.count("指南可能不清晰") == 1 + sum(1 for r in rows.values() if r["unclear_guide"])


def test_the_dashboard_is_a_bounded_number_of_queries(
    two_days, june_fifth, logged_in, django_assert_max_num_queries
) -> None:
    client = logged_in("supervisor")
    _make_red()
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/stats/", PERIOD)
    assert response.status_code == 200
    # A long period (read from the month tables) costs no more.
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get("/stats/", {"from": "2025-07-01", "to": "2026-06-30"})
    assert response.status_code == 200
    assert response.context["figures"]["granularity"] == "month"
    client.logout()
    approver = logged_in("approver-yy-shichang")
    with django_assert_max_num_queries(MAX_QUERIES):
        response = approver.get("/stats/", PERIOD)
    assert response.status_code == 200


def test_the_approver_sees_only_their_department(two_days, june_fifth, logged_in) -> None:
    client = logged_in("approver-yy-shichang")
    shichang = Department.objects.get(code="yy-shichang")
    response = client.get("/stats/", PERIOD)
    assert response.status_code == 200
    page = _text(response)
    own = Case.objects.filter(department=shichang)
    assert int(_value(page, "received")) == own.count()
    assert int(_value(page, "backlog")) == own.filter(state__in=OPEN_STATES).count()
    assert f"{shichang.name} · 统计（部门视图）" in page
    assert 'data-testid="filter-region"' not in page  # the department is the scope
    other = Department.objects.get(code="yy-minzheng")
    refused = client.get("/stats/", {**PERIOD, "department": str(other.pk)})
    assert refused.status_code == 403
    assert "您只能查看本部门的统计数据" in _text(refused)
    assert client.get("/stats/warnings/", {"department": str(other.pk)}).status_code == 403


def test_a_citizen_is_refused_and_an_anonymous_visitor_must_sign_in(demo, client, logged_in):
    anonymous = client.get("/stats/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert client.get("/stats/warnings/").status_code == 302
    citizen = logged_in("citizen")
    refused = citizen.get("/stats/")
    assert refused.status_code == 403
    assert "只有效能监督人员和部门人员可以查看统计数据" in _text(refused)
    assert citizen.get("/stats/warnings/").status_code == 403


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-13-01"}, "起始日期格式应为 YYYY-MM-DD"),
        ({"from": "2026-06-10", "to": "2026-06-01"}, "起始日期不能晚于截止日期"),
        ({"region": "999999"}, "行政区划“999999”不存在"),
        ({"department": "abc"}, "部门“abc”不存在"),
    ],
)
def test_bad_input_is_a_400_page_with_the_chinese_message(demo, logged_in, params, message):
    client = logged_in("supervisor")
    response = client.get("/stats/", params)
    assert response.status_code == 400
    page = _text(response)
    assert message in page
    assert 'data-testid="stats-filter"' in page  # the form is still there to correct
    assert "data-tb-stats-chart" not in page
    warnings = client.get("/stats/warnings/", params)
    assert warnings.status_code == 400
    assert message in _text(warnings)


def test_the_default_period_is_the_last_thirty_days(demo, logged_in) -> None:
    with time_machine.travel(shanghai(2026, 6, 5), tick=True):
        response = logged_in("supervisor").get("/stats/")
    assert response.status_code == 200
    page = _text(response)
    assert 'value="2026-05-07"' in page
    assert 'value="2026-06-05"' in page
    assert int(_value(page, "received")) == 0


def test_warnings_list_a_red_case_first_and_link_to_its_case_page(
    two_days, logged_in, monkeypatch
) -> None:
    client = logged_in("supervisor")
    red = _make_red()
    # Two more cases under review, due the next day (yellow; the tie goes by id).
    received = Case.objects.filter(state=CaseState.RECEIVED)
    assert received.update(state=CaseState.IN_REVIEW, promised_due=datetime.date(2026, 6, 9)) == 2
    others = Case.objects.filter(state=CaseState.IN_REVIEW).exclude(pk=red.pk)
    link = reverse("cases:case_detail", args=[red.case_no])
    with time_machine.travel(shanghai(2026, 6, 8), tick=True):
        dashboard = _text(client.get("/stats/", PERIOD))
        response = client.get("/stats/warnings/", PERIOD)
        assert response.status_code == 200
        rows = response.context["listing"]["results"]
        assert rows[0]["case_no"] == red.case_no
        assert rows[0]["level"] == "red"
        assert all(r["level"] == "yellow" for r in rows[1:])
        page = _text(response)
        first_row = page.index('data-testid="warning-row"')
        assert page.index(f'href="{link}"') > first_row
        assert page.index('data-level="red"') == page.index("data-level=")  # red first
        detail = client.get(link)
        assert detail.status_code == 200
        assert red.case_no in _text(detail)
        assert _value(dashboard, "red") == "1"
        assert f'href="{link}"' in dashboard

        # Only red; then keyset paging, one case a page, gives the same list.
        reds = client.get("/stats/warnings/", {**PERIOD, "level": "red"}).context["listing"]
        assert [r["case_no"] for r in reds["results"]] == [red.case_no]
        whole = [r["case_no"] for r in rows]
        assert whole[1:] == list(others.order_by("pk").values_list("case_no", flat=True))
        monkeypatch.setattr("tongban.stats.views.PAGE_SIZE", 1)
        seen: list[str] = []
        url: str | None = "?" + "&".join(f"{k}={v}" for k, v in PERIOD.items())
        while url:
            following = client.get("/stats/warnings/" + url)
            assert following.status_code == 200
            assert len(following.context["listing"]["results"]) == 1
            seen += [r["case_no"] for r in following.context["listing"]["results"]]
            url = following.context["next_url"]
        assert seen == whole
        assert client.get("/stats/warnings/", {"after": "nonsense"}).status_code == 400
        assert client.get("/stats/warnings/", {"level": "green"}).status_code == 400


def test_the_homes_link_to_the_dashboard(demo, client, logged_in) -> None:
    for username in ("supervisor", "approver-yy-shichang"):
        client.logout()
        home = logged_in(username).get("/", follow=True)
        assert 'data-testid="home-stats"' in _text(home)
        assert f'href="{reverse("stats:dashboard")}"' in _text(home)
