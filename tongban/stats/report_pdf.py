"""The monthly report (月度政务服务效能报告) a supervisor sends upward: one A4 PDF with the
month's headline figures and their definitions, the daily series, backlog by department, the
channel mix, the busiest items, 红黄牌, ratings and 12345 tickets.

The figures are gathered by `exports.gather_report` from the dashboard's functions for a filter
covering the month; here they are laid out, and the charts drawn with fpdf2's own rectangles, lines and text. Font and Chinese line breaking are the
written notices' (`tongban.cases.notice_pdf`): without a Chinese font `attach_notice_fonts`
raises NoticeFontMissing, which the view turns into a 503 page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from fpdf import FPDF

from tongban.cases.notice_pdf import attach_notice_fonts, chinese_date, printable_text, wrap_text

from .definitions import DEFINITIONS
from .exports import REPORT_TITLE, TOP_ITEMS, MonthlyReport, month_text

TOP_DEPARTMENTS = 12
HEADLINE_KEYS = ["received", "accepted", "completed", "completion_rate", "on_time_rate_promised"]
HEADLINE_KEYS += ["on_time_rate_statutory", "average_working_days", "p90_working_days"]
HEADLINE_KEYS += ["online_rate", "supplement_rate", "refusal_rate", "backlog"]

# Geometry in millimetres (A4 portrait); colours as RGB.
_W, _H = 210.0, 297.0
_L = _R = 18.0
_TOP, _BOTTOM = 18.0, _H - 20.0
_CW = _W - _L - _R
_BASELINE = 0.38  # baseline below a line's middle, in em (CJK glyph box)
_GREY, _LIGHT, _RULE = (110, 110, 110), (236, 239, 243), (200, 200, 200)
_SERIES: tuple[tuple[str, str, tuple[int, int, int]], ...] = (
    ("received", "收件量", (52, 101, 164)),
    ("accepted", "受理量", (230, 145, 56)),
    ("completed", "办结量", (76, 153, 76)),
)
_RED, _YELLOW, _BAR = (200, 30, 30), (222, 160, 0), (52, 101, 164)


def render_report_pdf(report: MonthlyReport) -> bytes:
    """The report as PDF bytes. Raises NoticeFontMissing when no Chinese font is installed."""
    return bytes(_Layout(report).render().output())


def _value(value: Any, unit: str = "") -> str:
    if value is None or value == "":
        return "—"
    return f"{value}{unit}"


def _unit(key: str) -> str:
    if "_rate" in key:
        return "%"
    return " 个工作日" if key.endswith("working_days") else " 件"


def _nice_scale(top: int) -> tuple[int, int]:
    """An axis maximum and step (1, 2 or 5 × 10^n) with about four steps up to `top`."""
    if top <= 0:
        return 4, 1
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, math.ceil(step))
    return step * math.ceil(top / step), step


# ---------------------------------------------------------------------------------------------
# Layout


class _Layout:
    def __init__(self, report: MonthlyReport) -> None:
        self.report = report
        self.pdf = pdf = _FooterFPDF(self, orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(_L, _TOP, _R)
        pdf.c_margin = 0
        self.characters = attach_notice_fonts(pdf)
        self.bold = "noticeb" if "noticeb" in pdf.fonts else "notice"
        self.replaced: set[str] = set()
        self.y = _TOP
        self.sections = 0

    # -- primitives ----------------------------------------------------------------------------

    def font(self, size: float, bold: bool = False, colour: Sequence[int] = (0, 0, 0)) -> None:
        self.pdf.set_font(self.bold if bold else "notice", size=size)
        self.pdf.set_text_color(*colour)

    def measure(self, text: str) -> float:
        return self.pdf.get_string_width(text)

    def wrap(self, text: str, width: float) -> list[str]:
        return wrap_text(printable_text(text, self.characters, self.replaced), width, self.measure)

    def put(
        self, x: float, top: float, height: float, text: str, align: str = "L", w: float = 0.0
    ) -> None:
        """One line of text in the box (x, top, w, height), vertically centred."""
        text = printable_text(text, self.characters, self.replaced)
        if align == "R":
            x += w - self.measure(text)
        elif align == "C":
            x += (w - self.measure(text)) / 2
        self.pdf.text(x, top + height / 2 + _BASELINE * self.pdf.font_size, text)

    def fit(self, text: str, width: float) -> str:
        """The first line of `text` in `width`, with … when it was cut."""
        lines = self.wrap(text, width)
        if len(lines) <= 1:
            return lines[0] if lines else ""
        cut = lines[0]
        while cut and self.measure(cut + "…") > width:
            cut = cut[:-1]
        return cut + "…"

    def new_page(self) -> None:
        self.pdf.add_page()
        self.y = _TOP

    def ensure(self, height: float) -> None:
        if self.y + height > _BOTTOM:
            self.new_page()

    def fill(self, colour: Sequence[int]) -> None:
        self.pdf.set_fill_color(*colour)

    def draw(self, colour: Sequence[int], width: float = 0.2) -> None:
        self.pdf.set_draw_color(*colour)
        self.pdf.set_line_width(width)

    def heading(self, text: str, keep: float) -> None:
        """A numbered section heading, kept on a page with the first `keep` mm after it."""
        self.sections += 1
        numerals = "一二三四五六七八九十"
        self.ensure(12 + keep)
        self.y += 3
        self.font(13, bold=True)
        self.put(_L, self.y, 7, f"{numerals[self.sections - 1]}、{text}")
        self.y += 8

    def note(self, text: str) -> None:
        self.font(8.5, colour=_GREY)
        for line in self.wrap(text, _CW):
            self.ensure(4.5)
            self.put(_L, self.y, 4.5, line)
            self.y += 4.5

    def table(
        self,
        columns: Sequence[tuple[str, float, str]],
        rows: Sequence[Sequence[str]],
        size: float = 9.0,
    ) -> None:
        """Rows under a shaded header; cells wrap; the header repeats on a new page."""
        line_h, pad = size * 0.5, 1.5

        def header() -> None:
            self.font(size, bold=True)
            height = line_h + 2 * pad
            self.fill(_LIGHT)
            self.pdf.rect(_L, self.y, _CW, height, style="F")
            x = _L
            for title, width, align in columns:
                self.put(x + 1, self.y, height, title, align, width - 2)
                x += width
            self.y += height

        self.ensure(2 * (line_h + 2 * pad))
        header()
        for row in rows:
            self.font(size)
            cells = [
                self.wrap(text, width - 2) for text, (_, width, _) in zip(row, columns, strict=True)
            ]
            height = max(len(c) for c in cells) * line_h + 2 * pad
            if self.y + height > _BOTTOM:
                self.new_page()
                header()
                self.font(size)
            x = _L
            for lines, (_, width, align) in zip(cells, columns, strict=True):
                for i, line in enumerate(lines):
                    self.put(x + 1, self.y + pad + i * line_h, line_h, line, align, width - 2)
                x += width
            self.y += height
            self.draw(_RULE)
            self.pdf.line(_L, self.y, _L + _CW, self.y)

    # -- parts ---------------------------------------------------------------------------------

    def render(self) -> FPDF:
        report, pdf = self.report, self.pdf
        pdf.set_title(report.title)
        pdf.set_subject(f"{REPORT_TITLE}：{month_text(report.month)}")
        pdf.set_author(report.scope)
        pdf.set_keywords(f"{report.month:%Y-%m} 政务服务 效能 统计")
        pdf.set_creator("通办 Tongban")
        pdf.set_lang("zh-CN")
        pdf.add_page()
        self.masthead()
        self.headline()
        self.series_chart()
        self.backlog_chart()
        self.channel_chart()
        self.items_table()
        self.warnings_panel()
        self.ratings_and_tickets()
        return pdf

    def masthead(self) -> None:
        report = self.report
        self.font(20, bold=True)
        self.put(_L, self.y, 10, REPORT_TITLE, "C", _CW)
        self.y += 11
        self.font(13)
        self.put(_L, self.y, 7, f"{report.scope} · {month_text(report.month)}", "C", _CW)
        self.y += 9
        self.note("；".join(f"{label}：{value}" for label, value in report.filter_lines))
        self.note(f"生成日期：{chinese_date(report.today)}；数据来源：通办办件统计汇总表与办件表")
        self.y += 1
        self.draw((52, 84, 128), 0.6)
        self.pdf.line(_L, self.y, _L + _CW, self.y)
        self.y += 2

    def headline(self) -> None:
        self.heading("主要指标", 30)
        totals = self.report.figures["totals"]
        rows = [
            [DEFINITIONS[k].label, _value(totals.get(k), _unit(k)), DEFINITIONS[k].formula]
            for k in HEADLINE_KEYS
        ]
        self.table([("指标", 40, "L"), ("本月", 30, "R"), ("口径", _CW - 70, "L")], rows, 8.5)
        self.note("在办量为报告生成时的当前数，不受月份影响。")

    def series_chart(self) -> None:
        points = self.report.figures["series"]
        height = 58.0
        self.heading("每日收件、受理、办结", height + 12)
        x0, x1 = _L + 12, _L + _CW
        legend_y = self.y
        x = x0
        self.font(8.5)
        for _, label, colour in _SERIES:
            self.fill(colour)
            self.pdf.rect(x, legend_y + 1.2, 4, 2.4, style="F")
            self.put(x + 5, legend_y, 5, label)
            x += 8 + self.measure(label)
        top, bottom = self.y + 8, self.y + 8 + height
        peak = max([p[k] for p in points for k, _, _ in _SERIES] + [0])
        axis_max, step = _nice_scale(peak)
        self.font(7.5, colour=_GREY)
        for tick in range(0, axis_max + 1, step):
            y = bottom - (bottom - top) * tick / axis_max
            self.draw(_RULE if tick else _GREY)
            self.pdf.line(x0, y, x1, y)
            self.put(_L, y - 2, 4, str(tick), "R", 10.5)
        slot = (x1 - x0) / max(1, len(points))
        every = max(1, math.ceil(len(points) / 16))
        for i, point in enumerate(points):
            if i % every == 0 or i == len(points) - 1:
                self.put(x0 + i * slot, bottom + 0.5, 4, str(int(point["date"][-2:])), "C", slot)
        for key, _, colour in _SERIES:
            xy = [
                (x0 + (i + 0.5) * slot, bottom - (bottom - top) * p[key] / axis_max)
                for i, p in enumerate(points)
            ]
            self.draw(colour, 0.5)
            if len(xy) > 1:
                self.pdf.polyline(xy)
            self.fill(colour)
            for px, py in xy:
                self.pdf.rect(px - 0.6, py - 0.6, 1.2, 1.2, style="F")
        if not peak:
            self.font(10, colour=_GREY)
            self.put(x0, top, bottom - top, "本月无办件", "C", x1 - x0)
        self.y = bottom + 6
        self.note("横轴为日期（日），纵轴为件数。")

    def bars(self, rows: Sequence[tuple[str, int, str]], colour: Sequence[int]) -> None:
        """Horizontal bars: label, length in proportion to the value, value text."""
        label_w, text_w, bar_h, gap = 52.0, 30.0, 4.5, 2.0
        longest = max([value for _, value, _ in rows] + [1])
        for label, value, text in rows:
            self.ensure(bar_h + gap)
            self.font(8.5)
            self.put(_L, self.y, bar_h, self.fit(label, label_w - 2))
            width = (_CW - label_w - text_w) * value / longest
            self.fill(colour)
            if width > 0:
                self.pdf.rect(_L + label_w, self.y, width, bar_h, style="F")
            self.put(_L + label_w + width + 1.5, self.y, bar_h, text)
            self.y += bar_h + gap

    def backlog_chart(self) -> None:
        departments = self.report.figures["backlog"][:TOP_DEPARTMENTS]
        self.heading("各部门在办量（当前）", 20)
        if not departments:
            self.note("当前没有在办件。")
            return
        self.bars([(d["name"], d["open"], f"{d['open']} 件") for d in departments], _BAR)
        self.note(
            f"按在办量从多到少，最多列 {TOP_DEPARTMENTS} 个部门；在办量为报告生成时的当前数。"
        )

    def channel_chart(self) -> None:
        channels = self.report.figures["channels"]
        self.heading("收件渠道分布", 20)
        if not channels:
            self.note("本月没有收件。")
            return
        rows = [
            (c["label"], c["received"], f"{c['received']} 件（{_value(c['share'], '%')}）")
            for c in channels
        ]
        self.bars(rows, (76, 153, 76))
        online = self.report.figures["totals"].get("online_rate")
        self.note(f"网上办理率 {_value(online, '%')}：{DEFINITIONS['online_rate'].formula}。")

    def items_table(self) -> None:
        items = self.report.items
        self.heading(f"分事项情况（收件量前 {TOP_ITEMS} 项）", 20)
        if not items:
            self.note("本月没有办件。")
            return
        columns: list[tuple[str, float, str]] = [("事项", 62, "L"), ("收件", 15, "R")]
        columns += [("受理", 15, "R"), ("办结", 15, "R")]
        columns += [("平均用时", 20, "R"), ("按期办结率", 24, "R"), ("补正率", _CW - 151, "R")]
        rows = [
            [
                i["name"],
                str(i["received"]),
                str(i["accepted"]),
                str(i["completed"]),
                _value(i["average_working_days"]),
                _value(i["on_time_rate_promised"], "%"),
                _value(i["supplement_rate"], "%"),
            ]
            for i in items
        ]
        self.table(columns, rows)
        self.note("平均用时以工作日计；按期办结率按承诺时限计；补正率偏高说明办事指南不够清楚。")

    def warnings_panel(self) -> None:
        counts = self.report.figures["warnings"]
        self.heading(f"红黄牌预警（截至{chinese_date(self.report.today)}）", 22)
        box_w = (_CW - 6) / 2
        for i, (key, colour) in enumerate((("red", _RED), ("yellow", _YELLOW))):
            x = _L + i * (box_w + 6)
            self.draw(colour, 0.6)
            self.pdf.rect(x, self.y, box_w, 14)
            self.font(10, bold=True, colour=colour)
            self.put(x + 3, self.y + 1, 6, DEFINITIONS[key].label)
            self.font(16, bold=True, colour=colour)
            self.put(x, self.y + 1, 12, f"{counts.get(key, 0)} 件", "R", box_w - 3)
            self.font(7.5, colour=_GREY)
            self.put(x + 3, self.y + 7.5, 5, self.fit(DEFINITIONS[key].formula, box_w - 30))
        self.y += 17

    def ratings_and_tickets(self) -> None:
        r, t = self.report.ratings, self.report.tickets
        self.heading("好差评与 12345 热线工单", 30)
        rating_rows = [
            ("评价数", _value(r.get("ratings"), " 条")),
            ("满意率", _value(r.get("satisfaction_rate"), "%")),
            ("差评数", _value(r.get("bad"), " 条")),
            ("差评整改率", _value(r.get("rectification_rate"), "%")),
            ("回访率", _value(r.get("follow_up_rate"), "%")),
        ]
        ticket_rows = [
            ("承办量", _value(t.get("undertaken"), " 件")),
            ("办结率", _value(t.get("closed_rate"), "%")),
            ("按期办结率", _value(t.get("on_time_rate"), "%")),
            ("回访数", _value(t.get("followed_up"), " 件")),
            ("满意率", _value(t.get("satisfaction_rate"), "%")),
        ]
        half = _CW / 2
        columns: list[tuple[str, float, str]] = [("好差评", half - 26, "L"), ("本月", 26, "R")]
        columns += [("12345 工单", half - 26, "L"), ("本月", 26, "R")]
        self.table(columns, [[*a, *b] for a, b in zip(rating_rows, ticket_rows, strict=True)])

    def page_end(self) -> None:
        pdf = self.pdf
        y = _H - 15
        self.draw(_RULE)
        pdf.line(_L, y, _L + _CW, y)
        self.font(8, colour=_GREY)
        self.put(_L, y + 1, 5, f"通办 · {self.report.title}")
        self.put(_L, y + 1, 5, f"第 {pdf.page_no()} 页", "R", _CW)
        pdf.set_text_color(0)


class _FooterFPDF(FPDF):
    def __init__(self, layout: _Layout, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layout = layout

    def footer(self) -> None:
        self.layout.page_end()
