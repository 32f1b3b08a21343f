"""Every demo role logs in through the Chinese login page and lands on its own home page;
nobody sees another role's page."""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.core.demo import DEMO_PASSWORD, DEPARTMENTS
from tongban.core.models import Department, Role

ROLE_LANDINGS = [
    ("citizen", "citizen", "个人办事"),
    ("company", "company", "企业办事"),
    ("clerk", "clerk", "综合窗口受理"),
    ("approver-yy-gongan", "approver", "部门审批"),
    ("catalog", "catalog_admin", "事项梳理"),
    ("supervisor", "supervisor", "效能监督"),
    ("hotline", "hotline", "12345热线工单"),
    ("sysadmin", "sysadmin", "系统管理"),
]


@pytest.mark.django_db
def test_login_page_is_chinese(client: Client) -> None:
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in html
    assert "登录通办" in html


@pytest.mark.parametrize(("username", "role", "heading"), ROLE_LANDINGS)
def test_each_role_lands_on_its_home(
    client: Client, demo, username: str, role: str, heading: str
) -> None:
    response = client.post(
        "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/home/{role}/"
    html = response.content.decode()
    assert heading in html
    assert Role(role).label in html  # the role switcher names the role


def test_wrong_password_shows_a_chinese_error(client: Client, demo) -> None:
    response = client.post("/accounts/login/", {"username": "clerk", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_other_roles_home_is_forbidden_with_a_chinese_page(logged_in) -> None:
    client = logged_in("citizen")
    response = client.get("/home/supervisor/")
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client: Client) -> None:
    response = client.get("/home/clerk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_unknown_page_is_a_chinese_404(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_every_demo_department_has_its_own_approver(logged_in, persona) -> None:
    for department in DEPARTMENTS:
        approver = persona(f"approver-{department.code}")
        assert approver.has_role(Role.APPROVER)
        own = Department.objects.get(code=department.code)
        assert approver.has_perm("core.approve_for_department", own)


def test_approver_cannot_act_for_another_department(persona) -> None:
    police = persona("approver-yy-gongan")
    health = Department.objects.get(code="yy-weijian")
    assert not police.has_perm("core.approve_for_department", health)


def test_supervisor_scope_is_their_region(persona) -> None:
    from tongban.core.models import Region

    supervisor = persona("supervisor")  # 岳阳市
    assert supervisor.has_perm("core.supervise_region", Region.objects.get(code="430626"))
    assert not supervisor.has_perm("core.supervise_region", Region.objects.get(code="430100"))


def test_sysadmin_home_warns_when_next_years_holidays_are_missing(logged_in) -> None:
    # Demo data covers 2004–2026 from chinesecalendar; the tests run with today in 2026 or later.
    client = logged_in("sysadmin")
    html = client.get("/home/sysadmin/").content.decode()
    assert "节假日安排尚未导入" in html


def test_home_page_query_count(logged_in, django_assert_max_num_queries) -> None:
    client = logged_in("approver-yy-gongan")
    with django_assert_max_num_queries(13):  # + the 12345 ticket counts
        response = client.get("/home/approver/")
    assert response.status_code == 200


def test_due_date_widget_renders_a_result_and_errors(logged_in) -> None:
    client = logged_in("clerk")
    ok = client.get("/tools/due-date/", {"start": "2026-09-30", "days": "1", "unit": "workday"})
    assert "2026年10月8日" in ok.content.decode()
    bad = client.get("/tools/due-date/", {"start": "yesterday", "days": "1"})
    assert "请填写有效的起算日期" in bad.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-09-30", "days": "-1"},
        {"start": "2026-09-30", "days": "3651"},
        {"start": "2026-09-30", "days": "1", "unit": "hours"},
    ],
)
def test_due_date_widget_rejects_out_of_range_input(logged_in, params) -> None:
    response = logged_in("clerk").get("/tools/due-date/", params)
    assert response.status_code == 200
    assert "请填写有效的起算日期和0至3650之间的天数" in response.content.decode()


def test_server_error_page_is_chinese_html_or_api_json(rf) -> None:
    from tongban.core.error_views import server_error

    page = server_error(rf.get("/home/clerk/"))
    assert page.status_code == 500
    assert "系统繁忙" in page.content.decode()
    api = server_error(rf.get("/api/v1/me"))
    assert api.status_code == 500
    assert api["Content-Type"] == "application/json"
    assert api.content.decode() == '{"error": "server_error", "detail": "系统繁忙"}'
