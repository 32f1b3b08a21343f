"""From a bundle or item code to what a submission pins: the plan and the published versions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from tongban.catalog.plan import Plan
from tongban.catalog.queries import NotInCatalog
from tongban.catalog.spec import ItemSpec
from tongban.catalog.store import published_bundle_versions, published_item_pins
from tongban.core.errors import DomainError
from tongban.core.models import Department, DepartmentKind

# Province, city, county, town, village: the levels of Region.parent (core/models/region.py).
REGION_DEPTH = 5


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
        found = published_bundle_versions([bundle])
        if bundle not in found:
            raise NotInCatalog("已发布的一件事", str(bundle))
        bundle_spec, bundle_version_id = found[bundle]
        codes = bundle_spec.member_codes()
    else:
        codes = [str(item)]
    items = {
        code: PinnedItem(item_id, version_id, department_id, spec)
        for code, (spec, item_id, version_id, department_id) in published_item_pins(codes).items()
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
    centre of the department's region, else of the nearest region above it. One query: the
    region and its ancestors are subqueries, and within one line of descent a region's
    code sorts after its ancestors' (430602 > 430600 > 430000), so the nearest comes first."""
    department = Department.objects.filter(pk=department_id)
    lineage = Q()
    path = "region"
    for _ in range(REGION_DEPTH):
        lineage |= Q(region_id__in=department.values(f"{path}_id"))
        path += "__parent"
    return (
        Department.objects.filter(lineage, kind=DepartmentKind.SERVICE_CENTER, is_active=True)
        .order_by("-region_id")
        .first()
    )
