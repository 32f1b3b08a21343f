"""Reading and writing the catalog YAML file (format in docs/catalog-format.md).

Errors carry the line and column of the offending value so a clerk can find it in an
editor; nothing is written to the database by this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from tongban.core.validation_messages import chinese_message

from .spec import FORMAT, CatalogSpec


@dataclass(frozen=True)
class FileProblem:
    message: str
    path: str = ""
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    sheet: str = ""

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(f"工作表“{self.sheet}”")
        if self.line is not None:
            where.append(f"第 {self.line} 行")
        if self.column is not None:
            where.append(f"第 {self.column} 列")
        place = "".join(where)
        path = f"（{self.path}）" if self.path else ""
        return f"{place}{path}：{self.message}" if place or path else self.message


class CatalogFileError(Exception):
    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def _path_text(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _node_at(root: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[yaml.Node | None, bool]:
    """The YAML node a pydantic error location points to; False if only a parent was found."""
    node = root
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if child is None:
                # A missing key or an unknown key: point at the key itself when it exists.
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                return (key or node), key is not None
            node = child
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node, False
            node = node.value[part]
        else:
            # pydantic adds synthetic parts (union branches, annotated validators): stop here.
            continue
    return node, True


def problems_from_validation(
    error: ValidationError, root: yaml.Node | None = None
) -> list[FileProblem]:
    problems = []
    for item in error.errors():
        loc = tuple(item.get("loc", ()))
        node, _ = _node_at(root, loc) if root is not None else (None, False)
        mark = node.start_mark if node is not None else None
        problems.append(
            FileProblem(
                message=chinese_message(dict(item)),
                path=_path_text(loc),
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        )
    return problems


def parse_catalog_text(text: str) -> CatalogSpec:
    """Parse and validate a catalog file; raises CatalogFileError with located problems."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise CatalogFileError(
            [
                FileProblem(
                    message=f"YAML 语法错误：{exc.problem or exc.context}",
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                )
            ]
        ) from exc
    if not isinstance(data, dict):
        raise CatalogFileError(
            [FileProblem("文件内容应为一个对象，以 format: tongban-catalog/1 开头")]
        )
    try:
        return CatalogSpec.model_validate(data)
    except ValidationError as exc:
        raise CatalogFileError(problems_from_validation(exc, root)) from exc


class _Flow(list[Any]):
    """A list written on one line: [受理, 审核, 决定]."""


class _FlowMap(dict[str, Any]):
    """A small mapping written on one line: {days: 5, unit: 工作日}."""


class _Dumper(yaml.SafeDumper):
    pass


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _represent_flow_map(dumper: yaml.SafeDumper, data: _FlowMap) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # Quote digit-led strings (codes, phone numbers) so no YAML reader takes them for numbers.
    style = "|" if "\n" in data else ("'" if data[:1].isdigit() else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_FlowMap, _represent_flow_map)
_Dumper.add_representer(str, _represent_str)

# Keys whose values read best on one line.
_FLOW_KEYS = {
    "keywords",
    "service_objects",
    "delivery",
    "steps",
    "when",
    "statutory_limit",
    "promised_limit",
    "result",
}


def _styled(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        styled = {k: _styled(v, k) for k, v in value.items()}
        flow = key in _FLOW_KEYS or (key == "" and False)
        return _FlowMap(styled) if flow else styled
    if isinstance(value, list):
        items = [_styled(v) for v in value]
        if key in _FLOW_KEYS or (key == "options" and value):
            return _Flow(items)
        return items
    return value


def dump_catalog_text(spec: CatalogSpec) -> str:
    data = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"format": spec.format, **data}
    header = (
        "# 通办 政务服务事项目录（格式说明：docs/catalog-format.md）\n"
        "# 选项值使用中文名称；条件 when 为 JSONLogic。\n"
    )
    body = yaml.dump(
        _styled(data),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
        default_flow_style=False,
    )
    return header + body


def parse_catalog_files(paths: list[str]) -> CatalogSpec:
    """Several files read as one catalog (the demo ships one per audience).

    Problems name the file they are in; codes must be unique across all files.
    """
    problems: list[FileProblem] = []
    parts: list[CatalogSpec] = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        try:
            parts.append(parse_catalog_text(text))
        except CatalogFileError as exc:
            problems += [
                FileProblem(p.message, f"{path}: {p.path}" if p.path else path, p.line, p.column)
                for p in exc.problems
            ]
    if problems:
        raise CatalogFileError(problems)
    try:
        return CatalogSpec(
            format=FORMAT,
            note=next((p.note for p in parts if p.note), ""),
            departments=[d for p in parts for d in p.departments],
            items=[i for p in parts for i in p.items],
            bundles=[b for p in parts for b in p.bundles],
        )
    except ValidationError as exc:
        raise CatalogFileError(problems_from_validation(exc)) from exc
