"""The organisation and catalog the synthetic cases are made against.

The demo has one city (岳阳市 430600) whose departments own every item. A realistic
statistics load needs counties too, so each item-owning department (and the service
centre) is cloned into the nine county-level regions of the demo region list, with a clone
of each item and of its published version. Clones are written with `bulk_create`: the
published-version guard (`VersionedContent.save`) refuses writes to published versions, and
a clone is born published. Loading is idempotent: existing clones are reused.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from tongban.catalog.enums import Audience, CaseKind, LimitUnit, VersionStatus
from tongban.catalog.models import (
    Bundle,
    BundleMember,
    ItemVersion,
    ServiceItem,
)
from tongban.core.demo import demo_uscc
from tongban.core.models import Department, DepartmentKind, Region, User

CITY = "430600"
COUNTIES = [
    "430602",
    "430603",
    "430611",
    "430621",
    "430623",
    "430624",
    "430626",
    "430681",
    "430682",
]
# Share of the volume received in each region: the city-level departments and the central
# district (岳阳楼区) are biggest, the rural counties follow, the small districts last.
REGION_WEIGHTS = {
    CITY: 0.22,
    "430602": 0.18,
    "430603": 0.05,
    "430611": 0.05,
    "430621": 0.09,
    "430623": 0.09,
    "430624": 0.09,
    "430626": 0.10,
    "430681": 0.07,
    "430682": 0.06,
}
GENERATOR_USERNAME = "bench-generator"
CENTRE_SUFFIX = "zhengwu"
# Clones get credit-code serials from here on (the demo uses 1…28 and 900001).
_USCC_SERIAL_BASE = 500000
# Child tables of an item version copied with it, so a clone's case page has its checklist.
_VERSION_CHILDREN = ("materials", "questions", "fields", "steps", "fees")


@dataclass(frozen=True)
class ItemInfo:
    """One item as it exists in one region (the demo's or a county clone)."""

    item_id: int
    version_id: int
    code: str
    name: str
    department_id: int
    statutory_days: int
    statutory_natural: bool
    promised_days: int
    promised_natural: bool
    immediate: bool
    result_name: str


@dataclass(frozen=True)
class BundleInfo:
    code: str
    name: str
    version_id: int
    company: bool
    members: tuple[int, ...]  # demo item ids


@dataclass
class World:
    user_id: int
    regions: list[str]
    region_names: dict[str, str]
    centres: dict[str, int]  # region → service centre department id
    items: dict[str, dict[int, ItemInfo]]  # region → demo item id → the region's item
    demo_items: list[int]
    company_items: set[int] = field(default_factory=set)
    bundles: list[BundleInfo] = field(default_factory=list)


def ensure_demo() -> None:
    """Load the demo org and catalog if missing (the generator builds on them)."""
    if not (Department.objects.filter(code="yy-zhengwu").exists() and Bundle.objects.exists()):
        call_command("load_demo", quiet_logins=True, verbosity=0)


def generator_user() -> User:
    user, created = User.objects.get_or_create(
        username=GENERATOR_USERNAME, defaults={"full_name": "统计基准数据生成器"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _clone_name(name: str, county: str) -> str:
    if "岳阳市" in name:
        return name.replace("岳阳市", county, 1)
    if "岳阳" in name:
        return name.replace("岳阳", county, 1)
    return county + name


def _clone_departments(regions: dict[str, Region], owners: list[Department]) -> None:
    existing = set(Department.objects.values_list("code", flat=True))
    new: list[Department] = []
    for c_index, county in enumerate(COUNTIES):
        for d_index, dept in enumerate(owners):
            suffix = dept.code.split("-", 1)[1]
            code = f"{county}-{suffix}"
            if code in existing:
                continue
            serial = _USCC_SERIAL_BASE + c_index * 100 + d_index
            new.append(
                Department(
                    code=code,
                    name=_clone_name(dept.name, regions[county].name),
                    short_name=dept.short_name,
                    region=regions[county],
                    uscc=demo_uscc(dept.uscc[:2], county, serial),
                    kind=dept.kind,
                    phone=dept.phone,
                    is_active=True,
                )
            )
    Department.objects.bulk_create(new)


def _copy_version(source: ItemVersion, item: ServiceItem, now: datetime.datetime) -> ItemVersion:
    values = {
        f.attname: getattr(source, f.attname)
        for f in ItemVersion._meta.concrete_fields
        if f.attname not in ("id", "item_id", "number", "status", "created_at", "published_at")
    }
    return ItemVersion(
        item=item,
        number=1,
        status=VersionStatus.PUBLISHED,
        created_at=now,
        published_at=now,
        **values,
    )


def _clone_items(demo: list[ServiceItem]) -> None:
    """One ServiceItem + published ItemVersion (+ its checklist rows) per county department."""
    departments = {d.code: d for d in Department.objects.filter(region_id__in=COUNTIES)}
    existing = set(ServiceItem.objects.values_list("code", flat=True))
    now = timezone.now()
    pending: list[tuple[ServiceItem, ItemVersion]] = []
    for county in COUNTIES:
        for item in demo:
            dept = departments[f"{county}-{item.department.code.split('-', 1)[1]}"]
            # 实施编码 = the implementing department's credit code + the rest of the demo code.
            code = dept.uscc + item.code[18:]
            if code in existing:
                continue
            assert item.published is not None
            pending.append(
                (
                    ServiceItem(code=code, basic_code=item.basic_code, department=dept),
                    item.published,
                )
            )
    if not pending:
        return
    clones = ServiceItem.objects.bulk_create([clone for clone, _ in pending])
    versions = ItemVersion.objects.bulk_create(
        [_copy_version(src, clone, now) for clone, (_, src) in zip(clones, pending, strict=True)]
    )
    for clone, version in zip(clones, versions, strict=True):
        clone.published = version
    ServiceItem.objects.bulk_update(clones, ["published"])
    for related in _VERSION_CHILDREN:
        model = getattr(ItemVersion, related).rel.related_model
        rows = []
        for version, (_, src) in zip(versions, pending, strict=True):
            for child in getattr(src, related).all():
                child.pk = None
                child.id = None
                child.version = version
                rows.append(child)
        model.objects.bulk_create(rows)


def _info(item: ServiceItem) -> ItemInfo:
    v = item.published
    assert v is not None
    return ItemInfo(
        item_id=item.pk,
        version_id=v.pk,
        code=item.code,
        name=v.name,
        department_id=item.department_id,
        statutory_days=v.statutory_limit,
        statutory_natural=v.statutory_unit == LimitUnit.NATURAL,
        promised_days=v.promised_limit,
        promised_natural=v.promised_unit == LimitUnit.NATURAL,
        immediate=v.case_kind == CaseKind.IMMEDIATE,
        result_name=v.result_name,
    )


@transaction.atomic
def build_world() -> World:
    """Clone the city into the counties (once) and describe everything the generator needs."""
    ensure_demo()
    user = generator_user()
    regions = Region.objects.in_bulk([CITY, *COUNTIES])
    demo = list(
        ServiceItem.objects.filter(department__region_id=CITY, published__isnull=False)
        .select_related("department", "published")
        .order_by("id")
    )
    owners = sorted({i.department for i in demo}, key=lambda d: d.pk)
    centre = Department.objects.get(code="yy-zhengwu")
    _clone_departments(regions, [*owners, centre])
    _clone_items(demo)

    by_code = {
        i.code: i
        for i in ServiceItem.objects.filter(department__region_id__in=[CITY, *COUNTIES])
        .select_related("published", "department")
        .exclude(published__isnull=True)
    }
    centres = {CITY: centre.pk}
    for d in Department.objects.filter(kind=DepartmentKind.SERVICE_CENTER, region_id__in=COUNTIES):
        centres[d.region_id] = d.pk
    items: dict[str, dict[int, ItemInfo]] = {CITY: {i.pk: _info(i) for i in demo}}
    uscc_by_code = dict(Department.objects.values_list("code", "uscc"))
    for county in COUNTIES:
        items[county] = {}
        for item in demo:
            uscc = uscc_by_code[f"{county}-{item.department.code.split('-', 1)[1]}"]
            items[county][item.pk] = _info(by_code[uscc + item.code[18:]])

    world = World(
        user_id=user.pk,
        regions=[CITY, *COUNTIES],
        region_names={code: r.name for code, r in regions.items()},
        centres=centres,
        items=items,
        demo_items=[i.pk for i in demo],
    )
    demo_ids = set(world.demo_items)
    for bundle in Bundle.objects.select_related("published").exclude(published__isnull=True):
        version = bundle.published
        assert version is not None
        members = tuple(
            BundleMember.objects.filter(version=version)
            .order_by("position", "id")
            .values_list("item_id", flat=True)
        )
        if not members or not set(members) <= demo_ids:
            continue  # a bundle outside the demo city (none today) is left out
        company = version.audience == Audience.COMPANY
        world.bundles.append(BundleInfo(bundle.code, version.name, version.pk, company, members))
        if company:
            world.company_items.update(members)
    world.bundles.sort(key=lambda b: b.code)
    return world
