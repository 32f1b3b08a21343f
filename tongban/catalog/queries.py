"""Read-side helpers shared by the public pages and the API: published content only."""

from __future__ import annotations

from dataclasses import dataclass

from tongban.core.errors import DomainError
from tongban.core.models import Department

from .enums import Audience, ItemType, ServiceObject
from .plan import Plan
from .spec import BundleSpec, ItemSpec
from .store import published_bundle_specs, published_item_specs


class NotInCatalog(DomainError):
    def __init__(self, what: str, code: str) -> None:
        super().__init__("not_found", f"没有找到{what}“{code}”", status=404)


def department_names() -> dict[str, str]:
    return dict(Department.objects.values_list("code", "name"))


def published_item(code: str) -> ItemSpec:
    spec = published_item_specs([code]).get(code)
    if spec is None:
        raise NotInCatalog("事项", code)
    return spec


@dataclass(frozen=True)
class BundleView:
    spec: BundleSpec
    items: dict[str, ItemSpec]  # the members' published specs
    plan: Plan


def published_bundle(code: str) -> BundleView:
    spec = published_bundle_specs([code]).get(code)
    if spec is None:
        raise NotInCatalog("一件事", code)
    items = published_item_specs(spec.member_codes())
    return BundleView(spec, items, Plan.for_bundle(spec, items))


def item_type_value(raw: str) -> str | None:
    """An item type given as its national code or its Chinese name."""
    for value, label in ItemType.choices:
        if raw in (value, label):
            return value
    return None


def serves(item: ItemSpec, audience: str) -> bool:
    """个人 items serve natural persons; 法人 items serve any kind of organisation."""
    if audience == Audience.PERSON:
        return ServiceObject.PERSON in item.service_objects
    if audience == Audience.COMPANY:
        return any(o != ServiceObject.PERSON for o in item.service_objects)
    return True


def search_items(
    q: str = "", department: str = "", item_type: str = "", audience: str = ""
) -> list[ItemSpec]:
    """Published items matching every given filter, by name."""
    items = list(published_item_specs().values())
    if q:
        needle = q.strip().lower()
        items = [i for i in items if needle in i.name.lower() or needle == i.code.lower()]
    if department:
        items = [i for i in items if i.department == department]
    if item_type:
        value = item_type_value(item_type)
        if value is None:
            labels = "、".join(label for _, label in ItemType.choices)
            raise DomainError("invalid_type", f"事项类型“{item_type}”不存在，可选：{labels}")
        items = [i for i in items if i.type == value]
    if audience:
        items = [i for i in items if serves(i, audience)]
    return sorted(items, key=lambda i: (i.department, i.name, i.code))


def all_bundles(q: str = "") -> list[BundleSpec]:
    """Published bundles, those whose name or description contains `q` if given."""
    bundles = sorted(published_bundle_specs().values(), key=lambda b: (b.audience, b.code))
    needle = q.strip().lower()
    return [b for b in bundles if needle in (b.name + b.description).lower()]


def bundles_with_item(code: str) -> list[BundleSpec]:
    return [b for b in all_bundles() if code in b.member_codes()]
