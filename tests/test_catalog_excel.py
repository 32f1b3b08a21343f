"""The Excel workbook of items and materials: export, import, and every error located."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]

from tongban.catalog.actions import LintFailed, catalog_import
from tongban.catalog.catalog_file import CatalogFileError, FileProblem
from tongban.catalog.excel import (
    ITEMS_SHEET,
    MATERIALS_SHEET,
    README_SHEET,
    describe_problem,
    export_workbook,
    parse_catalog_workbook,
)
from tongban.catalog.models import ItemVersion, ServiceItem
from tongban.catalog.store import published_item_specs
from tongban.core.models import AuditEvent

pytestmark = pytest.mark.usefixtures("mini_catalog")


def _edit(change: Callable[[Workbook], Any]) -> bytes:
    """The exported workbook with `change` applied, as the bytes a user would upload."""
    book = load_workbook(io.BytesIO(export_workbook()))
    change(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _column(sheet: Any, header: str) -> int:
    return next(cell.column for cell in sheet[1] if cell.value == header)


def _row(sheet: Any, code: str, key: str | None = None) -> int:
    """The row of an item (事项) or of one of its materials (材料)."""
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == code and (key is None or row[1].value == key):
            return int(row[0].row)
    raise AssertionError(f"no row for {code} {key}")


def _set(sheet: Any, code: str, header: str, value: Any, key: str | None = None) -> None:
    # Not `sheet.cell(..., value=value)`: that ignores None.
    sheet.cell(row=_row(sheet, code, key), column=_column(sheet, header)).value = value


def _problems(data: bytes) -> list[FileProblem]:
    with pytest.raises(CatalogFileError) as caught:
        parse_catalog_workbook(data)
    return caught.value.problems


def _state() -> tuple[list[tuple[str, int, str]], int]:
    versions = list(ItemVersion.objects.values_list("item__code", "number", "status"))
    return sorted(versions), AuditEvent.objects.count()


# --- export --------------------------------------------------------------------------


def test_export_writes_labelled_sheets_with_a_frozen_bold_header() -> None:
    book = load_workbook(io.BytesIO(export_workbook()))
    assert book.sheetnames == [ITEMS_SHEET, MATERIALS_SHEET, README_SHEET]
    items, materials = book[ITEMS_SHEET], book[MATERIALS_SHEET]
    assert [c.value for c in items[1]][:5] == [
        "实施编码",
        "基本编码",
        "部门标识",
        "事项名称",
        "事项类型",
    ]
    assert all(cell.font.bold for cell in items[1])
    assert items.freeze_panes == "B2"
    assert items.column_dimensions["D"].width > 20
    assert [items.cell(row=r, column=1).value for r in range(2, 6)] == [
        "A0001",
        "B0001",
        "C0001",
        "D0001",
    ]
    b_row = _row(items, "B0001")
    cell = {c.value: items.cell(row=b_row, column=c.column).value for c in items[1]}
    assert cell["事项类型"] == "行政确认"
    assert cell["服务对象"] == "自然人"
    assert cell["网上办理深度"] == "全程网办"
    assert cell["审批环节"] == "受理→审核→决定"
    assert cell["法定时限"] == 30
    assert cell["基本编码"] == "000000000002"
    married = _row(materials, "B0001", "marriage_certificate")
    assert materials.cell(row=married, column=_column(materials, "适用条件")).value == (
        '{"==": [{"var": "married"}, "yes"]}'
    )
    assert materials.cell(row=married, column=_column(materials, "来源渠道")).value == "申请人提供"
    # Materials keep their order within the item.
    keys = [r[1].value for r in materials.iter_rows(min_row=2) if r[0].value == "B0001"]
    assert keys[:2] == ["birth_medical_certificate", "hukou_booklet"]
    readme = " ".join(str(c.value) for row in book[README_SHEET].iter_rows() for c in row)
    assert "跨省通办" in readme
    assert "yy-gongan" in readme


def test_export_then_import_is_all_unchanged() -> None:
    catalog = parse_catalog_workbook(export_workbook())
    assert [i.code for i in catalog.items] == ["A0001", "B0001", "C0001", "D0001"]
    assert catalog.bundles == []
    assert catalog.departments == []
    report = catalog_import(catalog, actor=None, dry_run=True)
    assert {c.action for c in report.changes} == {"unchanged"}
    assert report.count("unchanged") == 4


# --- import --------------------------------------------------------------------------


def test_a_material_change_publishes_a_new_version_of_just_that_item(persona) -> None:
    def rename(book: Workbook) -> None:
        _set(book[MATERIALS_SHEET], "C0001", "材料名称", "居民身份证或社保卡", "id_card")

    catalog = parse_catalog_workbook(_edit(rename))
    preview = catalog_import(catalog, actor=persona("catalog"), dry_run=True)
    assert [(c.code, c.action, c.fields) for c in preview.changes if c.action != "unchanged"] == [
        ("C0001", "changed", ["materials"])
    ]
    report = catalog_import(catalog, actor=persona("catalog"))
    assert report.applied
    numbers = dict(ServiceItem.objects.values_list("code", "published__number"))
    assert numbers == {"A0001": 1, "B0001": 1, "C0001": 2, "D0001": 1}
    spec = published_item_specs(["C0001"])["C0001"]
    assert spec.materials[0].name == "居民身份证或社保卡"
    # Fields are not in the workbook: the item keeps those of its published version.
    assert [f.key for f in spec.fields] == ["applicant.id_number", "applicant.phone"]


def test_questions_and_fields_of_an_existing_item_are_kept() -> None:
    def retime(book: Workbook) -> None:
        _set(book[ITEMS_SHEET], "B0001", "承诺时限", 3)
        _set(book[ITEMS_SHEET], "B0001", "审批环节", "受理→审核（2个工作日）→决定")

    spec = parse_catalog_workbook(_edit(retime)).items_by_code()["B0001"]
    assert spec.promised_limit.days == 3
    assert [(s.name, s.days) for s in spec.steps] == [("受理", None), ("审核", 2), ("决定", None)]
    assert [q.key for q in spec.questions] == ["born_here", "married"]
    assert [f.key for f in spec.fields] == ["child.name", "applicant.id_number"]
    assert spec.material("marriage_certificate") is not None


def test_a_new_item_gets_its_materials_and_no_questions() -> None:
    def add(book: Workbook) -> None:
        items, materials = book[ITEMS_SHEET], book[MATERIALS_SHEET]
        template = [c.value for c in items[_row(items, "C0001")]]
        template[0], template[1], template[3] = "E0001", "000000000005", "新增测试事项"
        items.append(template)
        materials.append(["E0001", "photo", "近期免冠照片", None, None, 2])

    report = catalog_import(parse_catalog_workbook(_edit(add)), actor=None)
    assert [(c.code, c.action) for c in report.changes if c.action != "unchanged"] == [
        ("E0001", "added")
    ]
    spec = published_item_specs(["E0001"])["E0001"]
    assert spec.questions == []
    assert spec.fields == []
    assert [(m.key, m.copies, m.form) for m in spec.materials] == [("photo", 2, "original")]


def test_a_column_left_out_keeps_its_values() -> None:
    def drop(book: Workbook) -> None:
        items = book[ITEMS_SHEET]
        items.delete_cols(_column(items, "设定依据"))

    report = catalog_import(parse_catalog_workbook(_edit(drop)), actor=None, dry_run=True)
    assert {c.action for c in report.changes} == {"unchanged"}


def test_a_workbook_without_the_materials_sheet_keeps_materials() -> None:
    def drop(book: Workbook) -> None:
        del book[MATERIALS_SHEET]

    report = catalog_import(parse_catalog_workbook(_edit(drop)), actor=None, dry_run=True)
    assert {c.action for c in report.changes} == {"unchanged"}


# --- errors: each one located by sheet, row and column --------------------------------


def _unknown_header(book: Workbook) -> None:
    book[ITEMS_SHEET].cell(row=1, column=26, value="备注")


def _missing_name(book: Workbook) -> None:
    _set(book[ITEMS_SHEET], "B0001", "事项名称", None)


def _bad_choice(book: Workbook) -> None:
    _set(book[ITEMS_SHEET], "C0001", "办件类型", "急办件")


def _bad_limit(book: Workbook) -> None:
    _set(book[ITEMS_SHEET], "D0001", "法定时限", "二十")


def _unknown_item(book: Workbook) -> None:
    book[MATERIALS_SHEET].append(["Z9999", "photo", "照片"])


def _duplicate_code(book: Workbook) -> None:
    items = book[ITEMS_SHEET]
    items.append([c.value for c in items[_row(items, "A0001")]])


def _bad_json(book: Workbook) -> None:
    _set(
        book[MATERIALS_SHEET],
        "B0001",
        "适用条件",
        '{"==": [{"var": "married"}, "yes"]',
        "marriage_certificate",
    )


def _bad_basic_code(book: Workbook) -> None:
    _set(book[ITEMS_SHEET], "A0001", "基本编码", "12345")


def _bad_material_key(book: Workbook) -> None:
    _set(book[MATERIALS_SHEET], "D0001", "材料标识", "Photo Card", "photo")


def _not_a_condition(book: Workbook) -> None:
    _set(book[MATERIALS_SHEET], "C0001", "适用条件", "[1, 2]", "id_card")


def _unknown_department(book: Workbook) -> None:
    _set(book[ITEMS_SHEET], "C0001", "部门标识", "yy-nowhere")


def _duplicate_material(book: Workbook) -> None:
    materials = book[MATERIALS_SHEET]
    materials.append([c.value for c in materials[_row(materials, "D0001", "photo")]])


@pytest.mark.parametrize(
    ("change", "sheet", "row", "column", "header", "words"),
    [
        (_unknown_header, ITEMS_SHEET, 1, 26, "", "不认识的列“备注”"),
        (_missing_name, ITEMS_SHEET, 3, 4, "事项名称", "必填"),
        (_bad_choice, ITEMS_SHEET, 4, 11, "办件类型", "可选：即办件、承诺件"),
        (_bad_limit, ITEMS_SHEET, 5, 7, "法定时限", "应为整数"),
        (_unknown_item, MATERIALS_SHEET, 14, 1, "实施编码", "不在“事项”工作表中"),
        (_duplicate_code, ITEMS_SHEET, 6, 1, "实施编码", "与第 2 行重复"),
        (_bad_json, MATERIALS_SHEET, 7, 13, "适用条件", "不是有效的 JSON"),
        (_bad_basic_code, ITEMS_SHEET, 2, 2, "基本编码", "格式不正确"),
        (_bad_material_key, MATERIALS_SHEET, 12, 2, "材料标识", "格式不正确"),
        (_not_a_condition, MATERIALS_SHEET, 10, 13, "适用条件", "JSONLogic"),
        (_duplicate_material, MATERIALS_SHEET, 14, 2, "材料标识", "与第 12 行重复"),
        (_unknown_department, ITEMS_SHEET, 4, 3, "部门标识", "部门标识“yy-nowhere”不存在"),
    ],
)
def test_each_error_names_its_sheet_row_and_column(
    change: Callable[[Workbook], None], sheet: str, row: int, column: int, header: str, words: str
) -> None:
    problems = _problems(_edit(change))
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.sheet, problem.line, problem.column, problem.path) == (
        sheet,
        row,
        column,
        header,
    )
    assert words in problem.message


def test_all_problems_are_reported_together() -> None:
    def break_two(book: Workbook) -> None:
        _bad_choice(book)
        _bad_json(book)

    problems = _problems(_edit(break_two))
    assert {(p.sheet, p.line) for p in problems} == {(ITEMS_SHEET, 4), (MATERIALS_SHEET, 7)}
    assert describe_problem(problems[1]) == (
        "工作表“材料”第 7 行 M 列（适用条件）：不是有效的 JSON：Expecting ',' delimiter（第 35 个字符）"
    )


def test_missing_required_column_and_sheet() -> None:
    def drop(book: Workbook) -> None:
        book[ITEMS_SHEET].delete_cols(_column(book[ITEMS_SHEET], "结果名称"))

    [problem] = _problems(_edit(drop))
    assert (problem.sheet, problem.line, problem.path) == (ITEMS_SHEET, 1, "结果名称")
    assert "缺少必需的列" in problem.message

    def rename(book: Workbook) -> None:
        book[ITEMS_SHEET].title = "事项清单"

    [problem] = _problems(_edit(rename))
    assert problem.message == "缺少工作表“事项”"


def test_rows_are_numbered_as_excel_shows_them_even_after_blank_rows() -> None:
    def gap(book: Workbook) -> None:
        materials = book[MATERIALS_SHEET]
        materials.cell(row=20, column=1).value = "C0001"
        materials.cell(row=20, column=2).value = "photo"  # 材料名称 left empty

    [problem] = _problems(_edit(gap))
    assert (problem.sheet, problem.line, problem.path) == (MATERIALS_SHEET, 20, "材料名称")


def test_a_file_that_is_not_a_workbook_is_refused_in_chinese() -> None:
    [problem] = _problems(b"format: tongban-catalog/1\n")
    assert ".xlsx" in problem.message


# --- nothing half-imported -------------------------------------------------------------


def test_a_failing_workbook_writes_nothing() -> None:
    def good_and_bad(book: Workbook) -> None:
        _set(book[MATERIALS_SHEET], "C0001", "材料名称", "改名", "id_card")
        _bad_limit(book)

    before = _state()
    with pytest.raises(CatalogFileError):
        catalog_import(parse_catalog_workbook(_edit(good_and_bad)), actor=None)
    assert _state() == before


def test_a_lint_error_in_one_item_refuses_the_whole_workbook() -> None:
    def good_and_bad(book: Workbook) -> None:
        _set(book[MATERIALS_SHEET], "C0001", "材料名称", "改名", "id_card")
        _set(book[ITEMS_SHEET], "A0001", "承诺时限", 30)  # more than the statutory 20 days

    before = _state()
    with pytest.raises(LintFailed) as caught:
        catalog_import(parse_catalog_workbook(_edit(good_and_bad)), actor=None)
    assert [p.rule for p in caught.value.problems if p.is_error] == ["promised_exceeds_statutory"]
    assert _state() == before


# --- the command -----------------------------------------------------------------------


def test_command_exports_and_dry_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "catalog.xlsx"
    call_command("catalog_excel", "export", str(path))
    assert load_workbook(path).sheetnames[0] == ITEMS_SHEET
    call_command("catalog_excel", "import", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "试导入（未写入）：新增 0，修改 0，不变 4" in out


def test_command_imports_and_lists_problems(tmp_path: Path) -> None:
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(_edit(lambda b: _set(b[MATERIALS_SHEET], "C0001", "份数", 2, "id_card")))
    before = _state()
    call_command("catalog_excel", "import", str(path), "--dry-run")
    assert _state() == before
    call_command("catalog_excel", "import", str(path))
    assert ServiceItem.objects.get(code="C0001").published.number == 2  # type: ignore[union-attr]

    path.write_bytes(_edit(_bad_limit))
    with pytest.raises(CommandError) as caught:
        call_command("catalog_excel", "import", str(path))
    assert "工作表“事项”第 5 行 G 列（法定时限）：应为整数" in str(caught.value)
