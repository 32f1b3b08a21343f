"""The Excel workbook of items and materials — the part of the catalog a county's staff
actually edit in a spreadsheet.

Sheets: “事项” (one row per item), “材料” (one row per material, grouped by 实施编码, in row
order) and “说明” (what each column means and which values it takes). Choices are written as
their Chinese labels. Situation questions, form fields and fees are not in the workbook: on
import an existing item keeps those of its published version, a new item gets none.

Reading never writes: it returns a CatalogSpec of just the items in the workbook for
`catalog_import` (which shows the diff first). Every problem names its sheet, its 1-based
Excel row and its column, and nothing is returned while any problem remains.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]
from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]
from pydantic import ValidationError

from tongban.core.models import Department
from tongban.core.validation_messages import chinese_message

from .catalog_file import CatalogFileError, FileProblem
from .enums import (
    ApprovalMode,
    CaseKind,
    CrossRegion,
    Delivery,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialFormat,
    MaterialSource,
    Necessity,
    OnlineDepth,
    ResultType,
    ServiceObject,
)
from .spec import FORMAT, CatalogSpec, ItemSpec, MaterialSpec
from .store import published_item_specs

ITEMS_SHEET = "事项"
MATERIALS_SHEET = "材料"
README_SHEET = "说明"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TEXT, INT, LIST, STEPS, JSON = "text", "int", "list", "steps", "json"
LIST_SEPARATOR = "、"
STEP_SEPARATOR = "→"
_LIST_SPLIT = re.compile(r"[、,，;；\n]+")
_STEP_SPLIT = re.compile(r"→|->")
_STEP_DAYS = re.compile(r"^(.+?)\s*[（(]\s*(\d+)\s*个?工作日\s*[）)]$")
_ITEM_CODE = ("_item",)  # the 实施编码 column of the materials sheet: not a material field


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: used as dict keys
class Column:
    header: str
    path: tuple[str, ...]  # where the value goes in the spec's data (aliases, as in YAML)
    kind: str = TEXT
    required: bool = False
    choices: type[models.Choices] | None = None
    default: Any = ""
    width: int = 14
    help: str = ""

    def allowed(self) -> list[str]:
        return [str(label) for _, label in self.choices.choices] if self.choices else []


def _choice(header: str, path: tuple[str, ...], enum: type[models.Choices], **kw: Any) -> Column:
    return Column(header, path, choices=enum, **{"width": 12, **kw})


# fmt: off
ITEM_COLUMNS = [
    Column("实施编码", ("code",), required=True, width=36, help="≤36位数字、大写字母或连字符；已有的编码即修改该事项"),
    Column("基本编码", ("basic_code",), required=True, width=16, help="12位数字或大写字母"),
    Column("部门标识", ("department",), required=True, width=16, help="实施机关，见本页末尾的部门列表"),
    Column("事项名称", ("name",), required=True, width=28),
    _choice("事项类型", ("type",), ItemType, required=True),
    Column("服务对象", ("service_objects",), LIST, True, ServiceObject, (), 16, "可填多个，用“、”分隔"),
    Column("法定时限", ("statutory_limit", "days"), INT, required=True, width=10, help="法定办结时限天数"),
    _choice("法定时限单位", ("statutory_limit", "unit"), LimitUnit, default=LimitUnit.WORKING, help="留空为工作日"),
    Column("承诺时限", ("promised_limit", "days"), INT, required=True, width=10, help="承诺办结时限天数；即办件填 0"),
    _choice("承诺时限单位", ("promised_limit", "unit"), LimitUnit, default=LimitUnit.WORKING, help="留空为工作日"),
    _choice("办件类型", ("case_kind",), CaseKind, required=True),
    Column("到现场次数", ("visits",), INT, required=True, width=10, help="0 表示零跑动"),
    Column("必须现场原因", ("visits_reason",), width=20, help="到现场次数大于 0 时必填"),
    _choice("网上办理深度", ("online_depth",), OnlineDepth, default=OnlineDepth.NONE, help="留空为不可网办"),
    Column("送达方式", ("delivery",), LIST, False, Delivery, (), 18, "可填多个，用“、”分隔"),
    _choice("通办范围", ("cross_region",), CrossRegion, default=CrossRegion.NONE, help="留空为不通办"),
    Column("设定依据", ("legal_basis",), width=40),
    Column("受理条件", ("accept_conditions",), width=40),
    _choice("结果类型", ("result", "type"), ResultType, required=True),
    Column("结果名称", ("result", "name"), required=True, width=20, help="审批结果（证照或文书）的名称"),
    Column("结果证照类型", ("result", "licence_type"), width=18, help="签发的电子证照类型标识；不签发证照留空"),
    _choice("审批方式", ("approval", "mode"), ApprovalMode, default=ApprovalMode.MANUAL, help="留空为人工审批"),
    Column("秒批规则", ("approval", "rule"), JSON, default=None, width=36, help='秒批事项的 JSONLogic 规则，读取 form（表单）和 checks（数据核验结果）'),
    Column("秒批规则说明", ("approval", "rule_text"), width=30, help="秒批事项必填：用文字说明规则"),
    Column("事后核查时限", ("approval", "verify_days"), INT, default=0, width=10, help="告知承诺事项必填：核查承诺的工作日数"),
    Column("办理地点", ("location",), width=30),
    Column("办理时间", ("hours",), width=24),
    Column("咨询电话", ("phone",), width=16),
    Column("审批环节", ("steps",), STEPS, default=(), width=30, help="按顺序用“→”连接，如 受理→审核→决定；环节时限写在括号里，如 审核（3个工作日）"),
    Column("俗称", ("keywords",), LIST, default=(), width=24, help="群众常用的叫法（俗称/常用说法），可填多个，用“、”分隔；每个不超过20个字，最多30个"),
]

MATERIAL_COLUMNS = [
    Column("实施编码", _ITEM_CODE, required=True, width=36, help="材料所属事项，须在“事项”工作表中"),
    Column("材料标识", ("key",), required=True, width=22, help="小写字母、数字、下划线或连字符；不同事项中相同标识表示同一份材料"),
    Column("材料名称", ("name",), required=True, width=26),
    _choice("材料形式", ("form",), MaterialForm, default=MaterialForm.ORIGINAL, help="留空为原件"),
    _choice("载体", ("format",), MaterialFormat, default=MaterialFormat.EITHER, help="留空为纸质或电子"),
    Column("份数", ("copies",), INT, default=1, width=8, help="留空为 1"),
    _choice("必要性", ("necessity",), Necessity, default=Necessity.REQUIRED, help="留空为必须"),
    _choice("来源渠道", ("source",), MaterialSource, default=MaterialSource.UPLOAD, help="留空为申请人提供"),
    Column("电子证照类型", ("licence_type",), width=22, help="来源渠道为电子证照时必填"),
    Column("核验数据库", ("register",), width=20, help="来源渠道为数据核验时必填"),
    Column("承诺内容", ("commitment",), width=30, help="来源渠道为告知承诺时必填"),
    Column("受理标准", ("standard",), width=24),
    Column("适用条件", ("when",), JSON, default=None, width=36, help='JSONLogic 条件，如 {"==": [{"var": "married"}, "yes"]}；留空表示始终需要'),
    Column("空白表格", ("blank_form",), width=16, help="空白表格的文件名"),
    Column("示例样表", ("sample",), width=16, help="示例样表的文件名"),
]
# fmt: on

SHEETS = {ITEMS_SHEET: ITEM_COLUMNS, MATERIALS_SHEET: MATERIAL_COLUMNS}


# --- export --------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOP_WRAP = Alignment(vertical="top", wrap_text=True)
LAST_VALIDATED_ROW = 5000


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _cell_value(column: Column, value: Any) -> Any:
    if column.kind == LIST:
        return LIST_SEPARATOR.join(value or []) or None
    if column.kind == STEPS:
        names = [
            step if isinstance(step, str) else f"{step['name']}（{step['days']}个工作日）"
            for step in value or []
        ]
        return STEP_SEPARATOR.join(names) or None
    if column.kind == JSON:
        return None if value is None else json.dumps(value, ensure_ascii=False)
    return None if value in ("", None) else value


def _write_sheet(sheet: Any, columns: list[Column], rows: list[dict[str, Any]]) -> None:
    sheet.append([c.header for c in columns])
    for data in rows:
        sheet.append([_cell_value(c, _get(data, c.path)) for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        header = sheet.cell(row=1, column=index)
        header.font, header.fill = HEADER_FONT, HEADER_FILL
        if column.kind != INT:
            # Text cells stay text when edited: 000000000001 must not become the number 1.
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "@"
                cell.alignment = TOP_WRAP
        if column.choices is not None and column.kind == TEXT:
            check = DataValidation(
                type="list",
                formula1='"' + ",".join(column.allowed()) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="取值无效",
                error=f"{column.header}可选：{'、'.join(column.allowed())}",
            )
            check.add(f"{letter}2:{letter}{LAST_VALIDATED_ROW}")
            sheet.add_data_validation(check)
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(sheet.max_row, 1)}"


def _write_readme(sheet: Any, departments: list[tuple[str, str]]) -> None:
    notes = [
        "通办 政务服务事项与申请材料（Excel 模板）",
        "“事项”工作表每行一个事项；“材料”工作表每行一份申请材料，按实施编码归属事项，行的先后即材料的顺序。",
        "导入时，已有的事项按实施编码修改：情形问题、表单字段和收费项目保留现行版本的内容；新事项没有这些内容，可在管理后台补充。",
        "某事项在“材料”工作表中的全部行替换该事项的材料清单；没有列入“事项”工作表的事项不受影响。",
        "导入前先显示将新增、修改的事项；文件中任何一处错误（会指出工作表、行和列）都不会导入任何内容。",
        "选项列请填写下表所列的中文名称；可填多个值的列用“、”分隔。",
    ]
    for note in notes:
        sheet.append([note])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(["工作表", "列名", "必填", "说明", "可选值"])
    header_row = sheet.max_row
    for name, columns in SHEETS.items():
        for column in columns:
            sheet.append(
                [
                    name,
                    column.header,
                    "是" if column.required else "",
                    column.help,
                    LIST_SEPARATOR.join(column.allowed()),
                ]
            )
    sheet.append([])
    sheet.append(["部门标识", "部门名称"])
    department_row = sheet.max_row
    for code, name in departments:
        sheet.append([code, name])
    for row in (header_row, department_row):
        for cell in sheet[row]:
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for letter, width in zip("ABCDE", (16, 16, 6, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width


def export_workbook(items: Iterable[ItemSpec] | None = None) -> bytes:
    """The workbook of the given items (default: every published item, by code)."""
    if items is None:
        current = published_item_specs()
        items = [current[code] for code in sorted(current)]
    item_rows, material_rows = [], []
    for item in items:
        data = item.model_dump(mode="json", by_alias=True)
        item_rows.append(data)
        material_rows += [{**m, "_item": item.code} for m in data["materials"]]
    book = Workbook()
    _write_sheet(book.active, ITEM_COLUMNS, item_rows)
    book.active.title = ITEMS_SHEET
    _write_sheet(book.create_sheet(MATERIALS_SHEET), MATERIAL_COLUMNS, material_rows)
    departments = list(
        Department.objects.filter(is_active=True).order_by("code").values_list("code", "name")
    )
    _write_readme(book.create_sheet(README_SHEET), departments)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- import --------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[FileProblem] = []

    def add(
        self, sheet: str, row: int, column: Column | None, index: int | None, text: str
    ) -> None:
        self.items.append(
            FileProblem(
                message=text, path=column.header if column else "", line=row, column=index,
                sheet=sheet,
            )
        )  # fmt: skip


@dataclass
class _Row:
    sheet: str
    number: int  # the 1-based Excel row
    values: dict[Column, Any]  # parsed cell values of the columns present in the sheet
    places: dict[Column, int]  # column → 1-based column index
    ok: bool = True

    def text(self, column: Column) -> str:
        value = self.values.get(column)
        return value if isinstance(value, str) else ""


def _cell_text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _parse_cell(column: Column, raw: Any) -> Any:
    """The cell's value for the spec; raises ValueError with a Chinese message."""
    text = _cell_text(raw)
    if column.kind == INT:
        if isinstance(raw, bool) or not re.fullmatch(r"-?\d+", text):
            raise ValueError(f"应为整数，如 20（现为“{text}”）")
        return int(text)
    if column.kind == JSON:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"不是有效的 JSON：{exc.msg}（第 {exc.pos + 1} 个字符）") from None
    if column.kind == STEPS:
        steps: list[Any] = []
        for part in filter(None, (p.strip() for p in _STEP_SPLIT.split(text))):
            match = _STEP_DAYS.match(part)
            steps.append({"name": match[1], "days": int(match[2])} if match else part)
        return steps
    values = (
        [p.strip() for p in _LIST_SPLIT.split(text) if p.strip()] if column.kind == LIST else [text]
    )
    allowed = column.allowed()
    for value in values:
        if allowed and value not in allowed:
            raise ValueError(f"“{value}”不是有效的{column.header}，可选：{'、'.join(allowed)}")
    return values if column.kind == LIST else text


