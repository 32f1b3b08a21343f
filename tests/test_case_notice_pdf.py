"""Written notices laid out as PDF: Chinese text really in the file, font embedded, paging."""

from __future__ import annotations

import dataclasses
import datetime
import io
import re
from typing import Any

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from tongban.cases import notice_pdf
from tongban.cases.notice_data import NoticeData
from tongban.cases.notice_pdf import NoticeFontMissing, chinese_date, render_notice_pdf, wrap_text

PARAGRAPH = (
    "你（单位）于2026年11月20日提出的“新生儿出生一件事”申请，经审查，申请材料齐全、"
    "符合法定形式，根据《中华人民共和国行政许可法》第三十二条第一款第（五）项的规定，决定予以受理。"
)


def acceptance(**changes: object) -> NoticeData:
    values: dict[str, object] = {
        "kind": "acceptance",
        "title": "受理通知书",
        "number": "岳阳市公安局受字〔2026〕第000123号",
        "case_no": "430600-20261121-000123",
        "addressee": "张三",
        "item_name": "新生儿出生一件事",
        "department_name": "岳阳市政务服务中心",
        "issued_on": datetime.date(2026, 11, 21),
        "paragraphs": [
            PARAGRAPH,
            "本事项承诺办结时限为5个工作日，请通过岳阳市政务服务网"
            "（https://zwfw.yueyang.gov.cn/case/430600-20261121-000123）查询办理进度。",
        ],
        "rows": [
            ("申请人", "张三"),
            (
                "事项名称",
                "新生儿出生一件事（出生医学证明、户口登记、城乡居民医保参保登记、社会保障卡申领）",
            ),
            ("承诺时限", "5个工作日"),
        ],
        "verify_url": "https://zwfw.yueyang.gov.cn/verify/ABCD-1234",
    }
    values.update(changes)
    return NoticeData(**values)  # type: ignore[arg-type]


