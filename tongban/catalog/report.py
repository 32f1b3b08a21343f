"""Plain-text rendering of an import report (commands and logs)."""

from __future__ import annotations

from .actions import ImportReport

KIND_LABELS = {"department": "部门", "item": "事项", "bundle": "一件事"}


def format_import_report(report: ImportReport) -> str:
    lines = [
        ("已导入" if report.applied else "试导入（未写入）")
        + f"：新增 {report.count('added')}，修改 {report.count('changed')}，"
        f"不变 {report.count('unchanged')}"
    ]
    for change in report.changes:
        if change.action == "unchanged":
            continue
        detail = f"（{', '.join(change.fields)}）" if change.fields else ""
        lines.append(
            f"  {change.label} {KIND_LABELS[change.kind]} {change.code} {change.name}{detail}"
        )
    for warning in report.warnings:
        lines.append(f"  提示 [{warning.subject}] {warning.message}")
    return "\n".join(lines)
