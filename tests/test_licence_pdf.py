"""Electronic licences as PDF and their QR codes: content really in the file, paging, status."""

from __future__ import annotations

import dataclasses
import datetime
import io
import re
from typing import Any, cast

import pytest
import segno
from PIL import Image
from pypdf import PageObject, PdfReader
from pypdf.generic import DictionaryObject

from tongban.cases.notice_pdf import chinese_date
from tongban.licences.licence_pdf import (
    FOOTER_NOTE,
    STATUS_BANNERS,
    LicenceDocument,
    render_licence_pdf,
)
from tongban.licences.qr import QUIET_ZONE, make_qr, qr_png, qr_svg

IDENTIFIER = (
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.209FA4E88F9E4C878F3E9BED2CE7EA49.001.U"
)
VERIFY_URL = "https://zwfw.yueyang.gov.cn/licences/verify"
# The QR text as the licences app builds it: verify URL, "#", a base64url signed payload.
QR_TEXT = VERIFY_URL + "#" + ("eyJ0eXAiOiJsaWMiLCJrZXkiOiJ0Yi0yMDI2LTAxIn0_-" * 26)[:1150]

BUSINESS_FIELDS = [
    ("名称", "岳阳市洞庭湖餐饮管理有限公司"),
    ("统一社会信用代码", "91430600MA4L000001"),
    ("类型", "有限责任公司（自然人投资或控股）"),
    ("法定代表人", "张三"),
    (
        "经营范围",
        "许可项目：餐饮服务；食品销售。（依法须经批准的项目，经相关部门批准后方可开展经营活动，"
        "具体经营项目以相关部门批准文件或许可证件为准）一般项目：外卖递送服务；日用百货销售。",
    ),
    ("住所", "湖南省岳阳市岳阳楼区南湖大道188号洞庭湖大厦1201室"),
]
LONG_VALUE = (
    "许可项目：餐饮服务；食品销售；依法须经批准的项目，经相关部门批准后方可开展经营活动。" * 3
)


def business_licence(**changes: object) -> LicenceDocument:
    document = LicenceDocument(
        identifier=IDENTIFIER,
        type_name="营业执照",
        holder_name="岳阳市洞庭湖餐饮管理有限公司",
        holder_id_masked="91430600********01",
        issuer_name="岳阳市市场监督管理局",
        issued_on=datetime.date(2026, 1, 5),
        expires_on=None,
        fields=BUSINESS_FIELDS,
        status_label="有效",
        version=1,
        qr_text=QR_TEXT,
        verify_url=VERIFY_URL,
        key_id="tongban-ed25519-2026-01",
    )
    return dataclasses.replace(document, **changes)  # type: ignore[arg-type]


