"""The catalog YAML file: lossless round trip and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tongban.catalog.actions import catalog_export, catalog_import
from tongban.catalog.catalog_file import (
    CatalogFileError,
    dump_catalog_text,
    parse_catalog_files,
    parse_catalog_text,
)
from tongban.catalog.demo import demo_catalog_files
from tongban.catalog.models import ItemVersion

MINI = Path(__file__).parent / "data" / "mini-catalog.yaml"


def test_text_round_trip_is_lossless() -> None:
    spec = parse_catalog_text(MINI.read_text(encoding="utf-8"))
    text = dump_catalog_text(spec)
    assert parse_catalog_text(text) == spec
    assert dump_catalog_text(parse_catalog_text(text)) == text


def test_demo_catalog_round_trips_through_text() -> None:
    spec = parse_catalog_files(demo_catalog_files())
    assert parse_catalog_text(dump_catalog_text(spec)) == spec


def test_database_round_trip_export_import_export_is_identical(mini_catalog: None) -> None:
    first = dump_catalog_text(catalog_export())
    versions = ItemVersion.objects.count()
    report = catalog_import(parse_catalog_text(first), actor=None)
    assert report.count("added") == 0
    assert report.count("changed") == 0
    assert ItemVersion.objects.count() == versions, "an unchanged import made new versions"
    assert dump_catalog_text(catalog_export()) == first


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogFileError) as caught:
        parse_catalog_text(text)
    return [str(p) for p in caught.value.problems]


def test_errors_name_the_line_and_column() -> None:
    text = MINI.read_text(encoding="utf-8")
    broken = text.replace("necessity: 容缺后补", "necessity: 容缺").replace(
        "    visits: 0\n    online_depth: 全程网办\n    delivery: [邮寄]\n    legal_basis: 《中华人民共和国户口登记条例》",
        "    visits: -1\n    online_depth: 全程网办\n    delivery: [邮寄]\n    legal_basis: 《中华人民共和国户口登记条例》",
    )
    lines = broken.splitlines()
    necessity_line = next(n for n, line in enumerate(lines, 1) if "necessity: 容缺" in line)
    visits_line = next(n for n, line in enumerate(lines, 1) if "visits: -1" in line)
    problems = problems_of(broken)
    assert any(
        p.startswith(f"第 {necessity_line} 行") and "“容缺”不是有效选项" in p for p in problems
    ), problems
    assert any(p.startswith(f"第 {visits_line} 行") and "不能小于 0" in p for p in problems)


def test_unknown_and_missing_keys_are_reported() -> None:
    text = MINI.read_text(encoding="utf-8").replace(
        '    basic_code: "000000000002"\n', '    basic_cod: "000000000002"\n'
    )
    problems = problems_of(text)
    assert any("items[1].basic_code" in p and "缺少必填项" in p for p in problems)
    assert any("items[1].basic_cod" in p and "不认识的键" in p for p in problems)


def test_yaml_syntax_errors_and_wrong_format_are_clear() -> None:
    assert problems_of("format: tongban-catalog/1\nitems: [\n")[0].startswith("第 3 行")
    assert any("tongban-catalog/1" in p for p in problems_of("format: other/9\n"))
    assert problems_of("- just a list\n") == [
        "文件内容应为一个对象，以 format: tongban-catalog/1 开头"
    ]


def test_duplicate_codes_across_files_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CatalogFileError) as caught:
        parse_catalog_files([str(MINI), str(copy)])
    assert "重复" in str(caught.value)
