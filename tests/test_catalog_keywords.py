"""Everyday names (俗称/常用说法) of items and bundles: validated with Chinese messages, and
kept on every road a spec travels (YAML file, database versions, Excel, admin, pages)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook  # type: ignore[import-untyped]
from pydantic import ValidationError

from tongban.catalog.actions import catalog_import
from tongban.catalog.admin.common import KeywordsField
from tongban.catalog.catalog_file import (
    CatalogFileError,
    dump_catalog_text,
    parse_catalog_text,
)
from tongban.catalog.excel import ITEMS_SHEET, export_workbook, parse_catalog_workbook
from tongban.catalog.lint import lint_bundle, lint_item
from tongban.catalog.models import BundleVersion, ItemVersion, ServiceItem
from tongban.catalog.spec import FORMAT, MAX_KEYWORDS, CatalogSpec
from tongban.catalog.store import published_bundle_specs, published_item_specs
from tongban.core.validation_messages import chinese_message

from .catalog_factories import item_data, make_bundle, make_item

VACCINATION = ["疫苗本", "接种本", "打针本"]


# --- the spec ------------------------------------------------------------------------


def test_keywords_are_optional_and_trimmed() -> None:
    assert make_item().keywords == []
    assert make_item(keywords=[" 疫苗本 ", "打针本"]).keywords == ["疫苗本", "打针本"]
    assert make_bundle(["T0001"], keywords=["丧事"]).keywords == ["丧事"]


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        (["疫苗本", " "], "俗称第 2 个为空"),
        (
            ["打疫苗的那个小本子上面记着什么时候打的什么针"],
            "俗称“打疫苗的那个小本子上面记着什么时候打的什么针”超过 20 个字符",
        ),
        (["疫苗本", "接种本", "疫苗本"], "俗称“疫苗本”重复"),
        (
            [f"俗称{i}" for i in range(MAX_KEYWORDS + 1)],
            f"俗称最多 {MAX_KEYWORDS} 个（现有 31 个）",
        ),
        (["疫苗本", 1160], "俗称第 2 个应为文本"),
    ],
)
def test_bad_keywords_are_refused_in_chinese(keywords: list[Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_item(keywords=keywords)
    (error,) = caught.value.errors()
    assert error["loc"] == ("keywords",)
    assert chinese_message(dict(error)) == message
    with pytest.raises(ValidationError):
        make_bundle(["T0001"], keywords=keywords)


def test_a_bad_keyword_in_a_file_is_located() -> None:
    text = dump_catalog_text(CatalogSpec(format=FORMAT, items=[make_item(keywords=VACCINATION)]))
    broken = text.replace("打针本]", "疫苗本]")
    with pytest.raises(CatalogFileError) as caught:
        parse_catalog_text(broken)
    (problem,) = caught.value.problems
    assert problem.message == "俗称“疫苗本”重复"
    assert problem.path == "items[0].keywords"
    assert problem.line == next(
        n for n, line in enumerate(broken.splitlines(), start=1) if "keywords:" in line
    )


def test_keywords_round_trip_through_the_yaml_file_on_one_line() -> None:
    catalog = CatalogSpec(
        format=FORMAT,
        items=[make_item(keywords=VACCINATION), make_item("T0002")],
        bundles=[make_bundle(["T0001", "T0002"], keywords=["丧事", "后事"])],
    )
    text = dump_catalog_text(catalog)
    assert "  keywords: [疫苗本, 接种本, 打针本]\n" in text
    assert "keywords: [丧事, 后事]" in text
    assert text.count("keywords:") == 2  # an item without keywords writes none
    again = parse_catalog_text(text)
    assert again == catalog
    assert dump_catalog_text(again) == text


def test_a_digit_keyword_is_quoted_so_it_stays_text() -> None:
    catalog = CatalogSpec(format=FORMAT, items=[make_item(keywords=["1160", "二手房过户"])])
    text = dump_catalog_text(catalog)
    assert "keywords: ['1160', 二手房过户]" in text
    assert parse_catalog_text(text) == catalog


def test_lint_warns_about_a_keyword_that_repeats_the_name() -> None:
    item = make_item(name="继承公证", keywords=["继承公证", "遗产公证"])
    (problem,) = [p for p in lint_item(item) if p.rule == "keyword_is_name"]
    assert not problem.is_error
    assert problem.path == "keywords[0]"
    bundle = make_bundle(["T0001"], name="身后一件事", keywords=["身后一件事"])
    assert [p.rule for p in lint_bundle(bundle, {"T0001": make_item()})] == ["keyword_is_name"]


# --- the database, Excel, admin and pages ---------------------------------------------


def _publish_keywords(item_code: str, keywords: list[str], bundle_keywords: list[str]) -> None:
    item = published_item_specs([item_code])[item_code]
    bundle = published_bundle_specs(["newborn-mini"])["newborn-mini"]
    catalog_import(
        CatalogSpec(
            format=FORMAT,
            items=[item.model_copy(update={"keywords": keywords})],
            bundles=[bundle.model_copy(update={"keywords": bundle_keywords})],
        ),
        actor=None,
    )


@pytest.mark.usefixtures("mini_catalog")
def test_keywords_survive_publishing_and_a_new_draft() -> None:
    _publish_keywords("C0001", ["宝宝医保", "新生儿医保"], ["生孩子", "添丁"])
    version = ServiceItem.objects.get(code="C0001").published
    assert version is not None
    assert version.number == 2
    assert version.keywords == ["宝宝医保", "新生儿医保"]
    assert published_item_specs(["C0001"])["C0001"].keywords == ["宝宝医保", "新生儿医保"]
    assert published_bundle_specs(["newborn-mini"])["newborn-mini"].keywords == ["生孩子", "添丁"]
    bundle_version = BundleVersion.objects.get(bundle__code="newborn-mini", status="published")
    assert bundle_version.keywords == ["生孩子", "添丁"]
    # Importing the same keywords again changes nothing: no new version.
    _publish_keywords("C0001", ["宝宝医保", "新生儿医保"], ["生孩子", "添丁"])
    assert ItemVersion.objects.filter(item__code="C0001").count() == 2


@pytest.mark.usefixtures("mini_catalog")
def test_keywords_round_trip_through_the_workbook() -> None:
    _publish_keywords("C0001", ["宝宝医保", "新生儿医保"], [])
    book = load_workbook(io.BytesIO(export_workbook()))
    sheet = book[ITEMS_SHEET]
    column = next(c.column for c in sheet[1] if c.value == "俗称")
    row = next(r[0].row for r in sheet.iter_rows(min_row=2) if r[0].value == "C0001")
    assert sheet.cell(row=row, column=column).value == "宝宝医保、新生儿医保"
    catalog = parse_catalog_workbook(_saved(book))
    assert catalog.items_by_code()["C0001"].keywords == ["宝宝医保", "新生儿医保"]

    sheet.cell(row=row, column=column).value = "少儿医保，少儿医保"
    with pytest.raises(CatalogFileError) as caught:
        parse_catalog_workbook(_saved(book))
    (problem,) = caught.value.problems
    assert (problem.sheet, problem.line, problem.column) == (ITEMS_SHEET, row, column)
    assert problem.message == "俗称“少儿医保”重复"


@pytest.mark.usefixtures("mini_catalog")
def test_a_workbook_without_the_keywords_column_keeps_them() -> None:
    _publish_keywords("C0001", ["宝宝医保"], [])
    book = load_workbook(io.BytesIO(export_workbook()))
    sheet = book[ITEMS_SHEET]
    column = next(c.column for c in sheet[1] if c.value == "俗称")
    sheet.delete_cols(column)
    catalog = parse_catalog_workbook(_saved(book))
    assert catalog.items_by_code()["C0001"].keywords == ["宝宝医保"]


def _saved(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_admin_field_reads_a_line_of_names() -> None:
    field = KeywordsField()
    assert field.clean("疫苗本、接种本，打针本\n预防针本子") == [
        "疫苗本",
        "接种本",
        "打针本",
        "预防针本子",
    ]
    assert field.clean("") == []
    assert field.prepare_value(["疫苗本", "接种本"]) == "疫苗本、接种本"
    with pytest.raises(Exception, match="俗称“疫苗本”重复"):
        field.clean("疫苗本、疫苗本")


@pytest.mark.usefixtures("mini_catalog")
def test_a_draft_gets_its_keywords_in_the_admin(logged_in: Any) -> None:
    from .test_catalog_admin import ITEMS, VERSIONS, _form_data

    client = logged_in("catalog")
    item = ServiceItem.objects.get(code="C0001")
    client.post(f"{ITEMS}{item.pk}/new-draft/")
    draft = ItemVersion.objects.get(item=item, status="draft")
    data = _form_data(client.get(f"{VERSIONS}{draft.pk}/change/"))
    data["keywords"] = "宝宝医保、少儿医保、宝宝医保"
    page = client.post(f"{VERSIONS}{draft.pk}/change/", data)
    assert page.status_code == 200
    assert "俗称“宝宝医保”重复" in page.content.decode()
    data["keywords"] = "宝宝医保、少儿医保"
    assert client.post(f"{VERSIONS}{draft.pk}/change/", data).status_code == 302
    draft.refresh_from_db()
    assert draft.keywords == ["宝宝医保", "少儿医保"]
    # Shown read-only, as text, once published.
    assert client.post(f"{VERSIONS}{draft.pk}/publish/").status_code == 302
    assert "宝宝医保、少儿医保" in client.get(f"{VERSIONS}{draft.pk}/change/").content.decode()


@pytest.mark.usefixtures("mini_catalog")
def test_the_guide_pages_show_the_everyday_names(client: Client) -> None:
    assert 'data-testid="keywords"' not in client.get("/catalog/items/C0001/").content.decode()
    _publish_keywords("C0001", ["宝宝医保", "新生儿医保"], ["生孩子", "添丁"])
    item_page = client.get("/catalog/items/C0001/").content.decode()
    assert "又称：宝宝医保、新生儿医保" in item_page
    bundle_page = client.get("/catalog/bundles/newborn-mini/").content.decode()
    assert "又称：生孩子、添丁" in bundle_page


@pytest.mark.usefixtures("mini_catalog")
def test_the_api_gives_the_keywords(client: Client) -> None:
    _publish_keywords("C0001", ["宝宝医保"], ["生孩子"])
    assert client.get("/api/v1/catalog/items/C0001").json()["keywords"] == ["宝宝医保"]
    assert client.get("/api/v1/catalog/bundles/newborn-mini").json()["keywords"] == ["生孩子"]


def test_item_data_without_keywords_still_validates() -> None:
    # Catalog files written before round 4 have no keywords key.
    assert "keywords" not in item_data()
    assert make_item().keywords == []
