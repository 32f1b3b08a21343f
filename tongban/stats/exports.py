"""The dashboard's tables as downloads: each table is a title, Chinese column headers and rows,
built from the same functions the dashboard and API use (no statistics query of its own), then written
as CSV (UTF-8 with BOM, so Excel reads the Chinese) or as an Excel workbook.

Text cells come from names people typed (departments, items); a cell that starts like a
formula (= + - @) is neutralised: prefixed with ' in CSV, stored as quoted text in the workbook.

The monthly report's figures are gathered here too (`gather_report`), from the same functions;
`report_pdf` only lays them out.
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from tongban.cases.enums import OPEN_STATES, CaseState, WarningLevel
from tongban.catalog.models import Bundle
from tongban.core.models import Department, Region

from .definitions import DEFINITIONS
from .filters import StatsFilter
from .items import item_figures
from .overview import backlog_by_department, channel_mix, flow_rows, overview, series
from .overview import series_by_month as by_month
from .panels import rating_panel, ticket_panel
from .warnings import MAX_PAGE_SIZE, warning_list

Cell = str | int | Decimal | datetime.date | None

REPORT_TITLE = "月度政务服务效能报告"
TOP_ITEMS = 10  # items in the monthly report
MAX_ROWS = 10_000  # the most rows one export writes (warnings, items, departments)
FORMATS = ("csv", "xlsx")
CSV_BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XLSX_FIRST_ROW = 4  # row 1 title, row 2 filter, row 3 blank, row 4 headers


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text | int | number | rate (a percentage) | days (one decimal) | date


@dataclass(frozen=True)
class Table:
    key: str
    title: str  # also the Chinese part of the file name
    columns: list[Column]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)  # e.g. "warnings are as of today"


# ---------------------------------------------------------------------------------------------
# What the filter is, in words


def filter_lines(stats: StatsFilter) -> list[tuple[str, str]]:
    """(label, value) pairs stating the filter: period, region, department, bundle."""
    region = "全部（本人权限范围）"
    if stats.region:
        name = Region.objects.filter(code=stats.region).values_list("name", flat=True).first()
        region = f"{name or stats.region}（{stats.region}）及下级"
    department = "全部"
    if stats.department is not None:
        found = Department.objects.filter(pk=stats.department).values_list("name", flat=True)
        department = found.first() or str(stats.department)
    bundle = "全部"
    if stats.bundle:
        found_bundle = Bundle.objects.select_related("published").filter(code=stats.bundle).first()
        bundle = str(found_bundle) if found_bundle else stats.bundle
    period = f"{stats.date_from.isoformat()} 至 {stats.date_to.isoformat()}"
    return [("统计期间", period), ("行政区划", region), ("部门", department), ("一件事", bundle)]


def filter_text(stats: StatsFilter) -> str:
    return "；".join(f"{label}：{value}" for label, value in filter_lines(stats))


# ---------------------------------------------------------------------------------------------
# The tables, one function each


def _rate(key: str) -> Column:
    return Column(f"{DEFINITIONS[key].label}(%)", "rate")


def series_table(stats: StatsFilter, today: datetime.date) -> Table:
    monthly = by_month(stats)
    points = series(flow_rows(stats, ("day", "flow")), stats)
    return Table(
        "series",
        "每月收件受理办结" if monthly else "每日收件受理办结",
        [
            Column("月份" if monthly else "日期"),
            *(Column(h, "int") for h in ("收件量", "受理量", "办结量")),
        ],
        [[p["date"], p["received"], p["accepted"], p["completed"]] for p in points],
    )


def backlog_table(stats: StatsFilter, today: datetime.date) -> Table:
    states = [s.label for s in CaseState if s in OPEN_STATES]
    departments = backlog_by_department(stats, limit=MAX_ROWS)
    return Table(
        "backlog",
        "部门在办",
        [Column("部门"), Column("在办量", "int"), *(Column(s, "int") for s in states)],
        [[d["name"], d["open"], *(d["by_state"].get(s, 0) for s in states)] for d in departments],
        [f"在办量为导出时（{today.isoformat()}）的当前数，不受统计期间影响"],
    )


def channels_table(stats: StatsFilter, today: datetime.date) -> Table:
    channels = channel_mix(flow_rows(stats, ("flow", "channel")))
    return Table(
        "channels",
        "渠道",
        [Column("渠道"), Column("收件量", "int"), Column("占比(%)", "rate")],
        [[c["label"], c["received"], c["share"]] for c in channels],
    )


def items_table(stats: StatsFilter, today: datetime.date) -> Table:
    keys = ("on_time_rate_promised", "supplement_rate", "refusal_rate", "denial_rate")
    return Table(
        "items",
        "分事项",
        [
            Column("事项编码"),
            Column("事项名称"),
            *(Column(h, "int") for h in ("收件量", "受理量", "办结量")),
            Column("平均办理用时(工作日)", "days"),
            Column("90%办件用时(工作日)", "int"),
            *(_rate(key) for key in keys),
        ],
        [
            [
                i["item_code"],
                i["name"],
                i["received"],
                i["accepted"],
                i["completed"],
                i["average_working_days"],
                i["p90_working_days"],
                *(i[key] for key in keys),
            ]
            for i in item_figures(stats, limit=MAX_ROWS)
        ],
    )


def warned_cases(stats: StatsFilter, today: datetime.date) -> tuple[list[dict[str, Any]], bool]:
    """Every warned case (most overdue first) up to MAX_ROWS; True when there were more."""
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        page = warning_list(stats, today, limit=MAX_PAGE_SIZE, after=after)
        rows.extend(page["results"])
        after = page["next"]
        if after is None:
            return rows, False
        if len(rows) >= MAX_ROWS:
            return rows[:MAX_ROWS], True


def warnings_table(stats: StatsFilter, today: datetime.date) -> Table:
    cases, truncated = warned_cases(stats, today)
    notes = [f"红黄牌为 {today.isoformat()} 的实时数据，不受统计期间影响"]
    if truncated:
        notes.append(f"预警办件超过 {MAX_ROWS} 件，仅导出最超期的前 {MAX_ROWS} 件")
    return Table(
        "warnings",
        "红黄牌",
        [
            Column("预警"),
            Column("办件编号"),
            Column("事项编码"),
            Column("事项名称"),
            Column("办理部门"),
            Column("受理日期", "date"),
            Column("承诺办结日期", "date"),
            Column("法定办结日期", "date"),
            Column("超期工作日", "int"),
        ],
        [
            [
                WarningLevel(c["level"]).label,
                c["case_no"],
                c["item_code"],
                c["item_name"],
                c["department"],
                c["accepted_on"],
                c["promised_due"],
                c["statutory_due"],
                c["overdue_working_days"],
            ]
            for c in cases
        ],
        notes,
    )


def _unit(key: str) -> str:
    if "_rate" in key:
        return "%"
    return "工作日" if key.endswith("working_days") else "件"


def summary_table(stats: StatsFilter, today: datetime.date) -> Table:
    figures = overview(stats, today)
    values = {**figures["totals"], **figures["warnings"]}
    return Table(
        "summary",
        "总览",
        [
            Column("指标"),
            Column("数值", "number"),
            Column("单位"),
            Column("口径"),
            Column("数据来源"),
        ],
        [
            [d.label, values.get(key), _unit(key), d.formula, d.source]
            for key, d in DEFINITIONS.items()
        ],
        [f"在办量与红黄牌为 {today.isoformat()} 的当前数，不受统计期间影响"],
    )


TABLES: dict[str, Callable[[StatsFilter, datetime.date], Table]] = {
    "series": series_table,
    "backlog": backlog_table,
    "channels": channels_table,
    "items": items_table,
    "warnings": warnings_table,
    "summary": summary_table,
}


# ---------------------------------------------------------------------------------------------
# Writing


def filename(table: Table, stats: StatsFilter, fmt: str) -> str:
    """统计_分事项_2026-05-01_2026-06-30.xlsx"""
    return f"统计_{table.title}_{stats.date_from.isoformat()}_{stats.date_to.isoformat()}.{fmt}"


def neutralise(text: str) -> str:
    """A cell a spreadsheet would run as a formula, made plain text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def render_csv(table: Table) -> bytes:
    """The header row and the rows (no preamble, so the file imports cleanly), with a BOM."""
    out = io.StringIO()
    out.write(CSV_BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c.header) for c in table.columns])
    writer.writerows([_csv_value(v) for v in row] for row in table.rows)
    return out.getvalue().encode("utf-8")


