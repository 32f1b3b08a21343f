"""Catalog API (/api/v1/catalog): public, read-only, no login needed — the same facts a
citizen sees on the 办事指南 pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from .checklist import build_checklist
from .metrics import catalog_metrics, plan_metrics
from .plan import Plan
from .queries import (
    all_bundles,
    department_names,
    published_bundle,
    published_item,
    search_items,
)
from .serialize import (
    bundle_detail,
    bundle_summary,
    catalog_metrics_json,
    checklist_json,
    item_detail,
    item_summary,
    measured_json,
    plan_metrics_json,
)
from .store import published_item_specs

router = Router(tags=["事项目录"], auth=None)


class ChecklistRequest(Schema):
    answers: dict[str, Any] = {}


@router.get("/items", summary="事项列表（q 按名称搜索，department 部门标识，type 事项类型）")
def list_items(
    request: HttpRequest, q: str = "", department: str = "", type: str = ""
) -> list[dict[str, Any]]:
    names = department_names()
    return [item_summary(i, names) for i in search_items(q, department, type)]


@router.get("/items/{code}", summary="事项办事指南")
def get_item(request: HttpRequest, code: str) -> dict[str, Any]:
    return item_detail(published_item(code), department_names())


@router.post("/items/{code}/checklist", summary="单个事项的情形清单（一事一表）")
def item_checklist(request: HttpRequest, code: str, body: ChecklistRequest) -> dict[str, Any]:
    plan = Plan.for_item(published_item(code))
    return checklist_json(build_checklist(plan, body.answers), department_names())


@router.get("/bundles", summary="一件事列表")
def list_bundles(request: HttpRequest) -> list[dict[str, Any]]:
    names = department_names()
    return [bundle_summary(b, names) for b in all_bundles()]


@router.get("/bundles/{code}", summary="一件事详情（事项、前后置关系、情形问题）")
def get_bundle(request: HttpRequest, code: str) -> dict[str, Any]:
    return bundle_detail(published_bundle(code), department_names())


@router.post("/bundles/{code}/checklist", summary="一件事的情形清单（一事一表）")
def bundle_checklist(request: HttpRequest, code: str, body: ChecklistRequest) -> dict[str, Any]:
    view = published_bundle(code)
    return checklist_json(build_checklist(view.plan, body.answers), department_names())


@router.get("/bundles/{code}/metrics", summary="一件事改革成效（办理前后对比，及实测材料免提交率）")
def bundle_metrics(request: HttpRequest, code: str) -> dict[str, Any]:
    # Lazy: cases sits above the catalog and must not be imported when the catalog loads.
    from tongban.cases.paperless import bundle_paperless

    figures = plan_metrics_json(plan_metrics(published_bundle(code).plan))
    figures["measured"] = measured_json(bundle_paperless([code])[code])
    return figures


@router.get("/metrics", summary="目录整体指标（网上可办率、全程网办率、一次办比率）")
def metrics(request: HttpRequest) -> dict[str, Any]:
    return catalog_metrics_json(catalog_metrics(published_item_specs().values()))
