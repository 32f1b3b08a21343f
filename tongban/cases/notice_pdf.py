"""Lay out a written notice (文书) as an A4 PDF, with fpdf2 and an embedded Chinese font.

Font (why this way):
- `make run` installs from PyPI only, so the font comes from a PyPI package:
  `justmytype-intl-cjk` ships Google Fonts' Noto Sans SC (SIL OFL 1.1, unmodified upstream
  binary, licence text inside the package). Its wheel is ~30 MB (~48 MB installed, as it also
  carries JP/KR/TC). No other PyPI package is usable: `mplfonts` also redistributes the
  proprietary SimHei and pulls in matplotlib; the per-file `noto-cjk-*` packages are not
  downloadable.
- That font is a *variable* font whose default instance is Thin. Instantiating the whole font at
  Regular/Bold with fontTools costs ~35 s a weight, so we never do that: each document's font is
  first subset to the glyphs it uses (fpdf2 does that when writing) and only that small subset is
  instantiated (`_DocumentFont.save`), ~10 ms. Advance widths for layout are computed once from
  the HVAR table at the instance location.
- Fallbacks, in order: the `TONGBAN_PDF_FONT` setting (or environment variable) naming a
  .ttf/.otf/.ttc file (for collections the Simplified Chinese face is chosen), then the package,
  then well-known system fonts (Debian `fonts-noto-cjk`, `fonts-wqy-*`, …) and `fc-list`. If none
  is found `NoticeFontMissing` says what to install.
- Parsing a CJK font (cmap and metrics of ~30 000 glyphs) takes ~1 s, so it is done once per
  process and cached; each document gets a cheap copy of the parsed metrics and its own lazily
  read font object (fpdf2 subsets that object in place, so it cannot be shared).
"""

from __future__ import annotations

import copy
import datetime
import io
import logging
import os
import re
import shutil
import subprocess
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from importlib import util as importlib_util
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTCollection, TTFont  # type: ignore[import-untyped]
from fontTools.varLib import instancer  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import TextEmphasis
from fpdf.fonts import SubsetMap, TTFFont

from tongban.cases.notice_data import NoticeData
from tongban.core.errors import DomainError
from tongban.licences.qr import qr_png

logger = logging.getLogger(__name__)

# fontTools reports every instancing step at INFO level; once per PDF is noise in the server log.
for _name in ("fontTools.varLib", "fontTools.subset"):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.WARNING)

FONT_SETTING = "TONGBAN_PDF_FONT"
FONT_PACKAGE = "justmytype-intl-cjk"

# Known system font files (Debian/Ubuntu first, then Fedora/Arch), best first.
SYSTEM_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian fonts-noto-cjk
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/opentype/adobe-source-han-sans/SourceHanSansSC-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian fonts-wqy-zenhei
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
)

# A usable font must have at least these (common hanzi and the punctuation notices use).
_REQUIRED_CHARS = "通办受理知书号年月日第页共编核验地址〔〕：，。"

_MISSING_MESSAGE = (
    "无法生成文书 PDF：服务器上没有可用的中文字体。"
    f"请安装 Python 包 {FONT_PACKAGE}（pip install {FONT_PACKAGE}），"
    "或安装系统字体包 fonts-noto-cjk，"
    f"或用设置 {FONT_SETTING} 指定一个中文 TrueType/OpenType 字体文件（.ttf/.otf/.ttc）。"
)


class NoticeFontMissing(DomainError):
    """No Chinese font to embed: a server set-up problem, not the caller's."""

    status = 500

    def __init__(self, detail: str = _MISSING_MESSAGE) -> None:
        super().__init__("notice_font_missing", detail)


# ---------------------------------------------------------------------------------------------
# Fonts


@dataclass(frozen=True)
class _FontFile:
    path: Path
    face: int = 0  # index in a .ttc/.otc collection
    weight: float | None = None  # instance of a variable font ("wght" axis); None: static font


