"""Statistics downloads: every dashboard table as CSV or Excel, and the monthly PDF report.

Same filter query string as the dashboard (`from`, `to`, `region`, `department`, `bundle`),
narrowed to the user's scope exactly as the dashboard and API are (`filters.scoped`). Errors are
the staff error page in Chinese: a bad filter 400, outside one's scope 403, an unknown table or
format 404, no Chinese font for the PDF 503.

The report's month is `month=YYYY-MM`; without one it is the previous month (the report is
written at the start of a month about the one just ended). The current month may be asked for
and then runs to today; a later month, or a malformed one, is a 400.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tongban.cases.notice_pdf import NoticeFontMissing
from tongban.core.errors import DomainError
from tongban.core.models import User

from .exports import FORMATS, TABLES, filename, gather_report, render_csv, render_xlsx
from .filters import statistics_filter
from .overview import next_month
from .report_pdf import render_report_pdf

View = Callable[..., HttpResponse]
MONTH = re.compile(r"^(\d{4})-(\d{2})$")

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
ERROR_TITLES = {400: "请求有误", 403: "无权查看", 404: "未找到", 503: "暂时无法生成"}
FONT_MISSING = "月度报告需要中文字体，服务器上暂未安装，请联系系统管理员。"


def _error_page(request: HttpRequest, status: int, messages: list[str]) -> HttpResponse:
    context = {
        "status": status,
        "title": ERROR_TITLES.get(status, "无法导出"),
        "errors": messages,
    }
    return render(request, "cases/staff/error.html", context, status=status)


def stats_download(view: View) -> View:
    """Sign-in required; a DomainError becomes the Chinese error page with its status."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NoticeFontMissing as exc:
            return _error_page(request, 503, [FONT_MISSING, str(exc.detail)])
        except DomainError as exc:
            status = exc.status if 400 <= exc.status < 600 else 400
            return _error_page(request, status, [str(exc.detail)])

    return require_GET(login_required(wrapper))


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _download(content: bytes, fmt: str, name: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    # An ASCII fallback for old clients, then the Chinese name (RFC 6266 / RFC 5987).
    fallback = "tongban-stats." + fmt
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = (
        f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def previous_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def parse_month(raw: str | None, today: datetime.date) -> datetime.date:
    """The first day of the month `YYYY-MM`; the previous month when none is given."""
    raw = (raw or "").strip()
    if not raw:
        return previous_month(today)
    found = MONTH.match(raw)
    if not found or not 1 <= int(found[2]) <= 12 or int(found[1]) < 2000:
        raise DomainError("bad_month", "月份格式应为 YYYY-MM，例如 2026-06", 400)
    month = datetime.date(int(found[1]), int(found[2]), 1)
    if month > today.replace(day=1):
        raise DomainError("future_month", "报告月份不能晚于本月", 400)
    return month


def month_params(month: datetime.date, today: datetime.date, params: Any) -> dict[str, str]:
    """Filter parameters for the month (to today for the current month) and the scope asked."""
    end = min(next_month(month) - datetime.timedelta(days=1), today)
    scope = {key: params.get(key) or "" for key in ("region", "department", "bundle")}
    return {"from": month.isoformat(), "to": end.isoformat(), **scope}


@stats_download
def export(request: HttpRequest, table: str, fmt: str) -> HttpResponse:
    """GET /stats/export/<table>.<fmt>: one dashboard table for the filter, as CSV or XLSX."""
    build = TABLES.get(table)
    if build is None or fmt not in FORMATS:
        raise DomainError("not_found", f"没有“{table}.{fmt}”这种统计导出", 404)
    stats = statistics_filter(request.GET, _user(request))
    built = build(stats, timezone.localdate())
    content = render_csv(built) if fmt == "csv" else render_xlsx(built, stats)
    return _download(content, fmt, filename(built, stats, fmt))


@stats_download
def report(request: HttpRequest) -> HttpResponse:
    """GET /stats/export/report.pdf?month=YYYY-MM: the monthly report (default: last month)."""
    user = _user(request)
    today = timezone.localdate()
    month = parse_month(request.GET.get("month"), today)
    stats = statistics_filter(month_params(month, today, request.GET), user)
    monthly = gather_report(stats, month, today)
    content = render_report_pdf(monthly)
    name = f"{monthly.scope}_{month:%Y-%m}_月度政务服务效能报告.pdf"
    return _download(content, "pdf", name, inline=True)
