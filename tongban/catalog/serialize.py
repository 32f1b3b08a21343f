"""JSON shapes of catalog objects for the API (Chinese labels next to stable codes)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .checklist import Checklist
from .enums import (
    Audience,
    CaseKind,
    FieldKind,
    MaterialSource,
    Necessity,
    OnlineDepth,
    QuestionKind,
)
from .metrics import BeforeAfter, CatalogMetrics, PlanMetrics
from .plan import promised_working_days, working_days
from .queries import BundleView
from .spec import BundleSpec, ItemSpec

if TYPE_CHECKING:  # the cases layer sits above the catalog: a type, never a runtime import
    from tongban.cases.paperless import PaperlessShare


def _percent(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def item_summary(item: ItemSpec, departments: dict[str, str]) -> dict[str, Any]:
    labels = item.model_dump(mode="json", include={"type", "service_objects"})
    return {
        "code": item.code,
        "name": item.name,
        "department": {"code": item.department, "name": departments.get(item.department, "")},
        "type": labels["type"],
        "service_objects": labels["service_objects"],
        "case_kind": CaseKind(item.case_kind).label,
        "statutory_days": working_days(item.statutory_limit),
        "promised_days": promised_working_days(item),
        "visits": item.visits,
        "online_depth": OnlineDepth(item.online_depth).label,
        "fully_online": item.online_depth == OnlineDepth.FULLY_ONLINE,
    }


def item_detail(item: ItemSpec, departments: dict[str, str]) -> dict[str, Any]:
    """The whole 办事指南: the catalog-file shape (Chinese labels) plus the summary."""
    data = item.model_dump(mode="json", by_alias=True)
    return {**data, **item_summary(item, departments)}


def bundle_summary(bundle: BundleSpec, departments: dict[str, str]) -> dict[str, Any]:
    return {
        "code": bundle.code,
        "name": bundle.name,
        "audience": Audience(bundle.audience).label,
        "theme": bundle.theme,
        "lead_department": {
            "code": bundle.lead_department,
            "name": departments.get(bundle.lead_department, ""),
        },
        "description": bundle.description,
        "item_count": len(bundle.items),
        "has_questions": bool(bundle.questions) or any(m.when is not None for m in bundle.items),
    }


def bundle_detail(view: BundleView, departments: dict[str, str]) -> dict[str, Any]:
    spec = view.spec
    data = bundle_summary(spec, departments)
    data["keywords"] = list(spec.keywords)
    data["steps"] = list(spec.steps)
    data["items"] = [
        {**item_summary(view.items[m.item], departments), "when": m.when}
        for m in spec.items
        if m.item in view.items
    ]
    data["edges"] = [
        {"from": e.upstream, "to": e.downstream, "satisfies": e.satisfies} for e in spec.edges
    ]
    data["questions"] = [
        {
            "key": q.key,
            "text": q.text,
            "kind": QuestionKind(q.kind).label,
            "options": [{"value": v, "label": label} for v, label in q.option_pairs()],
            "help": q.help,
        }
        for q, _ in view.plan.question_sequence()
    ]
    return data


def checklist_json(checklist: Checklist, departments: dict[str, str]) -> dict[str, Any]:
    return {
        "code": checklist.code,
        "name": checklist.name,
        "complete": checklist.complete,
        "answers": checklist.answers,
        "questions": [
            {
                "key": q.key,
                "text": q.text,
                "kind": q.kind,
                "kind_label": QuestionKind(q.kind).label,
                "options": [{"value": v, "label": label} for v, label in q.options],
                "help": q.help,
                "item": q.item,
            }
            for q in checklist.questions
        ],
        "materials": [
            {
                "key": m.key,
                "name": m.name,
                "necessity": Necessity(m.necessity).label,
                "source": MaterialSource(m.source).label,
                "applicant_provides": m.applicant_provides,
                "applicant_agrees": m.applicant_agrees,
                "produced_by": m.produced_by,
                "licence_type": m.licence_type,
                "register": m.register,
                "commitment": m.commitment,
                "copies": m.copies,
                "standard": m.standard,
                "items": m.items,
            }
            for m in checklist.materials
        ],
        "form_fields": [
            {
                "key": f.key,
                "label": f.label,
                "kind": f.kind,
                "kind_label": FieldKind(f.kind).label,
                "required": f.required,
                "options": [{"value": v, "label": label} for v, label in f.options],
                "help": f.help,
                "items": f.items,
            }
            for f in checklist.fields
        ],
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "department": {"code": i.department, "name": departments.get(i.department, "")},
                "promised_days": i.promised_days,
                "visits": i.visits,
                "waits_for": i.waits_for,
            }
            for i in checklist.items
        ],
        "promised_days": checklist.promised_days,
        "visits": checklist.visits,
        "critical_path": checklist.critical_path,
    }


def _before_after(value: BeforeAfter) -> dict[str, Any]:
    return {"before": value.before, "after": value.after, "reduction_rate": _percent(value.rate)}


def plan_metrics_json(metrics: PlanMetrics) -> dict[str, Any]:
    return {
        "items": metrics.items,
        "visits": _before_after(metrics.visits),
        "materials": _before_after(metrics.materials),
        "steps": _before_after(metrics.steps),
        "working_days": _before_after(metrics.days),
        "time_reduction_rate": _percent(metrics.time_reduction),
        "step_compression_rate": _percent(metrics.step_compression),
        "material_reduction_rate": _percent(metrics.material_reduction),
        "critical_path": metrics.critical_path,
    }


def measured_json(measured: PaperlessShare) -> dict[str, Any]:
    """Measured 免提交 figures (tongban/cases/paperless.py): counts of current material rows of
    submitted applications and their shares, rates as numbers like the planned ones."""
    return {
        "applications": measured.applications,
        "materials": measured.total,
        "without_paper": measured.without_paper,
        "submitted": measured.submitted,
        "licence": measured.licence,
        "data_check": measured.data_check,
        "commitment": measured.commitment,
        "produced": measured.produced,
        "paperless_rate": _percent(measured.rate),
        "licence_rate": _percent(measured.licence_rate),
        "data_check_rate": _percent(measured.data_check_rate),
        "commitment_rate": _percent(measured.commitment_rate),
        "produced_rate": _percent(measured.produced_rate),
    }


def catalog_metrics_json(metrics: CatalogMetrics) -> dict[str, Any]:
    return {
        "items": metrics.items,
        "online_rate": _percent(metrics.online_rate),
        "fully_online_rate": _percent(metrics.fully_online_rate),
        "one_visit_rate": _percent(metrics.one_visit_rate),
        "zero_visit_rate": _percent(metrics.zero_visit_rate),
        "time_reduction_rate": _percent(metrics.time_reduction),
    }
