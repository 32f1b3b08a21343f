"""政务公开 page: no login, monthly totals and per-department figures equal direct counts over
the cases, nothing personal on the page, bad input a Chinese 400, bounded queries."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse

from tongban.cases.models import Application, Case
from tongban.core.models import Department

from .case_helpers import shanghai


def _get(client, **params: str):
    with time_machine.travel(shanghai(2026, 6, 5), tick=True):
        return client.get(reverse("stats:public"), params)


def _cell(html: str, attribute: str, value: str) -> list[str]:
    row = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert row is not None, value
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1])]


def test_anonymous_sees_monthly_and_department_figures_equal_to_direct_counts(
    two_days, client, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(8):
        response = _get(client, year="2026")
    assert response.status_code == 200
    html = response.content.decode()
    june = _cell(html, "data-month", "2026-06")
    received = Case.objects.filter(received_at__year=2026, received_at__month=6).count()
    completed = Case.objects.filter(decided_at__isnull=False, accepted_on__isnull=False).count()
    assert received > 0
    assert completed > 0
    assert june[1:3] == [str(received), str(completed)]
    assert june[3].endswith("%")
    assert _cell(html, "data-month", "2026-05")[1:3] == ["0", "0"]
    shichang = Department.objects.get(code="yy-shichang")
    row = _cell(html, "data-department", "yy-shichang")
    assert row[0] == shichang.name
    assert row[1] == str(Case.objects.filter(department=shichang).count())
    assert row[2] == str(
        Case.objects.filter(
            department=shichang, decided_at__isnull=False, accepted_on__isnull=False
        ).count()
    )
    assert 'href="/feedback/public/"' in html


def test_a_month_narrows_the_department_figures(two_days, client) -> None:
    may = _get(client, year="2026", month="5").content.decode()
    assert "2026年5月" in may
    assert 'data-department="yy-shichang"' not in may
    june = _get(client, year="2026", month="6").content.decode()
    assert 'data-department="yy-shichang"' in june


def test_nothing_personal_on_the_page(two_days, client) -> None:
    html = _get(client).content.decode()
    for case_no in Case.objects.values_list("case_no", flat=True):
        assert case_no not in html
    for number in Application.objects.filter(number__isnull=False).values_list("number", flat=True):
        assert number not in html
    for name in Application.objects.values_list("applicant_name", flat=True):
        if name:
            assert name not in html


@pytest.mark.parametrize(
    "params", [{"year": "abc"}, {"year": "1999"}, {"year": "2026", "month": "13"}]
)
def test_bad_year_or_month_is_a_chinese_400(params, demo, client) -> None:
    response = _get(client, **params)
    assert response.status_code == 400
    assert "年份应为" in response.content.decode()
