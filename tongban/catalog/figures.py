"""The bundle page's member table, dependency graph and before/after figures, and the
catalog-wide 改革成效 page: plain data for templates and for ECharts (via json_script)."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import TYPE_CHECKING

from tongban.core.rates import percent_text

from .enums import Audience
from .graph import topological_order
from .metrics import BeforeAfter, CatalogMetrics, PlanMetrics, plan_metrics
from .pages import Row, days_text, describe_condition, item_row, label
from .plan import Plan, promised_working_days
from .spec import BundleSpec, ItemSpec

if TYPE_CHECKING:  # the cases layer sits above the catalog: a type, never a runtime import
    from tongban.cases.paperless import PaperlessShare


def member_rows(plan: Plan, names: Mapping[str, str], critical: set[str]) -> list[Row]:
    questions = {q.key: q for q, _ in plan.question_sequence()}
    item_name = {item.code: item.name for item in plan.items}
    rows = []
    for item in plan.items:
        row = item_row(item, names)
        row["when"] = describe_condition(plan.member_when.get(item.code), questions)
        row["after"] = [item_name[e.upstream] for e in plan.edges if e.downstream == item.code]
        row["critical"] = item.code in critical
        rows.append(row)
    return rows


def graph_data(plan: Plan, critical_path: list[str]) -> Row:
    """Nodes placed left → right by depth (longest chain of upstreams), edges directed."""
    codes = [item.code for item in plan.items]
    edges = [(e.upstream, e.downstream) for e in plan.edges]
    depth: dict[str, int] = {}
    for code in topological_order(codes, edges):
        depth[code] = max((depth[u] + 1 for u, d in edges if d == code), default=0)
    columns: dict[int, list[str]] = {}
    for code in codes:
        columns.setdefault(depth[code], []).append(code)
    on_path = set(critical_path)
    path_edges = set(pairwise(critical_path))
    nodes = []
    for item in plan.items:
        column = columns[depth[item.code]]
        row = column.index(item.code) - (len(column) - 1) / 2
        nodes.append(
            {
                "id": item.code,
                "name": item.name,
                "days": promised_working_days(item),
                "promise": days_text(promised_working_days(item)),
                "x": depth[item.code] * 240,
                "y": row * 110,
                "critical": item.code in on_path,
                "conditional": plan.member_when.get(item.code) is not None,
            }
        )
    tallest = max((len(c) for c in columns.values()), default=1)
    return {
        "height": 200 + 90 * (tallest - 1),
        "nodes": nodes,
        "edges": [{"source": u, "target": d, "critical": (u, d) in path_edges} for u, d in edges],
    }


METRICS = (
    ("跑动次数", "次", "visits", "跑动减少率"),
    ("申请材料", "份", "materials", "材料精简率"),
    ("办理环节", "个", "steps", "环节压缩率"),
    ("办理时限（工作日）", "天", "days", "时限减少率"),
)


def metric_rows(figures: PlanMetrics) -> list[Row]:
    rows = []
    for name, unit, attr, rate_name in METRICS:
        value: BeforeAfter = getattr(figures, attr)
        rows.append(
            {
                "name": name,
                "unit": unit,
                "before": value.before,
                "after": value.after,
                "rate_name": rate_name,
                "rate": percent_text(value.rate),
            }
        )
    return rows


def metric_chart(figures: PlanMetrics) -> Row:
    return {
        "categories": [name for name, _, _, _ in METRICS],
        "before": [getattr(figures, attr).before for _, _, attr, _ in METRICS],
        "after": [getattr(figures, attr).after for _, _, attr, _ in METRICS],
    }


def measured_figures(measured: PaperlessShare) -> Row:
    """实测材料免提交率 of submitted applications, beside the planned 材料精简率."""
    return {
        "applications": measured.applications,
        "total": measured.total,
        "without_paper": measured.without_paper,
        "rate": percent_text(measured.rate),
        "channels": [
            ("电子证照", percent_text(measured.licence_rate)),
            ("数据核验", percent_text(measured.data_check_rate)),
            ("告知承诺", percent_text(measured.commitment_rate)),
            ("前置结果", percent_text(measured.produced_rate)),
        ],
    }


def bundle_metric_rows(
    bundles: list[BundleSpec],
    items: Mapping[str, ItemSpec],
    measured: Mapping[str, PaperlessShare] | None = None,
) -> list[Row]:
    rows = []
    for bundle in bundles:
        figures = plan_metrics(Plan.for_bundle(bundle, items))
        rows.append(
            {
                "code": bundle.code,
                "name": bundle.name,
                "audience": label(Audience, bundle.audience),
                "items": figures.items,
                "metrics": metric_rows(figures),
                "time_reduction": percent_text(figures.time_reduction),
                "step_compression": percent_text(figures.step_compression),
                "material_reduction": percent_text(figures.material_reduction),
                "days_before": figures.days.before,
                "days_after": figures.days.after,
                "measured": (
                    measured_figures(measured[bundle.code])
                    if measured is not None and bundle.code in measured
                    else None
                ),
            }
        )
    return rows


def catalog_rates(overall: CatalogMetrics) -> list[tuple[str, str]]:
    return [
        ("网上可办率", percent_text(overall.online_rate)),
        ("全程网办率", percent_text(overall.fully_online_rate)),
        ("一次办比率", percent_text(overall.one_visit_rate)),
        ("零跑动比率", percent_text(overall.zero_visit_rate)),
        ("承诺时限压缩率", percent_text(overall.time_reduction)),
    ]


def bundle_time_chart(rows: list[Row]) -> Row:
    return {
        "categories": [r["name"] for r in rows],
        "before": [r["days_before"] for r in rows],
        "after": [r["days_after"] for r in rows],
    }
