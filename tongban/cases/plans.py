"""From a bundle or item code to what a submission pins: the plan and the published versions."""

from __future__ import annotations

from dataclasses import dataclass

from tongban.catalog.models import Bundle, ServiceItem
from tongban.catalog.plan import Plan
from tongban.catalog.queries import NotInCatalog
from tongban.catalog.spec import ItemSpec
from tongban.catalog.store import published_bundle_specs, published_item_specs
from tongban.core.errors import DomainError
from tongban.core.models import Department, DepartmentKind, Region


@dataclass(frozen=True)
class PinnedItem:
    item_id: int
    version_id: int
    department_id: int
    spec: ItemSpec


@dataclass(frozen=True)
class ResolvedPlan:
    plan: Plan
    bundle_version_id: int | None
    item_id: int | None  # a single-item application
    items: dict[str, PinnedItem]


def resolve_plan(bundle: str | None, item: str | None) -> ResolvedPlan:
    if bool(bundle) == bool(item):
        raise DomainError("bad_request", "请指定一件事（bundle）或单个事项（item）之一", 400)
    bundle_version_id = None
    if bundle:
        found = Bundle.objects.filter(code=bundle, published__isnull=False).values_list(
            "published_id", flat=True
        )
        bundle_version_id = next(iter(found), None)
        specs = published_bundle_specs([bundle])
        if bundle_version_id is None or bundle not in specs:
            raise NotInCatalog("已发布的一件事", str(bundle))
        bundle_spec = specs[bundle]
        codes = bundle_spec.member_codes()
    else:
        codes = [str(item)]
    rows = ServiceItem.objects.filter(code__in=codes, published__isnull=False).values_list(
        "code", "pk", "published_id", "department_id"
    )
    item_specs = published_item_specs(codes)
    items = {
        code: PinnedItem(pk, version_id, department_id, item_specs[code])
        for code, pk, version_id, department_id in rows
        if code in item_specs
    }
    if bundle:
        missing = [c for c in codes if c not in items]
        if missing:
            raise NotInCatalog("已发布的事项", "、".join(missing))
        plan = Plan.for_bundle(bundle_spec, {c: p.spec for c, p in items.items()})
        return ResolvedPlan(plan, bundle_version_id, None, items)
    if str(item) not in items:
        raise NotInCatalog("已发布的事项", str(item))
    pinned = items[str(item)]
    return ResolvedPlan(Plan.for_item(pinned.spec), None, pinned.item_id, items)


def service_centre_for(department_id: int) -> Department | None:
    """The service centre that receives online applications for a department's items: the
    centre of the department's region, else of the nearest region above it."""
    department = Department.objects.select_related("region").get(pk=department_id)
    centres = {
        c.region_id: c
        for c in Department.objects.filter(kind=DepartmentKind.SERVICE_CENTER, is_active=True)
    }
    region: Region | None = department.region
    while region is not None:
        if region.code in centres:
            return centres[region.code]
        region = region.parent
    return None
