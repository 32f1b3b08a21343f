"""Lay out an electronic licence (电子证照) as an A4 PDF with its verification QR code.

The page is a readable copy of the licence, not the proof: what proves it is the signed payload
in the QR code, checked by the public verify page. So the PDF carries everything a person needs
to check it by hand too: the verify address and the full 电子证照标识 in a typewriter face.

Font, line breaking and the date form come from the written-notice layout
(`tongban.cases.notice_pdf`), so both kinds of PDF print Chinese the same way.
"""

from __future__ import annotations

import datetime
import io
import logging
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF

from tongban.cases.notice_pdf import attach_notice_fonts, chinese_date, printable_text, wrap_text
from tongban.licences.qr import QUIET_ZONE, qr_png

logger = logging.getLogger(__name__)

STATUS_VALID = "有效"
# What the banner on page 1 says for each status other than 有效; others get a generic line.
STATUS_BANNERS = {
    "已撤销": "本证照已撤销，不再具有证明效力",
    "已过期": "本证照已超过有效期限，不再具有证明效力",
    "已被新版本替代": "本证照已被新版本替代，请以最新版本为准",
}
FOOTER_NOTE = "本证照为电子证照，可扫描二维码核验真伪"


@dataclass(frozen=True)
class LicenceDocument:
    """What is printed on one version of a licence; built by the licences app from its rows."""

    identifier: str  # 电子证照标识 (GB/T 36904)
    type_name: str  # 出生医学证明, 营业执照, 食品经营许可证 …
    holder_name: str
    holder_id_masked: str  # e.g. 4306**********1234: the PDF is shared, the full number is not
    issuer_name: str
    issued_on: datetime.date
    expires_on: datetime.date | None  # None: 长期
    fields: Sequence[tuple[str, str]]  # the licence face data: (label, value)
    status_label: str  # 有效 / 已撤销 / 已过期 / 已被新版本替代
    version: int
    qr_text: str  # verify URL + "#" + signed payload
    verify_url: str  # printed under the QR so a person can type it
    key_id: str  # the signing key, printed so a verifier knows which public key to use


# ---------------------------------------------------------------------------------------------
# Geometry (points; A4 portrait)

_MM = 72 / 25.4
_PAGE_W, _PAGE_H = 210 * _MM, 297 * _MM
_FRAME_OUTER, _FRAME_INNER = 10 * _MM, 11.6 * _MM  # frame lines' distance from the page edge
_LEFT = _RIGHT = 21 * _MM
_TOP = 22 * _MM
_CONTENT_W = _PAGE_W - _LEFT - _RIGHT
_FOOTER_RULE_Y = _PAGE_H - 21 * _MM
_BOTTOM = _FOOTER_RULE_Y - 4 * _MM  # content never goes lower

_TITLE_SIZE, _HOLDER_SIZE, _TABLE_SIZE, _SMALL_SIZE, _MONO_SIZE = 26, 12, 11, 9, 8.5
_TABLE_LEADING = 1.5
_CELL_PAD_X, _CELL_PAD_Y = 5.0, 4.0
# Baseline below a line's middle, in em: CJK glyphs fill an em box from -0.12 to 0.88 em around
# the baseline; Courier's capitals and digits only reach ~0.6 em.
_CJK_BASELINE, _MONO_BASELINE = 0.38, 0.3

# A phone camera reads printed modules of about 0.33 mm reliably; the QR is sized for that,
# within bounds that leave room for the text under it.
_QR_MODULE = 0.33 * _MM
_QR_MIN, _QR_MAX = 30 * _MM, 46 * _MM
_QR_PNG_SCALE = 8  # pixels per module: sharp edges when a viewer scales the image up

_FRAME_COLOR = (52, 84, 128)
_RED = (200, 30, 30)
_TZ_CHINA = datetime.timezone(datetime.timedelta(hours=8))
_CJK, _CJK_BOLD, _MONO = "notice", "noticeb", "Courier"


def render_licence_pdf(doc: LicenceDocument) -> bytes:
    """The licence as an A4 PDF. Same document, same bytes (dated by the issue date).

    Raises NoticeFontMissing when no Chinese font is installed.
    """
    png = qr_png(doc.qr_text, scale=_QR_PNG_SCALE)
    # Lay out twice: the first pass counts the pages for "共 Y 页" in every footer.
    pages = _LicenceLayout(doc, png, None).render().pages_count
    return bytes(_LicenceLayout(doc, png, pages).render().output())


