"""Catalog use cases: start a draft, publish, import and export.

Each write runs in one transaction with its audit events. Views, API handlers, admin
actions and commands only parse, authorise and call these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.models import Department, Region, User

from .enums import VersionStatus
from .lint import LintProblem, lint_bundle, lint_catalog, lint_field_kinds, lint_item
from .models import Bundle, BundleVersion, ItemVersion, ServiceItem
from .spec import FORMAT, BundleSpec, CatalogSpec, DepartmentSpec, ItemSpec
from .store import (
    bundle_spec,
    bundle_versions_with_content,
    department_spec,
    item_spec,
    item_versions_with_content,
    published_item_specs,
    write_bundle_content,
    write_item_content,
)


class LintFailed(DomainError):
    def __init__(self, problems: list[LintProblem]) -> None:
        errors = [p for p in problems if p.is_error]
        super().__init__(
            "lint_failed",
            [
                {"rule": p.rule, "subject": p.subject, "path": p.path, "message": p.message}
                for p in errors
            ],
            status=409,
        )
        self.problems = problems


# --- items ---------------------------------------------------------------------------


def lint_item_version(version: ItemVersion) -> list[LintProblem]:
    spec = item_spec(version)
    departments = set(Department.objects.values_list("code", flat=True))
    others = published_item_specs()
    others.pop(spec.code, None)
    return lint_item(spec, departments) + [
        p for p in lint_field_kinds([*others.values(), spec]) if p.subject == spec.code
    ]


def _next_number(model: type[ItemVersion] | type[BundleVersion], **owner: Any) -> int:
    return (model.objects.filter(**owner).aggregate(n=Max("number"))["n"] or 0) + 1


def _make_current(
    owner: ServiceItem | Bundle, version: ItemVersion | BundleVersion, actor: User | None, kind: str
) -> None:
    """Publish `version` as the owner's current one; the previous one stays, superseded,
    for the cases pinned to it. Call inside the publishing transaction, rows locked."""
    previous = owner.published
    if previous is not None:
        previous.status = VersionStatus.SUPERSEDED
        previous.save(update_fields=["status"])
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = actor
    version.save(update_fields=["status", "published_at", "published_by"])
    owner.published = version
    owner.save(update_fields=["published"])
    record_event(
        action=f"catalog.{kind}_published",
        object_type=f"catalog.{type(version).__name__}",
        object_id=version.pk,
        actor=actor,
        before={"published": previous.number if previous else None},
        after={kind: owner.code, "published": version.number},
    )
    # Lazy: the guide sits above the catalog. Its search index follows the published
    # catalog; this renews its freshness token inside the publishing transaction.
    from tongban.guide.actions import guide_index_changed

    guide_index_changed()


def catalog_start_item_draft(item: ServiceItem, actor: User | None) -> ItemVersion:
    """The item's draft, created as a copy of the published version if there is none."""
    with transaction.atomic():
        ServiceItem.objects.select_for_update().get(pk=item.pk)
        draft = ItemVersion.objects.filter(item=item, status=VersionStatus.DRAFT).first()
        if draft is not None:
            return draft
        if item.published_id is None:
            raise DomainError("no_version", "该事项没有可复制的版本", status=409)
        source = item_versions_with_content().get(pk=item.published_id)
        draft = ItemVersion(item=item, number=_next_number(ItemVersion, item=item))
        write_item_content(draft, item_spec(source))
        record_event(
            action="catalog.item_draft_started",
            object_type="catalog.ItemVersion",
            object_id=draft.pk,
            actor=actor,
            after={"item": item.code, "number": draft.number, "from": source.number},
        )
        return draft


def catalog_publish_item(version: ItemVersion, actor: User | None) -> ItemVersion:
    """Publish a draft: lint errors refuse; the previous version is kept for pinned cases."""
    with transaction.atomic():
        version = ItemVersion.objects.select_for_update().select_related("item").get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise DomainError("not_draft", "只有草稿版本可以发布", status=409)
        problems = lint_item_version(item_versions_with_content().get(pk=version.pk))
        if any(p.is_error for p in problems):
            raise LintFailed(problems)
        item = ServiceItem.objects.select_for_update().get(pk=version.item_id)
        _make_current(item, version, actor, "item")
        return version


