"""Statistics exports: the CSV and Excel tables hold the numbers a direct count over the cases
gives, in Chinese, safe to open in a spreadsheet; the monthly PDF report is a real PDF for the
month; each role gets only its scope."""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pypdf import PdfReader

from tongban.cases import notice_pdf
from tongban.cases.enums import OPEN_STATES, CaseState
from tongban.cases.models import Case
from tongban.core.models import Department
from tongban.stats.exports import MAX_ROWS, neutralise

from .case_helpers import shanghai

PERIOD = {"from": "2026-05-01", "to": "2026-06-30"}
BOM = "\ufeff".encode()


def _export(client: Client, table: str, fmt: str, **params: str) -> Any:
    url = reverse("stats:export", kwargs={"table": table, "fmt": fmt})
    with time_machine.travel(shanghai(2026, 6, 5), tick=True):
        return client.get(url, {**PERIOD, **params})


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(BOM)
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx(response: Any) -> tuple[Any, list[str], list[list[Any]]]:
    assert response.status_code == 200, response.content.decode()
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return sheet, [str(h) for h in rows[3]], rows[4:]


def _filename(response: Any) -> str:
    disposition = response["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition
    return unquote(disposition.split("filename*=UTF-8''")[1])


def test_series_csv_adds_up_to_the_cases_and_opens_in_excel(two_days, logged_in) -> None:
    client = logged_in("supervisor")
    response = _export(client, "series", "csv")
    rows = _csv(response)
    assert list(rows[0]) == ["日期", "收件量", "受理量", "办结量"]
    assert len(rows) == 61  # a row for every day of May and June
    assert sum(int(r["收件量"]) for r in rows) == Case.objects.count()
    by_day = {r["日期"]: r for r in rows}
    accepted_1 = Case.objects.filter(accepted_on=datetime.date(2026, 6, 1)).count()
    assert accepted_1
    assert int(by_day["2026-06-01"]["受理量"]) == accepted_1
    assert (
        sum(int(r["办结量"]) for r in rows)
        == Case.objects.filter(decided_at__isnull=False, accepted_on__isnull=False).count()
    )
    assert _filename(response) == "统计_每日收件受理办结_2026-05-01_2026-06-30.csv"


def test_items_xlsx_has_chinese_headers_the_filter_and_counts_per_item(two_days, logged_in) -> None:
    response = _export(logged_in("supervisor"), "items", "xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert _filename(response) == "统计_分事项_2026-05-01_2026-06-30.xlsx"
    sheet, headers, rows = _xlsx(response)
    assert sheet.title == "分事项"
    assert "统计期间：2026-05-01 至 2026-06-30" in sheet["A2"].value
    assert "岳阳市" in sheet["A2"].value  # the supervisor's region, named
    assert headers[:5] == ["事项编码", "事项名称", "收件量", "受理量", "办结量"]
    assert "按承诺时限办结率(%)" in headers
    assert all(sheet.cell(4, col).font.b for col in range(1, len(headers) + 1))
    assert sheet.column_dimensions["B"].width >= 10
    received = {row[0]: row[2] for row in rows}
    direct = Counter(Case.objects.values_list("item_code", flat=True))
    assert received == dict(direct)
    accepted = {row[0]: row[3] for row in rows if row[3]}
    assert accepted == dict(
        Counter(Case.objects.filter(accepted_on__isnull=False).values_list("item_code", flat=True))
    )


def test_channels_and_summary_match_the_cases(two_days, logged_in) -> None:
    client = logged_in("supervisor")
    channels = {r["渠道"]: int(r["收件量"]) for r in _csv(_export(client, "channels", "csv"))}
    assert channels == {
        "网站": Case.objects.filter(application__channel="web").count(),
        "移动端": Case.objects.filter(application__channel="mobile").count(),
    }
    summary = {r["指标"]: r for r in _csv(_export(client, "summary", "csv"))}
    assert int(summary["收件量"]["数值"]) == Case.objects.count()
    assert int(summary["在办量"]["数值"]) == Case.objects.filter(state__in=OPEN_STATES).count()
    assert summary["办结率"]["单位"] == summary["按承诺时限办结率"]["单位"] == "%"
    assert summary["平均办理用时"]["单位"] == "工作日"
    assert "÷" in summary["办结率"]["口径"]
    assert summary["红牌"]["数据来源"]


def test_backlog_neutralises_a_formula_like_department_name(two_days, logged_in) -> None:
    department = Case.objects.filter(state__in=OPEN_STATES).order_by("pk")[0].department
    evil = '=HYPERLINK("http://evil.example","点我")'
    Department.objects.filter(pk=department.pk).update(name=evil)
    client = logged_in("supervisor")

    rows = _csv(_export(client, "backlog", "csv"))
    names = {r["部门"]: r for r in rows}
    assert "'" + evil in names
    assert evil not in names
    open_cases = Case.objects.filter(department=department, state__in=OPEN_STATES)
    assert int(names["'" + evil]["在办量"]) == open_cases.count()
    assert sum(int(r["在办量"]) for r in rows) == Case.objects.filter(state__in=OPEN_STATES).count()

    sheet, headers, _ = _xlsx(_export(client, "backlog", "xlsx"))
    assert headers[:2] == ["部门", "在办量"]
    cell = next(
        sheet.cell(r, 1) for r in range(5, sheet.max_row + 1) if sheet.cell(r, 1).value == evil
    )
    assert cell.data_type == "s"  # text, not a formula
    assert cell.quotePrefix
    assert [neutralise(t) for t in ("+1", "-x", "@a")] == ["'+1", "'-x", "'@a"]
    assert neutralise("岳阳") == "岳阳"


def test_warnings_export_lists_every_warned_case(two_days, logged_in) -> None:
    reviewing = list(Case.objects.filter(state=CaseState.IN_REVIEW).order_by("pk"))
    assert reviewing
    Case.objects.filter(pk=reviewing[0].pk).update(promised_due=datetime.date(2026, 6, 2))
    rows = _csv(_export(logged_in("supervisor"), "warnings", "csv"))
    assert rows[0]["办件编号"] == reviewing[0].case_no
    assert rows[0]["预警"] == "红牌"
    assert rows[0]["承诺办结日期"] == "2026-06-02"
    warned = Case.objects.filter(
        state=CaseState.IN_REVIEW, promised_due__lte=datetime.date(2026, 6, 9)
    )
    assert {r["办件编号"] for r in rows} <= set(Case.objects.values_list("case_no", flat=True))
    assert 1 <= len(rows) <= warned.count() <= MAX_ROWS


def test_the_approver_exports_only_their_department(two_days, logged_in) -> None:
    shichang = Department.objects.get(code="yy-shichang")
    client = logged_in("approver-yy-shichang")
    rows = _csv(_export(client, "series", "csv"))
    assert sum(int(r["收件量"]) for r in rows) == Case.objects.filter(department=shichang).count()
    backlog = _csv(_export(client, "backlog", "csv"))
    assert {r["部门"] for r in backlog} <= {shichang.name}
    items = _csv(_export(client, "items", "csv"))
    assert {r["事项编码"] for r in items} == set(
        Case.objects.filter(department=shichang).values_list("item_code", flat=True)
    )
    other = Department.objects.get(code="yy-minzheng")
    refused = _export(client, "items", "csv", department=str(other.pk))
    assert refused.status_code == 403
    assert "本部门" in refused.content.decode()


def test_refusals_citizen_bad_table_bad_filter_anonymous(demo, client, logged_in) -> None:
    anonymous = _export(client, "series", "csv")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]

    supervisor = logged_in("supervisor")
    assert _export(supervisor, "nope", "csv").status_code == 404
    assert _export(supervisor, "series", "pdf").status_code == 404
    bad = _export(supervisor, "series", "csv", **{"from": "2026-13-01"})
    assert bad.status_code == 400
    assert "起始日期格式应为 YYYY-MM-DD" in bad.content.decode()
    supervisor.logout()

    citizen = logged_in("citizen")
    assert _export(citizen, "series", "xlsx").status_code == 403
    assert citizen.get(reverse("stats:report"), {"month": "2026-05"}).status_code == 403


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "".join((page.extract_text() or "") for page in reader.pages).replace(" ", "")


def test_monthly_report_is_a_pdf_for_the_month(two_days, logged_in) -> None:
    client = logged_in("supervisor")
    with time_machine.travel(shanghai(2026, 6, 5), tick=True):
        response = client.get(reverse("stats:report"), {"month": "2026-06"})
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "2026-06_月度政务服务效能报告.pdf" in _filename(response)
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 1
    assert reader.metadata is not None
    assert reader.metadata.title == "岳阳市2026年6月月度政务服务效能报告"
    text = _text(response.content)
    assert "2026年6月" in text
    for heading in ("主要指标", "每日收件、受理、办结", "各部门在办量", "收件渠道分布"):
        assert heading in text
    assert "红黄牌预警" in text
    assert "12345" in text
    assert "100.00件" not in text  # rates carry %, not 件
    # The items table names the items and the received count of the busiest one.
    busiest, _ = Counter(Case.objects.values_list("item_name", flat=True)).most_common(1)[0]
    assert busiest[:6] in text


def test_monthly_report_defaults_to_last_month_and_refuses_bad_months(two_days, logged_in) -> None:
    client = logged_in("approver-yy-shichang")
    url = reverse("stats:report")
    with time_machine.travel(shanghai(2026, 7, 2), tick=True):
        default = client.get(url)
        for bad in ("2026-13", "June", "2026-6", "2026-08"):
            refused = client.get(url, {"month": bad})
            assert refused.status_code == 400, bad
            assert "月份" in refused.content.decode()
    assert default.status_code == 200
    reader = PdfReader(io.BytesIO(default.content))
    assert reader.metadata is not None
    shichang = Department.objects.get(code="yy-shichang")
    assert reader.metadata.title == f"{shichang.name}2026年6月月度政务服务效能报告"


def test_monthly_report_without_a_chinese_font_is_a_503_page(
    demo, logged_in, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.TONGBAN_PDF_FONT = ""
    monkeypatch.setattr(notice_pdf, "_font_cache", {})
    monkeypatch.setattr(notice_pdf, "_package_font", lambda: None)
    monkeypatch.setattr(notice_pdf, "SYSTEM_FONT_PATHS", ())
    monkeypatch.setattr(notice_pdf, "_fc_list_fonts", list)
    response = logged_in("supervisor").get(reverse("stats:report"), {"month": "2026-05"})
    assert response.status_code == 503
    body = response.content.decode()
    assert "中文字体" in body
    assert "fonts-noto-cjk" in body