@dataclass(frozen=True)
class _LoadedFont:
    """One parsed font style, shared read-only by every document of the process."""

    source: _FontFile
    data: bytes
    glyph_order: tuple[str, ...]
    prototype: TTFFont  # parsed metrics; never written out itself
    widths: dict[int, float]
    missing_width: float

    def attach(self, pdf: FPDF, fontkey: str, for_output: bool) -> None:
        """Register a per-document copy of this font with `pdf` as `fontkey`."""
        proto = self.prototype
        font = copy.copy(proto)
        font.i = len(pdf.fonts) + 1
        font.fontkey = fontkey
        missing_width = self.missing_width
        font.cw = defaultdict(lambda: missing_width, self.widths)
        font.desc = copy.copy(proto.desc)  # fpdf2 sets the object id and name on it
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        if for_output:
            axes = {"wght": self.source.weight} if self.source.weight is not None else None
            font.ttfont = _DocumentFont(self.data, self.source.face, self.glyph_order, axes)
        pdf.fonts[fontkey] = font
        if font.is_cff and font.is_cid_keyed:
            pdf._set_min_pdf_version("1.6")


@dataclass(frozen=True)
class _FontSet:
    regular: _LoadedFont
    bold: _LoadedFont | None
    origin: str  # where the font came from, for logs and error messages

    @property
    def characters(self) -> dict[int, str]:
        return self.regular.prototype.cmap

    def describe(self) -> str:
        return f"{self.regular.prototype.name} ({self.origin}: {self.regular.source.path})"


class _DocumentFont(TTFont):
    """The font object of one document, read lazily from the cached file bytes.

    fpdf2 subsets it in place when the PDF is written and then calls `save`; for a variable
    font we instantiate the (by then tiny) subset at the wanted weight just before saving.
    """

    # Tables fpdf2 does not need; dropping them up front keeps the subsetter from parsing them.
    UNUSED_TABLES = (
        *("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "STAT", "HVAR", "MVAR"),
        *("vhea", "vmtx", "VORG", "VVAR", "DSIG", "meta"),
    )

    def __init__(
        self,
        data: bytes,
        face: int,
        glyph_order: Sequence[str],
        axes: dict[str, float] | None,
    ) -> None:
        super().__init__(io.BytesIO(data), fontNumber=face, lazy=True, recalcTimestamp=False)
        self.flavor = None  # a WOFF/WOFF2 file is embedded as plain SFNT
        for tag in self.UNUSED_TABLES:
            if tag in self:
                del self[tag]
        if "glyf" in self:
            # A TrueType font with `post` format 3 derives glyph names from the cmap (~0.3 s).
            self.setGlyphOrder(list(glyph_order))
        self.instance_axes = axes

    def save(self, file: Any, reorderTables: bool = True) -> None:
        if self.instance_axes and "fvar" in self:
            instancer.instantiateVariableFont(self, self.instance_axes, inplace=True, static=True)
        super().save(file, reorderTables)


def _setting_value() -> str:
    try:
        from django.conf import settings

        if settings.configured:
            value = getattr(settings, FONT_SETTING, None)
            if value is not None:
                return str(value)
    except ImportError:  # pragma: no cover - Django is always installed here
        pass
    return os.environ.get(FONT_SETTING, "")


def _covers(font: TTFont) -> bool:
    cmap = font.getBestCmap() or {}
    return all(ord(char) in cmap for char in _REQUIRED_CHARS)


def _family(font: TTFont) -> str:
    name = font["name"]
    return str(name.getDebugName(16) or name.getDebugName(1) or "")


def _pick_face(path: Path) -> int | None:
    """The face of `path` to use: in a collection prefer Simplified Chinese, never Mono."""
    try:
        with path.open("rb") as file:
            is_collection = file.read(4) == b"ttcf"
        if not is_collection:
            font = TTFont(path, lazy=True)
            try:
                return 0 if _covers(font) else None
            finally:
                font.close()
        collection = TTCollection(path, lazy=True)
    except Exception:  # a broken or foreign file is "not usable", whatever fontTools raises
        logger.warning("notice PDF: cannot read font file %s", path, exc_info=True)
        return None
    try:
        faces = [(index, _family(font)) for index, font in enumerate(collection.fonts)]
        ranked = sorted(
            faces,
            key=lambda face: (
                "mono" in face[1].lower(),
                not re.search(r"\bSC\b|GB|Simplified|简", face[1]),
                face[0],
            ),
        )
        for index, _family_name in ranked:
            if _covers(collection.fonts[index]):
                return index
        return None
    finally:
        collection.close()


def _variable_weights(path: Path, face: int) -> tuple[float, float] | None:
    """(regular, bold) "wght" values if `path` is a variable font with a weight axis."""
    font = TTFont(path, lazy=True, fontNumber=face)
    try:
        if "fvar" not in font:
            return None
        axes = {axis.axisTag: axis for axis in font["fvar"].axes}
        if "wght" not in axes or "glyf" not in font:
            return None
        low, high = axes["wght"].minValue, axes["wght"].maxValue
        return min(max(400.0, low), high), min(max(700.0, low), high)
    finally:
        font.close()


def _bold_sibling(path: Path) -> Path | None:
    for regular, bold in (("Regular", "Bold"), ("regular", "bold")):
        if regular in path.name:
            candidate = path.with_name(path.name.replace(regular, bold))
            if candidate.is_file():
                return candidate
    return None


def _font_files(path: Path) -> tuple[_FontFile, _FontFile | None] | None:
    """Regular and (if available) bold font files for a candidate path, or None if unusable."""
    if not path.is_file():
        return None
    face = _pick_face(path)
    if face is None:
        return None
    weights = _variable_weights(path, face)
    if weights is not None:
        return _FontFile(path, face, weights[0]), _FontFile(path, face, weights[1])
    bold_path = _bold_sibling(path)
    bold_face = _pick_face(bold_path) if bold_path else None
    bold = _FontFile(bold_path, bold_face) if bold_path and bold_face is not None else None
    return _FontFile(path, face), bold


def _package_font() -> Path | None:
    spec = importlib_util.find_spec("justmytype_intl_cjk")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("fonts/**/NotoSansSC*.[ot]tf"))
        if found:
            return found[0]
    return None