def twenty_long_fields() -> list[tuple[str, str]]:
    return [(f"登记事项{n}", f"第{n}项：{LONG_VALUE}") for n in range(1, 21)]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_texts(pdf: bytes) -> list[str]:
    return [squash(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def operations(page: PageObject) -> list[tuple[list[Any], bytes]]:
    contents = page.get_contents()  # an empty ContentStream is falsy: compare with None
    return list(contents.operations) if contents is not None else []


def drawn_images(pdf: bytes) -> list[int]:
    """Per page: how many image XObjects its content stream paints."""
    counts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = cast(DictionaryObject, page["/Resources"])
        xobjects = cast(DictionaryObject, resources.get("/XObject", DictionaryObject()))
        images = {
            name for name, ref in xobjects.items() if ref.get_object()["/Subtype"] == "/Image"
        }
        counts.append(sum(1 for args, op in operations(page) if op == b"Do" and args[0] in images))
    return counts


@pytest.fixture(scope="module")
def valid_pdf() -> bytes:
    return render_licence_pdf(business_licence())


@pytest.fixture(scope="module")
def long_revoked_pdf() -> bytes:
    return render_licence_pdf(business_licence(fields=twenty_long_fields(), status_label="已撤销"))


# -- content -----------------------------------------------------------------------------------


def test_licence_shows_holder_issuer_identifier_and_every_field(valid_pdf: bytes) -> None:
    text = "".join(page_texts(valid_pdf))
    assert "营业执照" in text
    assert "持证主体：岳阳市洞庭湖餐饮管理有限公司" in text
    assert "证件号码：91430600********01" in text
    assert "岳阳市市场监督管理局" in text
    assert f"有效期限：{chinese_date(datetime.date(2026, 1, 5))}至长期" in text
    assert "证照状态：有效" in text
    assert "证照版本：第1版" in text
    # The identifier is wrapped anywhere; without the line breaks it is whole.
    assert f"电子证照标识：{IDENTIFIER}" in text
    assert f"核验网址：{VERIFY_URL}" in text
    assert "签名密钥：tongban-ed25519-2026-01" in text
    for label, value in BUSINESS_FIELDS:
        assert f"{label}{squash(value)}" in text, label


def test_issuer_and_date_sit_at_the_bottom_right_of_the_last_page(valid_pdf: bytes) -> None:
    page = PdfReader(io.BytesIO(valid_pdf)).pages[-1]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    places: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if squash(text) in ("岳阳市市场监督管理局", "2026年1月5日"):
            places[squash(text)] = (tm[4], tm[5])  # PDF y grows upwards

    page.extract_text(visitor_text=visit)
    assert set(places) == {"岳阳市市场监督管理局", "2026年1月5日"}
    for x, y in places.values():
        assert x > width / 2
        assert y < height / 3
    assert places["2026年1月5日"][1] < places["岳阳市市场监督管理局"][1]  # date under issuer


def test_qr_code_is_one_image_at_the_bottom_left_of_the_last_page(valid_pdf: bytes) -> None:
    assert drawn_images(valid_pdf) == [1]
    page = PdfReader(io.BytesIO(valid_pdf)).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    ops = operations(page)
    do_index = next(i for i, (_, op) in enumerate(ops) if op == b"Do")
    assert ops[do_index - 1][1] == b"cm"
    side, _b, _c, side_y, x, y = (float(n) for n in ops[do_index - 1][0])
    assert side == side_y > 80  # about 30–46 mm: big enough for a phone camera
    assert x + side < width / 2
    assert y < height / 3


def test_an_expiry_date_replaces_long_term_and_no_fields_means_no_table() -> None:
    pdf = render_licence_pdf(
        business_licence(
            type_name="出生医学证明",
            holder_name="王小明",
            holder_id_masked="430602********0012",
            expires_on=datetime.date(2031, 1, 4),
            fields=[],
        )
    )
    text = "".join(page_texts(pdf))
    assert "出生医学证明" in text
    assert "有效期限：2026年1月5日至2031年1月4日" in text
    assert "长期" not in text
    assert "项目内容" not in text
    assert len(page_texts(pdf)) == 1


def test_characters_the_font_lacks_show_as_a_box_not_nothing() -> None:
    pdf = render_licence_pdf(business_licence(holder_name="王\U0001f600明", fields=[]))
    assert "持证主体：王□明" in "".join(page_texts(pdf))


# -- paging ------------------------------------------------------------------------------------


def test_twenty_long_fields_run_over_pages_each_with_footer_and_table_heading(
    long_revoked_pdf: bytes,
) -> None:
    pages = page_texts(long_revoked_pdf)
    assert len(pages) > 1
    for number, text in enumerate(pages, 1):
        assert squash(FOOTER_NOTE) in text
        assert f"第{number}页共{len(pages)}页" in text
    for text in pages[1:]:
        assert "营业执照（续页）" in text
    for text in pages:
        if "登记事项" in text:
            assert "项目内容" in text  # the heading is repeated where the table goes on
    whole = "".join(pages)
    for label, value in twenty_long_fields():
        assert label in whole
        assert squash(value)[:30] in whole
    # Rows are kept whole when they fit on a page: each value is on the page of its label.
    for label, value in twenty_long_fields():
        page = next(text for text in pages if f"{label}第" in text)
        assert squash(value) in page, label


def test_a_value_longer_than_a_page_is_split_over_pages_losing_nothing() -> None:
    sentences = [f"第{n:03d}条经营场所应当保持整洁卫生。" for n in range(1, 181)]
    pdf = render_licence_pdf(business_licence(fields=[("附加说明", "".join(sentences))]))
    pages = page_texts(pdf)
    assert len(pages) >= 3
    for text in pages[1:]:
        if "经营场所" in text:  # the heading goes on with the row
            assert text.startswith("营业执照（续页）项目内容")
    # Between the pieces of the value there is only a footer and the next page's header.
    page_break = re.escape(squash(FOOTER_NOTE)) + r"第\d+页共\d+页营业执照（续页）项目内容"
    whole = re.sub(page_break, "", "".join(pages))
    assert "附加说明" + "".join(sentences) in whole


def test_the_qr_code_is_drawn_once_on_the_last_page_only(long_revoked_pdf: bytes) -> None:
    counts = drawn_images(long_revoked_pdf)
    assert counts[-1] == 1
    assert sum(counts) == 1


# -- status ------------------------------------------------------------------------------------


def test_a_revoked_licence_says_so_in_a_banner_and_on_every_page(long_revoked_pdf: bytes) -> None:
    pages = page_texts(long_revoked_pdf)
    assert squash(STATUS_BANNERS["已撤销"]) in pages[0]
    assert "证照状态：已撤销" in pages[0]
    for text in pages:
        assert "已撤销" in text.replace("证照状态：已撤销", "").replace(
            STATUS_BANNERS["已撤销"], ""
        )


def test_a_valid_licence_has_no_banner_or_watermark(valid_pdf: bytes) -> None:
    text = "".join(page_texts(valid_pdf))
    for status, banner in STATUS_BANNERS.items():
        assert status not in text
        assert squash(banner) not in text


def test_a_superseded_licence_points_to_the_newest_version() -> None:
    pdf = render_licence_pdf(business_licence(status_label="已被新版本替代", version=2))
    text = "".join(page_texts(pdf))
    assert squash(STATUS_BANNERS["已被新版本替代"]) in text
    assert "证照版本：第2版" in text


# -- document ----------------------------------------------------------------------------------


def test_metadata_names_the_licence_and_tongban(valid_pdf: bytes) -> None:
    meta = PdfReader(io.BytesIO(valid_pdf)).metadata
    assert meta is not None
    assert meta.title == "营业执照"
    assert IDENTIFIER in (meta.subject or "")
    assert "通办" in (meta.creator or "")
    assert meta.author == "岳阳市市场监督管理局"
    assert meta.creation_date is not None
    assert meta.creation_date.date() == datetime.date(2026, 1, 5)


def test_same_licence_same_bytes(valid_pdf: bytes) -> None:
    assert render_licence_pdf(business_licence()) == valid_pdf


# -- QR code -----------------------------------------------------------------------------------


def test_a_full_length_verify_text_fits_one_byte_mode_symbol() -> None:
    assert len(QR_TEXT) > 1190
    qr = make_qr(QR_TEXT)
    assert not qr.is_micro
    assert qr.mode == "byte"
    assert 25 <= int(qr.version) <= 32  # 1 200 bytes at level M need version 28–29
    assert qr.error in ("M", "Q", "H")  # never below M


def test_text_beyond_the_largest_symbol_is_refused() -> None:
    with pytest.raises(segno.DataOverflowError):
        make_qr("x" * 3000)


@pytest.mark.parametrize("scale", [1, 4, 7])
def test_qr_png_draws_the_symbol_module_for_module(scale: int) -> None:
    png = qr_png(QR_TEXT, scale=scale)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    matrix = make_qr(QR_TEXT).matrix
    modules = len(matrix)
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == (scale * (modules + 2 * QUIET_ZONE),) * 2
    # Sample every module's centre: dark where the symbol is dark, white in the quiet zone.
    offset = QUIET_ZONE * scale + scale // 2
    for row in range(modules):
        for column in range(modules):
            pixel = image.getpixel((offset + column * scale, offset + row * scale))
            assert (pixel == 0) == bool(matrix[row][column]), (row, column)
    assert image.getpixel((0, 0)) == 255


def test_qr_svg_is_inline_accessible_and_scalable() -> None:
    svg = qr_svg(QR_TEXT)
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    assert svg.endswith("</svg>")
    assert 'role="img"' in svg
    assert "<title>电子证照核验二维码</title>" in svg
    modules = len(make_qr(QR_TEXT).matrix) + 2 * QUIET_ZONE
    assert f'viewBox="0 0 {modules} {modules}"' in svg
    assert f'width="{4 * modules}"' in svg
    assert 'fill="#fff"' in svg  # a white background, not transparent, for dark pages


def test_qr_svg_escapes_its_title() -> None:
    assert "<title>A&lt;B&amp;C</title>" in qr_svg("https://a.cn/v#x", title="A<B&C")