def _display_width(value: Cell) -> int:
    text = _csv_value(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


_NUMBER_FORMATS = {"rate": "0.00", "days": "0.0", "int": "0", "date": "yyyy-mm-dd"}


def render_xlsx(table: Table, stats: StatsFilter) -> bytes:
    """One sheet named after the table: title, the filter, notes, then a bold header row."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.title[:31]
    sheet.cell(1, 1, f"通办统计 · {table.title}").font = Font(bold=True, size=14)
    sheet.cell(2, 1, "；".join([filter_text(stats), *table.notes]))
    first = _XLSX_FIRST_ROW
    for col, column in enumerate(table.columns, start=1):
        cell = sheet.cell(first, col, column.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, row in enumerate(table.rows, start=first + 1):
        for col, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            cell = sheet.cell(r, col)
            if isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # never a formula, whatever the text starts with
                if value.startswith(_FORMULA_START):
                    cell.quotePrefix = True
            else:
                cell.value = value
                if value is not None and column.kind in _NUMBER_FORMATS:
                    cell.number_format = _NUMBER_FORMATS[column.kind]
    for col, column in enumerate(table.columns, start=1):
        widest = max(
            [_display_width(column.header), *(_display_width(row[col - 1]) for row in table.rows)]
        )
        if column.kind == "date":
            widest = max(widest, 10)
        sheet.column_dimensions[get_column_letter(col)].width = min(max(widest + 2, 8), 60)
    sheet.freeze_panes = sheet.cell(first + 1, 1)
    if table.rows:
        last = get_column_letter(len(table.columns))
        sheet.auto_filter.ref = f"A{first}:{last}{first + len(table.rows)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# The monthly report's figures (laid out by report_pdf)


def month_text(month: datetime.date) -> str:
    return f"{month.year}年{month.month}月"


@dataclass(frozen=True)
class MonthlyReport:
    month: datetime.date
    stats: StatsFilter
    today: datetime.date
    scope: str  # 岳阳市 / 岳阳市市场监督管理局, and the bundle when one is asked for
    filter_lines: list[tuple[str, str]]
    figures: dict[str, Any]  # overview()
    items: list[dict[str, Any]]
    ratings: dict[str, Any]
    tickets: dict[str, Any]

    @property
    def title(self) -> str:
        return f"{self.scope}{month_text(self.month)}{REPORT_TITLE}"


def _scope_name(stats: StatsFilter, lines: dict[str, str]) -> str:
    if stats.department is not None:
        scope = lines["部门"]
    elif stats.region:
        region = Region.objects.filter(code=stats.region).first()
        scope = region.name if region else stats.region
    else:
        scope = "全部区划"
    return f"{scope}（{lines['一件事']}）" if stats.bundle else scope


def gather_report(stats: StatsFilter, month: datetime.date, today: datetime.date) -> MonthlyReport:
    lines = filter_lines(stats)
    return MonthlyReport(
        month=month,
        stats=stats,
        today=today,
        scope=_scope_name(stats, dict(lines)),
        filter_lines=lines,
        figures=overview(stats, today),
        items=item_figures(stats, limit=TOP_ITEMS),
        ratings=rating_panel(stats),
        tickets=ticket_panel(stats),
    )