def _fc_list_fonts() -> list[Path]:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return []
    try:
        result = subprocess.run(
            [fc_list, ":lang=zh-cn", "file"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    paths = {line.strip().rstrip(":") for line in result.stdout.splitlines() if line.strip()}
    # Prefer Noto/Source Han, then anything with "Sans"/"Hei", deterministic order otherwise.
    return sorted(
        (Path(path) for path in paths),
        key=lambda p: (
            not re.search(r"noto|sourcehan|source-han", str(p), re.IGNORECASE),
            not re.search(r"sans|hei", p.name, re.IGNORECASE),
            str(p),
        ),
    )


def _find_font_files(override: str) -> tuple[_FontFile, _FontFile | None, str]:
    if override:
        files = _font_files(Path(override).expanduser())
        if files is None:
            raise NoticeFontMissing(
                f"无法生成文书 PDF：设置 {FONT_SETTING} 指定的字体文件 {override} "
                "不存在、无法读取或不含常用汉字。请指定一个中文 TrueType/OpenType 字体文件。"
            )
        return files[0], files[1], FONT_SETTING
    package_font = _package_font()
    if package_font is not None:
        files = _font_files(package_font)
        if files is not None:
            return files[0], files[1], FONT_PACKAGE
        logger.warning("notice PDF: the font in %s is not usable: %s", FONT_PACKAGE, package_font)
    for candidate in [*map(Path, SYSTEM_FONT_PATHS), *_fc_list_fonts()]:
        files = _font_files(candidate)
        if files is not None:
            return files[0], files[1], "system"
    raise NoticeFontMissing()


def _load(source: _FontFile, style: str, base: _LoadedFont | None = None) -> _LoadedFont:
    """Parse a font file, or for another instance of the variable font `base` reuse its parse."""
    if base is not None and (base.source.path, base.source.face) == (source.path, source.face):
        data, glyph_order = base.data, base.glyph_order
        proto = copy.copy(base.prototype)
        proto.desc = copy.copy(base.prototype.desc)
        font = TTFont(io.BytesIO(data), fontNumber=source.face, lazy=True)
        font.setGlyphOrder(list(glyph_order))
    else:
        data = source.path.read_bytes()
        proto = TTFFont(FPDF(), source.path, "notice", style, collection_font_number=source.face)
        font = proto.ttfont
        glyph_order = tuple(font.getGlyphOrder())
    widths = dict(proto.cw)
    if source.weight is not None:
        # Layout widths of the instance (fpdf2 would give the default, Thin, instance's).
        glyph_set = font.getGlyphSet(location={"wght": source.weight})
        widths = {
            code: round(proto.scale * glyph_set[glyph].width + 0.001)
            for code, glyph in proto.cmap.items()
        }
        weight_name = "Bold" if source.weight >= 600 else "Regular"
        proto.name = re.sub(r"[ ()]", "", _family(font)) + "-" + weight_name
    proto.emphasis = TextEmphasis.coerce(style)
    font.close()
    proto.ttfont = TTFont()  # the parsed tables are not needed any more
    return _LoadedFont(
        source=source,
        data=data,
        glyph_order=glyph_order,
        prototype=proto,
        widths=widths,
        missing_width=float(proto.desc.missing_width or 0),
    )


_font_cache: dict[str, _FontSet] = {}
_font_lock = threading.Lock()


def _fonts() -> _FontSet:
    override = _setting_value().strip()
    fonts = _font_cache.get(override)
    if fonts is not None:
        return fonts
    with _font_lock:
        fonts = _font_cache.get(override)
        if fonts is None:
            regular, bold, origin = _find_font_files(override)
            regular_font = _load(regular, "")
            fonts = _FontSet(
                regular=regular_font,
                bold=_load(bold, "B", regular_font) if bold is not None else None,
                origin=origin,
            )
            logger.info("notice PDF font: %s", fonts.describe())
            _font_cache[override] = fonts
    return fonts


def notice_font() -> str:
    """Load (and cache) the notice font; returns a description. Raises NoticeFontMissing.

    Call it at start-up to fail early and to keep the ~1 s font parsing out of the first request.
    """
    return _fonts().describe()


def attach_notice_fonts(pdf: FPDF, *, for_output: bool = True) -> dict[int, str]:
    """Register the notice font with another layout's `pdf`: "notice", and "noticeb" when there
    is a bold face. Returns the font's character map (code point → glyph), to tell what it can
    show. Pass for_output=False for a pass that only counts pages. Raises NoticeFontMissing.
    """
    fonts = _fonts()
    fonts.regular.attach(pdf, "notice", for_output)
    if fonts.bold is not None:
        fonts.bold.attach(pdf, "noticeb", for_output)
    return fonts.characters


# ---------------------------------------------------------------------------------------------
# Chinese line breaking

# Characters that may not start a line (closing punctuation) or end one (opening punctuation).
_NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉］｝〗”’…—～·‰％%℃,.;:?!)]}>")
_NO_LINE_END = frozenset("（《「『【〔〈［｛〖“‘([{<")
# Latin words, numbers and URLs are kept whole where they fit on a line.
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z.,:;/_@%#&+=?~\-]*|\s+|.", re.DOTALL)