def _png_width(png: bytes) -> int:
    """Pixel width from the PNG header (IHDR is always the first chunk)."""
    return int(struct.unpack(">I", png[16:20])[0])


def _validity(doc: LicenceDocument) -> str:
    end = chinese_date(doc.expires_on) if doc.expires_on else "长期"
    return f"{chinese_date(doc.issued_on)} 至 {end}"


@dataclass(frozen=True)
class _Line:
    """One line of the closing block, with its own font."""

    text: str
    font: str  # a font key: _CJK, _CJK_BOLD or _MONO
    size: float
    height: float
    grey: bool = False


class _LicenceLayout:
    def __init__(self, doc: LicenceDocument, qr: bytes, total_pages: int | None) -> None:
        self.doc = doc
        self.qr = qr
        self.total_pages = total_pages
        self.replaced: set[str] = set()
        self.pdf = pdf = _HookedFPDF(self, orientation="P", unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(_LEFT, _TOP, _RIGHT)
        pdf.c_margin = 0
        self.characters = attach_notice_fonts(pdf, for_output=total_pages is not None)
        self.bold_key = _CJK_BOLD if _CJK_BOLD in pdf.fonts else _CJK
        self.valid = doc.status_label == STATUS_VALID
        self.y = _TOP

    # -- primitives ----------------------------------------------------------------------------

    def printable(self, text: str) -> str:
        return printable_text(text, self.characters, self.replaced)

    def font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.bold_key if bold else _CJK, size=size)

    def measure(self, text: str) -> float:
        return self.pdf.get_string_width(text)

    def wrap(self, text: str, width: float) -> list[str]:
        """Lines of `text` in the current font (set it first)."""
        return wrap_text(self.printable(text), width, self.measure)

    def wrap_code(self, text: str, width: float) -> tuple[str, list[str]]:
        """Font and lines for an identifier or URL: Courier when it is plain ASCII.

        A typewriter face keeps 0/O and 1/l apart for someone typing it in; wrap_text breaks a
        token wider than the line anywhere, which is what an 80-character identifier needs.
        """
        if text.isascii() and text.isprintable():
            self.pdf.set_font(_MONO, size=_MONO_SIZE)
            return _MONO, wrap_text(text, width, self.measure)
        self.font(_MONO_SIZE)
        return _CJK, self.wrap(text, width)

    def put(self, x: float, line_top: float, line_height: float, text: str) -> None:
        size = self.pdf.font_size_pt
        below = _MONO_BASELINE if self.pdf.font_family == _MONO.lower() else _CJK_BASELINE
        self.pdf.text(x, line_top + line_height / 2 + below * size, text)

    def put_centred(self, line_top: float, line_height: float, text: str) -> None:
        self.put(_LEFT + (_CONTENT_W - self.measure(text)) / 2, line_top, line_height, text)

    def new_page(self, continued: bool = True) -> None:
        self.pdf.add_page()
        self.y = _TOP
        if continued:
            self.continuation_header()

    # -- parts ---------------------------------------------------------------------------------

    def render(self) -> FPDF:
        self.metadata()
        self.new_page(continued=False)
        self.title()
        self.status_banner()
        self.holder()
        self.fields_table()
        self.closing_block()
        if self.replaced and self.total_pages is not None:
            logger.warning(
                "licence %s: the font has no glyph for %s; printed as □",
                self.doc.identifier,
                "".join(sorted(self.replaced)),
            )
        return self.pdf

    def metadata(self) -> None:
        doc, pdf = self.doc, self.pdf
        pdf.set_title(doc.type_name)
        pdf.set_subject(f"电子证照 {doc.identifier}")
        pdf.set_author(doc.issuer_name)
        pdf.set_keywords(doc.identifier)
        pdf.set_creator("通办 Tongban")
        pdf.set_lang("zh-CN")
        # The issue date, not "now": the same licence version always gives the same bytes.
        pdf.set_creation_date(datetime.datetime.combine(doc.issued_on, datetime.time(), _TZ_CHINA))

    def title(self) -> None:
        self.font(_TITLE_SIZE, bold=True)
        lines = self.wrap(self.doc.type_name, _CONTENT_W)
        # Short titles (营业执照) are spaced out, as on paper licences; long ones are not.
        spacing = _TITLE_SIZE * 0.4 if len(lines) == 1 and len(lines[0]) <= 6 else 0.0
        height = _TITLE_SIZE * 1.4
        for line in lines:
            width = self.measure(line) + spacing * (len(line) - 1)
            self.pdf.set_char_spacing(spacing)
            self.put(_LEFT + (_CONTENT_W - width) / 2, self.y, height, line)
            self.pdf.set_char_spacing(0)
            self.y += height
        self.font(_SMALL_SIZE)
        self.pdf.set_text_color(110)
        self.put_centred(self.y, _SMALL_SIZE * 1.6, "电子证照")
        self.pdf.set_text_color(0)
        self.y += _SMALL_SIZE * 1.6 + 5 * _MM

    def status_banner(self) -> None:
        """A red box under the title when the licence no longer proves anything."""
        if self.valid:
            return
        status = self.doc.status_label
        text = STATUS_BANNERS.get(status, f"本证照状态：{status}，不能作为有效证明使用")
        self.font(13, bold=True)
        height = 13 * 1.5
        lines = self.wrap(text, _CONTENT_W - 8 * _MM)
        box = len(lines) * height + 2 * _CELL_PAD_Y
        pdf = self.pdf
        pdf.set_draw_color(*_RED)
        pdf.set_fill_color(253, 236, 236)
        pdf.set_line_width(1.2)
        pdf.rect(_LEFT, self.y, _CONTENT_W, box, style="DF")
        pdf.set_text_color(*_RED)
        top = self.y + _CELL_PAD_Y
        for line in lines:
            self.put_centred(top, height, line)
            top += height
        pdf.set_text_color(0)
        self.y += box + 5 * _MM

    def holder(self) -> None:
        """Holder, validity, status and version: label | value lines under the title."""
        doc = self.doc
        rows = [
            ("持证主体", doc.holder_name),
            ("证件号码", doc.holder_id_masked),
            ("有效期限", _validity(doc)),
            ("证照状态", doc.status_label),
            ("证照版本", f"第 {doc.version} 版"),
        ]
        height = _HOLDER_SIZE * 1.7
        self.font(_HOLDER_SIZE)
        label_w = self.measure("证照版本：") + 2 * _MM
        for label, value in rows:
            self.font(_HOLDER_SIZE)
            lines = self.wrap(value, _CONTENT_W - label_w)
            self.pdf.set_text_color(90)
            self.put(_LEFT, self.y, height, f"{label}：")
            emphasise = label == "证照状态" and not self.valid
            self.pdf.set_text_color(*(_RED if emphasise else (0, 0, 0)))
            self.font(_HOLDER_SIZE, bold=emphasise)
            for line in lines:
                self.put(_LEFT + label_w, self.y, height, line)
                self.y += height
            self.pdf.set_text_color(0)
        self.y += 4 * _MM

    def fields_table(self) -> None:
        """The licence face data as a label | value table; long values wrap and may go over
        pages, where the table heading is repeated."""
        fields = self.doc.fields
        if not fields:
            return
        self.font(_TABLE_SIZE)
        widest = max(self.measure(self.printable(label)) for label, _ in fields)
        label_w = min(max(widest + 2 * _CELL_PAD_X + 1, _CONTENT_W * 0.22), _CONTENT_W * 0.36)
        widths = (label_w, _CONTENT_W - label_w)
        rows = [
            (
                self.wrap(label, widths[0] - 2 * _CELL_PAD_X),
                self.wrap(value, widths[1] - 2 * _CELL_PAD_X),
            )
            for label, value in fields
        ]
        line_h = _TABLE_SIZE * _TABLE_LEADING
        heading_h = line_h + 2 * _CELL_PAD_Y
        first_row_top = self._first_row_top(heading_h)
        fits_fresh = int((_BOTTOM - first_row_top - 2 * _CELL_PAD_Y + 0.01) // line_h)

        def heading() -> None:
            self.table_row((["项目"], ["内容"]), widths, heading_h, heading=True)

        # The heading never stands alone: it needs the first row (or two lines of it) under it.
        first = max(len(cell) for cell in rows[0])
        first_h = (first if first <= fits_fresh else 2) * line_h + 2 * _CELL_PAD_Y
        if self.y + heading_h + first_h > _BOTTOM:
            self.new_page()
        heading()
        for cells in rows:
            while True:
                needed = max(len(cell) for cell in cells)
                fits = int((_BOTTOM - self.y - 2 * _CELL_PAD_Y + 0.01) // line_h)
                at_top = self.y <= first_row_top + 0.01
                # A row that does not fit goes to the next page whole if it fits there; a row
                # longer than a page is split, but never leaving a one-line sliver at the foot.
                if not at_top and fits < needed and (needed <= fits_fresh or fits < 2):
                    self.new_page()
                    heading()
                    continue
                take = max(1, min(needed, fits))
                chunk = (cells[0][:take], cells[1][:take])
                rest = (cells[0][take:], cells[1][take:])
                height = max(len(cell) for cell in chunk) * line_h + 2 * _CELL_PAD_Y
                self.table_row(chunk, widths, height)
                if not any(rest):
                    break
                cells = rest
        self.y += 6 * _MM

    def _first_row_top(self, heading_h: float) -> float:
        return _TOP + self._continuation_header_height() + heading_h

    def table_row(
        self,
        cells: tuple[list[str], list[str]],
        widths: tuple[float, float],
        height: float,
        heading: bool = False,
    ) -> None:
        pdf = self.pdf
        pdf.set_line_width(0.5)
        pdf.set_draw_color(150)
        line_h = _TABLE_SIZE * _TABLE_LEADING
        x = _LEFT
        for column, (lines, width) in enumerate(zip(cells, widths, strict=True)):
            shade = 228 if heading else (245 if column == 0 else 255)
            pdf.set_fill_color(shade)
            pdf.rect(x, self.y, width, height, style="DF")
            self.font(_TABLE_SIZE, bold=heading)
            pdf.set_text_color(0 if heading or column else 60)
            top = self.y + (height - len(lines) * line_h) / 2
            for line in lines:
                if heading:
                    self.put(x + (width - self.measure(line)) / 2, top, line_h, line)
                else:
                    self.put(x + _CELL_PAD_X, top, line_h, line)
                top += line_h
            x += width
        pdf.set_text_color(0)
        self.y += height

    def closing_block(self) -> None:
        """QR code with the verify address and identifier (left), issuer and date (right),
        anchored at the foot of the last page, where a paper licence has its seal."""
        column_w = _CONTENT_W * 0.54
        qr_side, quiet = self.qr_geometry()
        gap = 2.5 * _MM
        left = self.closing_left_lines(column_w)
        right = self.closing_right_lines(_CONTENT_W - column_w - 6 * _MM)
        qr_h = qr_side - 2 * quiet  # the dark part; the white quiet zone may overlap margins
        left_h = qr_h + gap + sum(line.height for line in left)
        right_h = sum(line.height for line in right)
        top = _BOTTOM - max(left_h, right_h)
        if self.y > top:
            self.new_page()
        # Shifted by the quiet zone so the modules, not the white border, line up with the text.
        self.pdf.image(
            io.BytesIO(self.qr),
            _LEFT - quiet,
            top - quiet,
            w=qr_side,
            h=qr_side,
            alt_text="电子证照核验二维码",
        )
        y = top + qr_h + gap
        for line in left:
            self.put_line(_LEFT, y, line)
            y += line.height
        # Issuer and date level with the lower part of the QR code.
        y = top + max(qr_h - right_h, 0)
        block_w = max(self.line_width(line) for line in right)
        block_right = _LEFT + _CONTENT_W - 2 * 13  # two characters in, as GB/T 9704 signs
        for line in right:
            self.put_line(block_right - (block_w + self.line_width(line)) / 2, y, line)
            y += line.height

    def qr_geometry(self) -> tuple[float, float]:
        """Printed side of the QR image and of its quiet zone, in points."""
        modules = _png_width(self.qr) // _QR_PNG_SCALE  # quiet zone included
        side = min(max(modules * _QR_MODULE, _QR_MIN), _QR_MAX)
        return side, side * QUIET_ZONE / modules

    def closing_left_lines(self, width: float) -> list[_Line]:
        """Under the QR: verify address, identifier and signing key, each under a grey label."""
        out: list[_Line] = []
        for label, value in (
            ("核验网址", self.doc.verify_url),
            ("电子证照标识", self.doc.identifier),
            ("签名密钥", self.doc.key_id),
        ):
            if value:
                out.append(_Line(f"{label}：", _CJK, _SMALL_SIZE, _SMALL_SIZE * 1.5, grey=True))
                font, lines = self.wrap_code(value, width)
                out += [_Line(line, font, _MONO_SIZE, _MONO_SIZE * 1.4) for line in lines]
        return out

    def closing_right_lines(self, width: float) -> list[_Line]:
        """发证机关, the issuer's name (wrapped) and the issue date."""
        self.font(15, bold=True)
        issuer = self.wrap(self.doc.issuer_name, width)
        return [
            _Line("发证机关", _CJK, 10, 10 * 1.8, grey=True),
            *(_Line(line, self.bold_key, 15, 15 * 1.6) for line in issuer),
            _Line(chinese_date(self.doc.issued_on), _CJK, 13, 13 * 1.8),
        ]

    def line_width(self, line: _Line) -> float:
        self.pdf.set_font(line.font, size=line.size)
        return self.measure(line.text)

    def put_line(self, x: float, top: float, line: _Line) -> None:
        self.pdf.set_font(line.font, size=line.size)
        self.pdf.set_text_color(90 if line.grey else 0)
        self.put(x, top, line.height, line.text)
        self.pdf.set_text_color(0)

    # -- every page ----------------------------------------------------------------------------

    def _continuation_header_height(self) -> float:
        return _HOLDER_SIZE * 1.6 + 4 * _MM

    def continuation_header(self) -> None:
        self.font(_HOLDER_SIZE, bold=True)
        line = self.wrap(f"{self.doc.type_name}（续页）", _CONTENT_W)[0]
        self.put_centred(self.y, _HOLDER_SIZE * 1.6, line)
        self.y += self._continuation_header_height()

    def page_end(self) -> None:
        """Called by fpdf2 as each page is finished: frame, watermark, footer."""
        if self.total_pages is None:
            return  # the counting pass draws nothing more
        self.frame()
        if not self.valid:
            self.watermark()
        self.footer()

    def frame(self) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*_FRAME_COLOR)
        for inset, line_width in ((_FRAME_OUTER, 1.4), (_FRAME_INNER, 0.4)):
            pdf.set_line_width(line_width)
            pdf.rect(inset, inset, _PAGE_W - 2 * inset, _PAGE_H - 2 * inset)

    def watermark(self) -> None:
        """The status in large translucent red letters across the page, over the content so
        no filled table cell can hide it."""
        text = self.printable(self.doc.status_label)
        angle = math.degrees(math.atan2(_PAGE_H, _PAGE_W))
        diagonal = math.hypot(_PAGE_W, _PAGE_H)
        size = min(110.0, diagonal * 0.5 / max(len(text), 1))
        centre_x, centre_y = _PAGE_W / 2, _PAGE_H / 2
        pdf = self.pdf
        with pdf.local_context(fill_opacity=0.2, text_color=_RED):
            self.font(size, bold=True)
            width = self.measure(text)
            with pdf.rotation(angle, centre_x, centre_y):
                pdf.text(centre_x - width / 2, centre_y + _CJK_BASELINE * size, text)

    def footer(self) -> None:
        pdf = self.pdf
        pdf.set_line_width(0.4)
        pdf.set_draw_color(170)
        pdf.line(_LEFT, _FOOTER_RULE_Y, _LEFT + _CONTENT_W, _FOOTER_RULE_Y)
        self.font(_SMALL_SIZE)
        pdf.set_text_color(90)
        height = _SMALL_SIZE * 1.6
        top = _FOOTER_RULE_Y + 1.5 * _MM
        self.put(_LEFT, top, height, FOOTER_NOTE)
        page = f"第 {pdf.page_no()} 页 共 {self.total_pages} 页"
        self.put(_LEFT + _CONTENT_W - self.measure(page), top, height, page)
        pdf.set_text_color(0)


class _HookedFPDF(FPDF):
    def __init__(self, layout: _LicenceLayout, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layout = layout

    def footer(self) -> None:
        self.layout.page_end()