# --- bundles -------------------------------------------------------------------------


def lint_bundle_version(version: BundleVersion) -> list[LintProblem]:
    spec = bundle_spec(version)
    items = published_item_specs()
    published = set(items)
    departments = set(Department.objects.values_list("code", flat=True))
    # Members that exist but have no published version are reported as unpublished.
    for code in set(spec.member_codes()) - published:
        draft = item_versions_with_content().filter(item__code=code).first()
        if draft is not None:
            items[code] = item_spec(draft)
    return lint_bundle(spec, items, published=published, departments=departments)


def catalog_start_bundle_draft(bundle: Bundle, actor: User | None) -> BundleVersion:
    with transaction.atomic():
        Bundle.objects.select_for_update().get(pk=bundle.pk)
        draft = BundleVersion.objects.filter(bundle=bundle, status=VersionStatus.DRAFT).first()
        if draft is not None:
            return draft
        if bundle.published_id is None:
            raise DomainError("no_version", "该一件事没有可复制的版本", status=409)
        source = bundle_versions_with_content().get(pk=bundle.published_id)
        draft = BundleVersion(bundle=bundle, number=_next_number(BundleVersion, bundle=bundle))
        write_bundle_content(draft, bundle_spec(source))
        record_event(
            action="catalog.bundle_draft_started",
            object_type="catalog.BundleVersion",
            object_id=draft.pk,
            actor=actor,
            after={"bundle": bundle.code, "number": draft.number, "from": source.number},
        )
        return draft


def catalog_publish_bundle(version: BundleVersion, actor: User | None) -> BundleVersion:
    with transaction.atomic():
        version = BundleVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise DomainError("not_draft", "只有草稿版本可以发布", status=409)
        problems = lint_bundle_version(bundle_versions_with_content().get(pk=version.pk))
        if any(p.is_error for p in problems):
            raise LintFailed(problems)
        bundle = Bundle.objects.select_for_update().get(pk=version.bundle_id)
        _make_current(bundle, version, actor, "bundle")
        return version


# --- import / export -----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    kind: str  # department | item | bundle
    code: str
    name: str
    action: str  # added | changed | unchanged
    fields: list[str] = field(default_factory=list)  # top-level keys that differ

    @property
    def label(self) -> str:
        return {"added": "新增", "changed": "修改", "unchanged": "不变"}[self.action]


@dataclass
class ImportReport:
    changes: list[Change]
    warnings: list[LintProblem]
    applied: bool

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)


def changed_fields(new: Any, old: Any) -> list[str]:
    """Top-level keys in which two specs differ."""
    new_data, old_data = new.model_dump(mode="json"), old.model_dump(mode="json")
    return [key for key in new_data if new_data[key] != old_data.get(key)]


def _compare(kind: str, code: str, name: str, new: Any, old: Any | None) -> Change:
    if old is None:
        return Change(kind, code, name, "added")
    differing = changed_fields(new, old)
    return Change(kind, code, name, "changed" if differing else "unchanged", differing)


def _current_state() -> tuple[
    dict[str, DepartmentSpec], dict[str, ItemSpec], dict[str, BundleSpec]
]:
    departments = {d.code: department_spec(d) for d in Department.objects.all()}
    items = published_item_specs()
    bundles = {
        v.bundle.code: bundle_spec(v)
        for v in bundle_versions_with_content().filter(status=VersionStatus.PUBLISHED)
    }
    return departments, items, bundles