def _break_units(text: str) -> list[str]:
    """Split text into the pieces a line may break between."""
    units: list[str] = []
    glue_next = False
    for token in _TOKEN.findall(text):
        if token.isspace():
            units.append(" ")
            glue_next = False
            continue
        if units and units[-1] != " " and (glue_next or token[0] in _NO_LINE_START):
            units[-1] += token
        else:
            units.append(token)
        glue_next = token[-1] in _NO_LINE_END
    return units


def wrap_text(
    text: str, width: float, measure: Callable[[str], float], first_indent: float = 0
) -> list[str]:
    """Break one paragraph into lines no wider than `width` (the first `first_indent` narrower).

    Breaks between any two Chinese characters, never before closing or after opening
    punctuation, and not inside Latin words or numbers unless they are wider than a line.
    Explicit newlines force a break.
    """
    lines: list[str] = []
    for part in text.split("\n"):
        lines.extend(_wrap_part(part, width, measure, first_indent if not lines else 0))
    return lines


def _wrap_part(
    text: str, width: float, measure: Callable[[str], float], first_indent: float
) -> list[str]:
    lines: list[str] = []
    current = ""
    current_width = 0.0
    available = width - first_indent
    epsilon = 0.01

    def flush() -> None:
        nonlocal current, current_width, available
        lines.append(current.rstrip(" "))
        current, current_width, available = "", 0.0, width

    for unit in _break_units(text):
        if unit == " " and not current:
            continue
        unit_width = measure(unit)
        if current_width + unit_width <= available + epsilon:
            current += unit
            current_width += unit_width
        elif unit == " ":
            flush()
        elif current and unit_width <= width + epsilon:  # fits on the next line
            flush()
            current, current_width = unit, unit_width
        else:  # wider than a whole line (a long URL): break it anywhere, from this line on
            for char in unit:
                char_width = measure(char)
                if current and current_width + char_width > available + epsilon:
                    carry = ""
                    # Keep the rules: take the previous character along rather than start
                    # the line with closing punctuation or end one with opening punctuation.
                    while len(current) > 1 and (
                        (char in _NO_LINE_START and not carry) or current[-1] in _NO_LINE_END
                    ):
                        carry = current[-1] + carry
                        current = current[:-1]
                    flush()
                    current, current_width = carry, measure(carry)
                current += char
                current_width += char_width
    if current or not lines:
        lines.append(current.rstrip(" "))
    return lines


