"""From a bundle or item code to what a submission pins: the plan and the published versions."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from tongban.catalog.plan import Plan
from tongban.catalog.queries import NotInCatalog
from tongban.catalog.spec import ItemSpec
from tongban.catalog.store import published_bundle_versions, published_item_pins
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


def service_centre_for(department_id: int) -> int | None:
    """The service centre (its id) that receives online applications for a department's
    items: the centre of the department's region, else of the nearest region above it.

    One statement, written out: the ORM's version (a subquery per level) cost more to compile
    than the rest of a submission's reads together (bench_submit.py's profile)."""
    with connection.cursor() as cursor:
        cursor.execute(_SERVICE_CENTRE_SQL, [department_id, DepartmentKind.SERVICE_CENTER])
        row = cursor.fetchone()
    return int(row[0]) if row else None


_SERVICE_CENTRE_SQL = f"""
WITH RECURSIVE lineage(code, depth) AS (
    SELECT region_id, 0 FROM {Department._meta.db_table} WHERE id = %s
    UNION ALL
    SELECT r.parent_id, l.depth + 1
    FROM {Region._meta.db_table} r JOIN lineage l ON r.code = l.code
    WHERE r.parent_id IS NOT NULL
)
SELECT d.id FROM {Department._meta.db_table} d JOIN lineage l ON d.region_id = l.code
WHERE d.kind = %s AND d.is_active
ORDER BY l.depth, d.id
LIMIT 1
"""