def supplement(count: int) -> NoticeData:
    return NoticeData(
        kind="supplement",
        title="一次性告知书",
        number="岳阳市市场监管局补字〔2026〕第000045号",
        case_no="430600-20261121-000045",
        addressee="岳阳市洞庭湖餐饮管理有限公司",
        item_name="开办餐馆一件事",
        department_name="岳阳市市场监督管理局",
        issued_on=datetime.date(2026, 11, 21),
        paragraphs=["你单位提交的申请材料不齐全，现一次性告知需要补正的全部内容如下："],
        materials=[
            (
                f"食品经营许可申请书（第{n}份）",
                f"第{n}项：缺少法定代表人签字，经营场所平面图未标注面积。",
            )
            for n in range(1, count + 1)
        ],
    )


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_texts(pdf: bytes) -> list[str]:
    return [squash(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_acceptance_notice_has_its_chinese_text() -> None:
    pdf = render_notice_pdf(acceptance())

    assert pdf.startswith(b"%PDF-")
    (text,) = page_texts(pdf)
    assert text.startswith("受理通知书岳阳市公安局受字〔2026〕第000123号张三：")
    assert squash(PARAGRAPH) in text
    assert "https://zwfw.yueyang.gov.cn/case/430600-20261121-000123" in text
    assert (
        "事项名称新生儿出生一件事（出生医学证明、户口登记、城乡居民医保参保登记、社会保障卡申领）"
        in text
    )
    assert "岳阳市政务服务中心2026年11月21日" in text
    assert "核验地址：https://zwfw.yueyang.gov.cn/verify/ABCD-1234" in text
    assert "办件编号：430600-20261121-000123" in text
    assert "第1页/共1页" in text


def test_metadata_is_chinese_and_dated_by_the_notice() -> None:
    reader = PdfReader(io.BytesIO(render_notice_pdf(acceptance())))

    assert reader.metadata is not None
    assert reader.metadata.title == "受理通知书"
    assert reader.metadata.subject == "新生儿出生一件事：受理通知书"
    assert reader.metadata.author == "岳阳市政务服务中心"
    china = datetime.timezone(datetime.timedelta(hours=8))
    assert reader.metadata.creation_date == datetime.datetime(2026, 11, 21, tzinfo=china)


def test_forty_materials_run_over_pages_with_a_footer_on_each() -> None:
    pages = page_texts(render_notice_pdf(supplement(40)))

    assert len(pages) >= 2
    for number, text in enumerate(pages, 1):
        assert "办件编号：430600-20261121-000045" in text
        assert f"第{number}页/共{len(pages)}页" in text
        if "缺少法定代表人签字" in text:  # the table's headings are repeated on every page
            assert "序号材料名称需补正的内容及原因" in text
    everything = "".join(pages)
    for n in range(1, 41):
        assert f"{n}食品经营许可申请书（第{n}份）第{n}项：缺少法定代表人签字" in everything
    assert pages[-1].index("第40项") < pages[-1].index("岳阳市市场监督管理局2026年11月21日")
    assert "核验地址" not in everything  # no verify_url, no line


def test_font_is_embedded_as_a_small_static_subset() -> None:
    reader = PdfReader(io.BytesIO(render_notice_pdf(acceptance())))
    resources = reader.pages[0]["/Resources"]
    assert isinstance(resources, DictionaryObject)
    font_dict = resources["/Font"].get_object()
    assert isinstance(font_dict, DictionaryObject)
    fonts = [font.get_object() for font in font_dict.values()]

    assert fonts
    for font in fonts:
        assert font["/Subtype"] == "/Type0"
        assert re.fullmatch(r"/[A-Z]{6}\+\S+", font["/BaseFont"])  # subset tag
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
        assert stream is not None, "font not embedded"
        data = stream.get_object().get_data()
        assert len(data) < 200_000  # the used glyphs, not the 17 MB font
        if "/FontFile2" in descriptor:
            embedded = TTFont(io.BytesIO(data))
            assert embedded["maxp"].numGlyphs < 500
            assert "fvar" not in embedded  # a variable font is instantiated, not embedded Thin
            assert embedded["OS/2"].usWeightClass in (400, 700)


def test_same_notice_same_bytes() -> None:
    assert render_notice_pdf(acceptance()) == render_notice_pdf(acceptance())
    assert render_notice_pdf(acceptance()) != render_notice_pdf(acceptance(addressee="李四"))


def test_layout_indents_paragraphs_and_puts_the_signature_right() -> None:
    positions: dict[str, tuple[float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip() and squash(text) not in positions:
            positions[squash(text)] = (tm[4], tm[5])

    notice = acceptance(number="受字第1号")
    page = PdfReader(io.BytesIO(render_notice_pdf(notice))).pages[0]
    page.extract_text(visitor_text=visit)
    width = float(page.mediabox.width)
    left = positions["张三："][0]

    assert positions["受理通知书"][0] > width / 3  # centred
    assert positions["受字第1号"][0] > width / 2  # right-aligned
    first = next(x for text, (x, _) in positions.items() if text.startswith("你（单位）"))
    assert first == pytest.approx(left + 30, abs=0.5)  # two 15 pt characters
    second = next(x for text, (x, _) in positions.items() if PARAGRAPH.find(text) > 0)
    assert second == pytest.approx(left, abs=0.5)
    assert positions["2026年11月21日"][0] > width / 2


def test_characters_the_font_lacks_show_as_a_box_not_nothing() -> None:
    (text,) = page_texts(render_notice_pdf(acceptance(addressee="张\U0001f600三")))

    assert "张□三：" in text


def test_chinese_date() -> None:
    assert chinese_date(datetime.date(2026, 1, 5)) == "2026年1月5日"


def width_of(text: str) -> float:
    """Full-width characters are 1 wide, ASCII ½."""
    return sum(0.5 if ord(char) < 128 else 1.0 for char in text)


def test_wrap_never_starts_a_line_with_closing_punctuation() -> None:
    assert wrap_text("一二三四五，六七", 5, width_of) == ["一二三四", "五，六七"]
    assert wrap_text("一二三四。”六七", 5, width_of) == ["一二三", "四。”六七"]


def test_wrap_never_ends_a_line_with_opening_punctuation() -> None:
    assert wrap_text("一二三四《五六》七", 5, width_of) == ["一二三四", "《五六》七"]


def test_wrap_keeps_numbers_and_words_whole_and_indents_the_first_line() -> None:
    lines = wrap_text("共计12345678元，tongban平台", 6, width_of, first_indent=2)

    assert lines == ["共计", "12345678元，", "tongban平台"]


def test_wrap_breaks_what_is_wider_than_a_line_and_loses_nothing() -> None:
    url = "https://zwfw.yueyang.gov.cn/case/430600-20261121-000123"
    text = f"请登录（{url}）查询。"
    lines = wrap_text(text, 10, width_of)

    assert "".join(lines) == text
    assert all(width_of(line) <= 10 for line in lines)
    assert not any(line[0] in "）。" for line in lines)
    assert not any(line.endswith("（") for line in lines)
    assert wrap_text("甲\n乙", 10, width_of) == ["甲", "乙"]


def test_no_font_anywhere_fails_with_a_clear_chinese_message(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.TONGBAN_PDF_FONT = ""
    monkeypatch.setattr(notice_pdf, "_font_cache", {})
    monkeypatch.setattr(notice_pdf, "_package_font", lambda: None)
    monkeypatch.setattr(notice_pdf, "SYSTEM_FONT_PATHS", ())
    monkeypatch.setattr(notice_pdf, "_fc_list_fonts", list)

    with pytest.raises(NoticeFontMissing) as error:
        render_notice_pdf(acceptance())

    assert error.value.code == "notice_font_missing"
    assert error.value.status == 500
    assert "justmytype-intl-cjk" in error.value.detail
    assert "fonts-noto-cjk" in error.value.detail


def test_font_setting_naming_a_missing_or_non_chinese_file_fails(settings: Any) -> None:
    settings.TONGBAN_PDF_FONT = "/nonexistent/font.ttf"
    with pytest.raises(NoticeFontMissing, match=re.escape("/nonexistent/font.ttf")):
        render_notice_pdf(acceptance())

    settings.TONGBAN_PDF_FONT = notice_pdf.__file__  # not a font
    with pytest.raises(NoticeFontMissing):
        render_notice_pdf(acceptance())


def test_the_verify_address_is_a_qr_code_top_right_of_the_first_page_only() -> None:
    from PIL import Image

    from tongban.licences.qr import QUIET_ZONE, make_qr

    from .test_licence_pdf import drawn_images, operations

    url = "https://zwfw.yueyang.gov.cn/verify/notice/ABCD-1234"
    pdf = render_notice_pdf(dataclasses.replace(supplement(40), verify_url=url))
    counts = drawn_images(pdf)
    assert len(counts) > 1
    assert counts == [1] + [0] * (len(counts) - 1)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    ops = operations(page)
    do_index = next(i for i, (_, op) in enumerate(ops) if op == b"Do")
    side, _b, _c, side_y, x, y = (float(n) for n in ops[do_index - 1][0])
    assert side == side_y > 55  # about 22 mm
    assert x > width / 2
    assert y > height - 30 * 72 / 25.4 - 1  # inside the 30 mm top margin, above the title
    # The picture is the symbol of the printed address, module for module.
    image = next(iter(page.images)).image
    assert image is not None
    grey = image.convert("L")
    matrix = make_qr(url).matrix
    scale = grey.size[0] // (len(matrix) + 2 * QUIET_ZONE)
    offset = QUIET_ZONE * scale + scale // 2
    for row in range(len(matrix)):
        for column in range(len(matrix)):
            dark = grey.getpixel((offset + column * scale, offset + row * scale)) == 0
            assert dark == bool(matrix[row][column])
    assert isinstance(image, Image.Image)
    assert drawn_images(render_notice_pdf(supplement(1))) == [0]  # no address, no code