def printable_text(text: str, characters: Container[int], replaced: set[str]) -> str:
    """Text the font can show: line ends kept, controls dropped, a character the font lacks
    shown as □ (and added to `replaced`) — a name that silently loses a rare character
    (生僻字) is worse on an official document than a visible box."""
    out = []
    for char in text.replace("\r\n", "\n").replace("\t", " "):
        if char == "\n" or ord(char) in characters:
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf"):
            continue
        else:
            normal = unicodedata.normalize("NFKC", char)
            if normal and all(ord(c) in characters for c in normal):
                out.append(normal)
            else:
                replaced.add(char)
                out.append("□")
    return "".join(out)


def chinese_date(day: datetime.date) -> str:
    """2026年11月21日 (Arabic numerals, as GB/T 9704 prescribes for 成文日期)."""
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------------------------------------
# Layout

_MM = 72 / 25.4
_PAGE_W, _PAGE_H = 210 * _MM, 297 * _MM
_LEFT, _RIGHT, _TOP = 28 * _MM, 26 * _MM, 30 * _MM
_CONTENT_W = _PAGE_W - _LEFT - _RIGHT

_TITLE_SIZE, _NUMBER_SIZE, _BODY_SIZE, _TABLE_SIZE, _FOOTER_SIZE = 22, 13, 15, 12, 9
_BODY_LEADING = 1.8  # GB/T 9704: 22 lines of 3号 type on a 225 mm text block
_TABLE_LEADING = 1.45
_CELL_PAD_X, _CELL_PAD_Y = 5.0, 4.0
# Chinese glyphs sit in an em box from 0.12 em below to 0.88 em above the baseline; to centre
# them on a line the baseline goes this far below the line's middle.
_BASELINE_BELOW_MIDDLE = 0.38

_FOOTER_BASELINE = _PAGE_H - 12 * _MM
# The verify QR code (with its quiet zone) sits in the 30 mm top margin, above the title.
_QR_SIDE, _QR_TOP = 22 * _MM, 5 * _MM
_TZ_CHINA = datetime.timezone(datetime.timedelta(hours=8))