def _read_sheet(sheet: Any, columns: list[Column], problems: _Problems) -> list[_Row] | None:
    """The sheet's non-empty rows; None when its header row is broken."""
    title = sheet.title
    by_header = {c.header: c for c in columns}
    sheet.reset_dimensions()  # don't trust the file's own idea of its size: read every row
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, ())
    before = len(problems.items)
    places: dict[Column, int] = {}
    for index, raw in enumerate(header, start=1):
        name = _cell_text(raw) if raw is not None else ""
        if not name:
            continue
        column = by_header.get(name)
        if column is None:
            message = f"不认识的列“{name}”（列名须与导出的模板一致，见“说明”工作表）"
            problems.add(title, 1, None, index, message)
        elif column in places:
            problems.add(title, 1, column, index, f"列“{name}”重复")
        else:
            places[column] = index
    for column in columns:
        if column.required and column not in places:
            problems.add(title, 1, column, None, f"缺少必需的列“{column.header}”")
    if len(problems.items) > before:
        return None  # rows can't be read reliably under a broken header
    result = []
    for number, cells in enumerate(rows, start=2):
        if all(c is None or _cell_text(c) == "" for c in cells):
            continue
        row = _Row(title, number, {}, places)
        for column, index in places.items():
            raw = cells[index - 1] if index <= len(cells) else None
            if raw is None or _cell_text(raw) == "":
                if column.required:
                    problems.add(title, number, column, index, "必填，不能为空")
                    row.ok = False
                row.values[column] = column.default
                continue
            try:
                row.values[column] = _parse_cell(column, raw)
            except ValueError as exc:
                problems.add(title, number, column, index, str(exc))
                row.ok = False
        result.append(row)
    return result