def catalog_import(
    catalog: CatalogSpec, actor: User | None, *, dry_run: bool = False
) -> ImportReport:
    """Apply a whole catalog file: every new or changed item and bundle becomes a new
    published version. Lint errors anywhere refuse the whole file; nothing is half-written."""
    with transaction.atomic():
        departments, items, bundles = _current_state()
        problems = lint_catalog(catalog, items, departments=set(departments))
        regions = set(Region.objects.values_list("code", flat=True))
        for d in catalog.departments:
            if d.region not in regions:
                problems.append(
                    LintProblem("error", "region", f"行政区划“{d.region}”不存在", d.code, "region")
                )
        if any(p.is_error for p in problems):
            raise LintFailed(problems)
        changes = (
            [
                _compare("department", d.code, d.name, d, departments.get(d.code))
                for d in catalog.departments
            ]
            + [_compare("item", i.code, i.name, i, items.get(i.code)) for i in catalog.items]
            + [_compare("bundle", b.code, b.name, b, bundles.get(b.code)) for b in catalog.bundles]
        )
        report = ImportReport(changes, [p for p in problems if not p.is_error], applied=not dry_run)
        if dry_run:
            return report
        touched = {(c.kind, c.code) for c in changes if c.action != "unchanged"}
        if not touched:
            return report  # nothing to write, nothing to record
        # Departments first (items refer to them), then items, then bundles.
        for department in catalog.departments:
            if ("department", department.code) in touched:
                _upsert_department(department, actor)
        for item in catalog.items:
            if ("item", item.code) in touched:
                _import_item(item, actor)
        for bundle in catalog.bundles:
            if ("bundle", bundle.code) in touched:
                _import_bundle(bundle, actor)
        record_event(
            action="catalog.imported",
            object_type="catalog.Catalog",
            object_id="catalog",
            actor=actor,
            after={
                "added": report.count("added"),
                "changed": report.count("changed"),
                "unchanged": report.count("unchanged"),
            },
        )
        return report


def _upsert_department(spec: DepartmentSpec, actor: User | None) -> None:
    values = {
        "name": spec.name,
        "short_name": spec.short_name,
        "region_id": spec.region,
        "uscc": spec.uscc,
        "kind": spec.kind,
        "phone": spec.phone,
    }
    department, created = Department.objects.update_or_create(code=spec.code, defaults=values)
    record_event(
        action="catalog.department_imported",
        object_type="core.Department",
        object_id=department.pk,
        actor=actor,
        after={"code": spec.code, "created": created, **values},
    )


def _replace_draft(model: type[ItemVersion] | type[BundleVersion], **owner: Any) -> None:
    for draft in model.objects.filter(status=VersionStatus.DRAFT, **owner):
        draft.delete()


def _import_item(spec: ItemSpec, actor: User | None) -> None:
    department = Department.objects.get(code=spec.department)
    item, _ = ServiceItem.objects.get_or_create(
        code=spec.code, defaults={"basic_code": spec.basic_code, "department": department}
    )
    if (item.basic_code, item.department_id) != (spec.basic_code, department.pk):
        item.basic_code, item.department = spec.basic_code, department
        item.save(update_fields=["basic_code", "department"])
    _replace_draft(ItemVersion, item=item)
    draft = ItemVersion(item=item, number=_next_number(ItemVersion, item=item))
    write_item_content(draft, spec)
    catalog_publish_item(draft, actor)


def _import_bundle(spec: BundleSpec, actor: User | None) -> None:
    bundle, _ = Bundle.objects.get_or_create(code=spec.code)
    _replace_draft(BundleVersion, bundle=bundle)
    draft = BundleVersion(bundle=bundle, number=_next_number(BundleVersion, bundle=bundle))
    write_bundle_content(draft, spec)
    catalog_publish_bundle(draft, actor)


def catalog_export(note: str = "") -> CatalogSpec:
    """The published catalog with the departments it refers to, in a stable order."""
    _, items, bundles = _current_state()
    used = {i.department for i in items.values()} | {b.lead_department for b in bundles.values()}
    departments = [
        department_spec(d) for d in Department.objects.filter(code__in=used).order_by("code")
    ]
    return CatalogSpec(
        format=FORMAT,
        note=note,
        departments=departments,
        items=[items[code] for code in sorted(items)],
        bundles=[bundles[code] for code in sorted(bundles)],
    )