class _NoticeLayout:
    def __init__(
        self, notice: NoticeData, fonts: _FontSet, total_pages: int | None, qr: bytes = b""
    ) -> None:
        self.notice = notice
        self.qr = qr  # PNG of the verify address, or nothing
        self.fonts = fonts
        self.total_pages = total_pages
        self.characters = fonts.characters
        self.replaced: set[str] = set()
        self.pdf = pdf = _FooterFPDF(self, orientation="P", unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(_LEFT, _TOP, _RIGHT)
        pdf.c_margin = 0
        for_output = total_pages is not None
        fonts.regular.attach(pdf, "notice", for_output)
        if fonts.bold is not None:
            fonts.bold.attach(pdf, "noticeb", for_output)
        pdf.set_font("notice", size=_BODY_SIZE)
        self.verify_lines = self._footer_verify_lines()
        footer_top = _FOOTER_BASELINE - _FOOTER_SIZE * 1.5 * (len(self.verify_lines) + 1)
        self.rule_y = footer_top
        self.bottom = footer_top - 5 * _MM
        self.y = _TOP

    # -- primitives ----------------------------------------------------------------------------

    def clean(self, text: str) -> str:
        return printable_text(text, self.characters, self.replaced)

    def font(self, size: float, bold: bool = False) -> None:
        if bold and self.fonts.bold is not None:
            self.pdf.set_font("noticeb", size=size)
        else:
            self.pdf.set_font("notice", size=size)

    def measure(self, text: str) -> float:
        return self.pdf.get_string_width(text)

    def wrap(self, text: str, width: float, first_indent: float = 0) -> list[str]:
        return wrap_text(self.clean(text), width, self.measure, first_indent)

    def put(
        self, x: float, line_top: float, line_height: float, text: str, spacing: float = 0
    ) -> None:
        size = self.pdf.font_size_pt
        baseline = line_top + line_height / 2 + _BASELINE_BELOW_MIDDLE * size
        if spacing:
            self.pdf.set_char_spacing(spacing)
        self.pdf.text(x, baseline, text)
        if spacing:
            self.pdf.set_char_spacing(0)

    def new_page(self) -> None:
        self.pdf.add_page()
        self.y = _TOP
        if self.qr and self.pdf.page_no() == 1:
            self.verify_qr()

    def verify_qr(self) -> None:
        """The verify address as a QR code in the top margin, at the right of the first
        page, clear of the title: a reader scans it to see the notice is genuine."""
        side = _QR_SIDE
        self.pdf.image(
            io.BytesIO(self.qr),
            _PAGE_W - _RIGHT - side,
            _QR_TOP,
            w=side,
            h=side,
            alt_text="文书核验二维码",
        )

    def ensure(self, height: float) -> None:
        if self.y + height > self.bottom + 0.01:
            self.new_page()

    def lines_aligned(self, lines: list[str], size: float, align: str, leading: float) -> None:
        height = size * leading
        for line in lines:
            self.ensure(height)
            width = self.measure(line)
            if align == "C":
                x = _LEFT + (_CONTENT_W - width) / 2
            elif align == "R":
                x = _LEFT + _CONTENT_W - width
            else:
                x = _LEFT
            self.put(x, self.y, height, line)
            self.y += height

    # -- parts ---------------------------------------------------------------------------------

    def render(self) -> FPDF:
        notice = self.notice
        pdf = self.pdf
        pdf.set_title(notice.title)
        pdf.set_subject(f"{notice.item_name}：{notice.title}" if notice.item_name else notice.title)
        pdf.set_author(notice.department_name)
        pdf.set_keywords(" ".join(part for part in (notice.number, notice.case_no) if part))
        pdf.set_creator("通办 Tongban")
        pdf.set_lang("zh-CN")
        pdf.set_creation_date(
            datetime.datetime.combine(notice.issued_on, datetime.time(), _TZ_CHINA)
        )

        signature = self.signature_lines()
        # The signature never stands alone on a page: the last body line or table row goes
        # over with it (GB/T 9704 asks for the same).
        keep = self.signature_height(signature)
        self.new_page()
        self.title()
        self.addressee()
        for n, paragraph in enumerate(notice.paragraphs, 1):
            last = n == len(notice.paragraphs) and not notice.rows and not notice.materials
            self.paragraph(paragraph, keep if last else 0)
        if notice.rows:
            self.y += _BODY_SIZE * 0.6
            label_width = max(self.measure_table_text(label) for label, _value in notice.rows)
            label_col = min(
                max(label_width + 2 * _CELL_PAD_X + 1, _CONTENT_W * 0.22), _CONTENT_W * 0.4
            )
            self.table(
                None,
                [label_col, _CONTENT_W - label_col],
                ["L", "L"],
                [[label, value] for label, value in notice.rows],
                0 if notice.materials else keep,
            )
        if notice.materials:
            self.y += _BODY_SIZE * 0.6
            number_col = 16 * _MM
            name_col = (_CONTENT_W - number_col) * 0.42
            self.table(
                ["序号", "材料名称", "需补正的内容及原因"],
                [number_col, name_col, _CONTENT_W - number_col - name_col],
                ["C", "L", "L"],
                [[str(n), name, reason] for n, (name, reason) in enumerate(notice.materials, 1)],
                keep,
            )
        self.signature(signature)
        if self.replaced:
            logger.warning(
                "notice %s: the font has no glyph for %s; printed as □",
                notice.number or notice.case_no,
                "".join(sorted(self.replaced)),
            )
        return pdf

    def title(self) -> None:
        self.font(_TITLE_SIZE, bold=True)
        self.lines_aligned(self.wrap(self.notice.title, _CONTENT_W), _TITLE_SIZE, "C", 1.5)
        if self.notice.number:
            self.y += _NUMBER_SIZE * 0.3
            self.font(_NUMBER_SIZE)
            self.lines_aligned(self.wrap(self.notice.number, _CONTENT_W), _NUMBER_SIZE, "R", 1.5)
        self.y += _BODY_SIZE * 1.0

    def addressee(self) -> None:
        if not self.notice.addressee:
            return
        self.font(_BODY_SIZE)
        lines = self.wrap(f"{self.notice.addressee}：", _CONTENT_W)
        self.lines_aligned(lines, _BODY_SIZE, "L", _BODY_LEADING)

    def paragraph(self, text: str, keep_with_last: float = 0) -> None:
        self.font(_BODY_SIZE)
        indent = 2 * _BODY_SIZE  # two full-width characters
        height = _BODY_SIZE * _BODY_LEADING
        lines = self.wrap(text, _CONTENT_W, indent)
        for n, line in enumerate(lines):
            self.ensure(height + (keep_with_last if n == len(lines) - 1 else 0))
            x = _LEFT + (indent if n == 0 else 0)
            available = _CONTENT_W - (indent if n == 0 else 0)
            spacing = 0.0
            if n < len(lines) - 1 and len(line) > 1:  # justify all but the last line
                slack = available - self.measure(line)
                if 0 < slack <= 2 * _BODY_SIZE:
                    spacing = slack / (len(line) - 1)
            self.put(x, self.y, height, line, spacing)
            self.y += height

    def measure_table_text(self, text: str) -> float:
        self.font(_TABLE_SIZE)
        return self.measure(self.clean(text))

    def table(
        self,
        headings: list[str] | None,
        widths: list[float],
        aligns: list[str],
        rows: list[list[str]],
        keep_with_last: float = 0,
    ) -> None:
        line_height = _TABLE_SIZE * _TABLE_LEADING
        pdf = self.pdf
        pdf.set_line_width(0.6)
        pdf.set_draw_color(0)

        def cell_lines(texts: list[str], bold: bool) -> list[list[str]]:
            self.font(_TABLE_SIZE, bold)
            return [self.wrap(t, w - 2 * _CELL_PAD_X) for t, w in zip(texts, widths, strict=True)]

        heading_lines = cell_lines(headings, True) if headings else None
        heading_height = (
            max(len(lines) for lines in heading_lines) * line_height + 2 * _CELL_PAD_Y
            if heading_lines
            else 0.0
        )

        def draw_row(lines: list[list[str]], height: float, bold: bool, fill: bool) -> None:
            self.font(_TABLE_SIZE, bold)
            x = _LEFT
            for cell, width, align in zip(lines, widths, aligns, strict=True):
                if fill:
                    pdf.set_fill_color(235)
                pdf.rect(x, self.y, width, height, style="DF" if fill else "D")
                top = self.y + (height - len(cell) * line_height) / 2
                for line in cell:
                    text_x = x + _CELL_PAD_X
                    if align == "C":
                        text_x = x + (width - self.measure(line)) / 2
                    self.put(text_x, top, line_height, line)
                    top += line_height
                x += width
            self.y += height

        def heading() -> None:
            if heading_lines:
                draw_row(heading_lines, heading_height, True, True)

        # Headings never stand alone at the foot of a page.
        self.ensure(heading_height + line_height + 2 * _CELL_PAD_Y)
        heading()
        first_row_top = _TOP + heading_height
        page_room = self.bottom - first_row_top - 2 * _CELL_PAD_Y
        for index, row in enumerate(rows):
            keep = keep_with_last if index == len(rows) - 1 else 0
            remaining = cell_lines(row, False)
            while remaining:
                needed = max(len(cell) for cell in remaining)
                fits = int((self.bottom - self.y - 2 * _CELL_PAD_Y + 0.01) // line_height)
                fits_with_keep = int(
                    (self.bottom - self.y - 2 * _CELL_PAD_Y - keep + 0.01) // line_height
                )
                at_top = self.y <= first_row_top + 0.01
                # Move a row that does not fit to the next page whole if it fits there, else
                # split it (but never leave a sliver of one line at the foot of a page).
                if not at_top and (
                    (fits < needed and (needed * line_height <= page_room or fits < 2))
                    or (fits_with_keep < needed and needed * line_height + keep <= page_room)
                ):
                    self.new_page()
                    heading()
                    continue
                take = max(1, min(needed, fits))
                chunk = [cell[:take] for cell in remaining]
                remaining = [cell[take:] for cell in remaining]
                if not any(remaining):
                    remaining = []
                height = max(len(cell) for cell in chunk) * line_height + 2 * _CELL_PAD_Y
                draw_row(chunk, height, False, False)

    def signature_lines(self) -> list[str]:
        self.font(_BODY_SIZE)
        lines = self.wrap(self.notice.department_name, _CONTENT_W - 2 * _BODY_SIZE)
        lines.append(chinese_date(self.notice.issued_on))
        return [line for line in lines if line]

    @staticmethod
    def signature_height(lines: list[str]) -> float:
        return (len(lines) + 2) * _BODY_SIZE * _BODY_LEADING  # two blank lines for the seal

    def signature(self, lines: list[str]) -> None:
        """Issuing department over the date, at the right, with room above for the seal."""
        height = _BODY_SIZE * _BODY_LEADING
        self.font(_BODY_SIZE)
        self.ensure(self.signature_height(lines))
        self.y += 2 * height
        block_width = max(self.measure(line) for line in lines)
        block_right = _LEFT + _CONTENT_W - 2 * _BODY_SIZE  # 右空二字
        for line in lines:
            x = block_right - block_width + (block_width - self.measure(line)) / 2
            self.put(x, self.y, height, line)
            self.y += height

    # -- footer --------------------------------------------------------------------------------

    def _footer_verify_lines(self) -> list[str]:
        if not self.notice.verify_url:
            return []
        self.font(_FOOTER_SIZE)
        return self.wrap(f"核验地址：{self.notice.verify_url}", _CONTENT_W)

    def footer(self) -> None:
        pdf = self.pdf
        if self.total_pages is None:
            return  # the first pass only counts pages
        line_height = _FOOTER_SIZE * 1.5
        pdf.set_line_width(0.4)
        pdf.set_draw_color(120)
        pdf.line(_LEFT, self.rule_y, _LEFT + _CONTENT_W, self.rule_y)
        self.font(_FOOTER_SIZE)
        top = self.rule_y + 0.3 * line_height
        for line in self.verify_lines:
            self.put(_LEFT, top, line_height, line)
            top += line_height
        case_line = self.clean(f"办件编号：{self.notice.case_no}")
        page_line = f"第 {pdf.page_no()} 页 / 共 {self.total_pages} 页"
        self.put(_LEFT, top, line_height, case_line)
        self.put(_LEFT + _CONTENT_W - self.measure(page_line), top, line_height, page_line)


class _FooterFPDF(FPDF):
    def __init__(self, layout: _NoticeLayout, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layout = layout

    def footer(self) -> None:
        self.layout.footer()


def render_notice_pdf(notice: NoticeData) -> bytes:
    """The notice as an A4 PDF. Same input, same bytes (the creation date is the issue date).

    Raises NoticeFontMissing when no Chinese font is installed.
    """
    fonts = _fonts()
    # Lay out twice: the first pass counts the pages for "共 N 页" in every footer.
    qr = qr_png(notice.verify_url, scale=8) if notice.verify_url else b""
    pages = _NoticeLayout(notice, fonts, None, qr).render().pages_count
    return bytes(_NoticeLayout(notice, fonts, pages, qr).render().output())