def _overlay(base: dict[str, Any], row: _Row) -> dict[str, Any]:
    """`base` (the current content, or nothing) with the row's cells written over it."""
    data = dict(base)
    for column, value in row.values.items():
        if column.path == _ITEM_CODE:
            continue
        target = data
        for part in column.path[:-1]:
            target[part] = dict(target.get(part) or {})
            target = target[part]
        target[column.path[-1]] = value
    return data


def _report_validation(
    error: ValidationError, row: _Row, columns: list[Column], problems: _Problems
) -> None:
    """Map each pydantic error back to the cell it came from (longest matching path)."""
    for item in error.errors():
        loc = tuple(part for part in item.get("loc", ()) if isinstance(part, str))
        found = None
        for column in columns:
            if loc[: len(column.path)] == column.path and (
                found is None or len(column.path) > len(found.path)
            ):
                found = column
        index = row.places.get(found) if found is not None else None
        problems.add(row.sheet, row.number, found, index, chinese_message(dict(item)))
    row.ok = False


def _material_rows(
    rows: list[_Row], items: dict[str, _Row], problems: _Problems
) -> dict[str, list[_Row]]:
    code_column, key_column = MATERIAL_COLUMNS[0], MATERIAL_COLUMNS[1]
    grouped: dict[str, list[_Row]] = {code: [] for code in items}
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        code, key = row.text(code_column), row.text(key_column)
        if code and code not in items:
            message = f"实施编码“{code}”不在“事项”工作表中；材料须属于本文件中的事项"
            problems.add(row.sheet, row.number, code_column, row.places[code_column], message)
            continue
        if code and key:
            first = seen.setdefault((code, key), row.number)
            if first != row.number:
                message = f"事项 {code} 的材料标识“{key}”与第 {first} 行重复"
                problems.add(row.sheet, row.number, key_column, row.places.get(key_column), message)
                continue
        if code:
            grouped[code].append(row)
    return grouped


def parse_catalog_workbook(data: bytes) -> CatalogSpec:
    """Read a workbook into a CatalogSpec of its items; raises CatalogFileError."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        message = "无法读取该文件：请上传 Excel 工作簿（.xlsx，不支持旧版 .xls）"
        raise CatalogFileError([FileProblem(message)]) from None
    try:
        return _parse_book(book)
    finally:
        book.close()


def _parse_book(book: Any) -> CatalogSpec:
    problems = _Problems()
    if ITEMS_SHEET not in book.sheetnames:
        raise CatalogFileError([FileProblem(f"缺少工作表“{ITEMS_SHEET}”", sheet=ITEMS_SHEET)])
    item_rows = _read_sheet(book[ITEMS_SHEET], ITEM_COLUMNS, problems)
    has_materials = MATERIALS_SHEET in book.sheetnames
    material_rows = (
        _read_sheet(book[MATERIALS_SHEET], MATERIAL_COLUMNS, problems) if has_materials else []
    )
    if item_rows is None or material_rows is None:
        raise CatalogFileError(problems.items)
    code_column, department_column = ITEM_COLUMNS[0], ITEM_COLUMNS[2]
    departments = set(Department.objects.values_list("code", flat=True))
    items: dict[str, _Row] = {}
    for row in item_rows:
        department = row.text(department_column)
        if department and department not in departments:
            message = f"部门标识“{department}”不存在（见“说明”工作表末尾的部门列表）"
            index = row.places[department_column]
            problems.add(row.sheet, row.number, department_column, index, message)
            row.ok = False
        code = row.text(code_column)
        if code in items:
            message = f"实施编码“{code}”与第 {items[code].number} 行重复"
            problems.add(row.sheet, row.number, code_column, row.places[code_column], message)
            row.ok = False
        elif code:
            items[code] = row
    materials = _material_rows(material_rows, items, problems)
    existing = published_item_specs(items)
    specs = []
    for code, row in items.items():
        current = existing.get(code)
        base = current.model_dump(mode="json", by_alias=True) if current else {}
        if current is None:
            base.update(questions=[], fields=[], fees=[])
        if has_materials:
            base["materials"] = _materials(materials[code], current, problems)
        if not row.ok:
            continue
        try:
            spec = ItemSpec.model_validate(_overlay(base, row))
        except ValidationError as exc:
            _report_validation(exc, row, ITEM_COLUMNS, problems)
            continue
        specs.append(spec)
    if problems.items:
        raise CatalogFileError(problems.items)
    return CatalogSpec(format=FORMAT, items=specs)


def _materials(rows: list[_Row], current: ItemSpec | None, problems: _Problems) -> list[Any]:
    """The item's materials from its rows; a column left out of the sheet keeps its value."""
    known = {
        m.key: m.model_dump(mode="json", by_alias=True)
        for m in (current.materials if current else [])
    }
    result: list[Any] = []
    key_column = MATERIAL_COLUMNS[1]
    for row in rows:
        if not row.ok:
            continue
        data = _overlay(known.get(row.text(key_column), {}), row)
        try:
            result.append(MaterialSpec.model_validate(data))
        except ValidationError as exc:
            _report_validation(exc, row, MATERIAL_COLUMNS, problems)
    return result


def describe_problem(problem: FileProblem) -> str:
    """“工作表“材料”第 5 行 C 列（材料名称）：不能为空” — the way a spreadsheet user looks."""
    place = f"工作表“{problem.sheet}”" if problem.sheet else ""
    if problem.line is not None:
        place += f"第 {problem.line} 行"
    if problem.column is not None:
        place += f" {get_column_letter(problem.column)} 列"
    if problem.path:
        place += f"（{problem.path}）"
    return f"{place}：{problem.message}" if place else problem.message
