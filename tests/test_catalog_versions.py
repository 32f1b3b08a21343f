"""Versioning: drafts, publishing, immutability, atomic imports and their audit trail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tongban.catalog.actions import (
    LintFailed,
    catalog_import,
    catalog_publish_bundle,
    catalog_publish_item,
    catalog_start_bundle_draft,
    catalog_start_item_draft,
)
from tongban.catalog.catalog_file import dump_catalog_text, parse_catalog_text
from tongban.catalog.enums import VersionStatus
from tongban.catalog.models import (
    Bundle,
    BundleEdge,
    ItemVersion,
    Material,
    PublishedVersionIsImmutable,
    ServiceItem,
)
from tongban.catalog.store import item_spec, item_versions_with_content
from tongban.core.models import AuditEvent, Department

MINI = Path(__file__).parent / "data" / "mini-catalog.yaml"


@pytest.fixture
def item(mini_catalog: None) -> ServiceItem:
    return ServiceItem.objects.get(code="B0001")


def test_a_published_version_cannot_be_changed(item: ServiceItem) -> None:
    version = item.published
    assert version is not None
    version.name = "改过的名称"
    with pytest.raises(PublishedVersionIsImmutable):
        version.save()
    material = Material.objects.filter(version=version).first()
    assert material is not None
    material.name = "改过的材料"
    with pytest.raises(PublishedVersionIsImmutable):
        material.save()
    with pytest.raises(PublishedVersionIsImmutable):
        material.delete()
    assert ItemVersion.objects.get(pk=version.pk).name == "出生登记"


def test_draft_publish_keeps_the_old_version_for_pinned_cases(item: ServiceItem) -> None:
    first = item.published
    assert first is not None
    draft = catalog_start_item_draft(item, actor=None)
    assert (draft.number, draft.status) == (2, VersionStatus.DRAFT)
    assert catalog_start_item_draft(item, actor=None) == draft, "one draft per item"
    draft.name = "出生登记（新版）"
    draft.save()
    Material.objects.filter(version=draft, key="id_card").delete()
    catalog_publish_item(draft, actor=None)
    item.refresh_from_db()
    first.refresh_from_db()
    assert item.published_id == draft.pk
    assert first.status == VersionStatus.SUPERSEDED
    # The old version still says exactly what it said.
    old = item_spec(item_versions_with_content().get(pk=first.pk))
    assert old.name == "出生登记"
    assert "id_card" in [m.key for m in old.materials]
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("seq"))
    assert actions[-2:] == ["catalog.item_draft_started", "catalog.item_published"]


def test_publishing_a_draft_with_lint_errors_is_refused(item: ServiceItem) -> None:
    draft = catalog_start_item_draft(item, actor=None)
    draft.promised_limit = 99  # longer than the statutory 30 days
    draft.save()
    with pytest.raises(LintFailed) as caught:
        catalog_publish_item(draft, actor=None)
    assert caught.value.status == 409
    assert [p["rule"] for p in caught.value.detail] == ["promised_exceeds_statutory"]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT


def test_a_bundle_draft_with_a_cycle_cannot_be_published(mini_catalog: None) -> None:
    bundle = Bundle.objects.get(code="newborn-mini")
    draft = catalog_start_bundle_draft(bundle, actor=None)
    b, a = ServiceItem.objects.get(code="B0001"), ServiceItem.objects.get(code="A0001")
    BundleEdge.objects.create(version=draft, upstream=b, downstream=a, position=9)
    with pytest.raises(LintFailed) as caught:
        catalog_publish_bundle(draft, actor=None)
    messages = [p["message"] for p in caught.value.detail]
    assert any("出生医学证明签发 → 出生登记 → 出生医学证明签发" in m for m in messages), messages


def test_a_failing_import_writes_nothing(mini_catalog: None) -> None:
    spec = parse_catalog_text(MINI.read_text(encoding="utf-8"))
    text = dump_catalog_text(spec)
    # A renamed item (fine) and a broken one (promise longer than the law): all or nothing.
    broken = text.replace("name: 出生登记\n", "name: 出生登记（改）\n").replace(
        "statutory_limit: {days: 10}", "statutory_limit: {days: 1}"
    )
    events = AuditEvent.objects.count()
    with pytest.raises(LintFailed):
        catalog_import(parse_catalog_text(broken), actor=None)
    assert ItemVersion.objects.filter(name="出生登记（改）").count() == 0
    assert AuditEvent.objects.count() == events


def test_import_publishes_only_what_changed(mini_catalog: None) -> None:
    text = dump_catalog_text(parse_catalog_text(MINI.read_text(encoding="utf-8")))
    changed = text.replace("name: 出生登记\n", "name: 出生登记（改）\n")
    dry = catalog_import(parse_catalog_text(changed), actor=None, dry_run=True)
    assert [(c.kind, c.code, c.fields) for c in dry.changes if c.action == "changed"] == [
        ("item", "B0001", ["name"])
    ]
    assert not ItemVersion.objects.filter(name="出生登记（改）").exists()
    catalog_import(parse_catalog_text(changed), actor=None)
    item = ServiceItem.objects.get(code="B0001")
    assert item.published is not None
    assert (item.published.name, item.published.number) == ("出生登记（改）", 2)
    assert ServiceItem.objects.get(code="A0001").versions.count() == 1


def test_import_creates_departments_listed_in_the_file(mini_catalog: None) -> None:
    hospital = Department.objects.get(code="test-hospital")
    assert hospital.name == "测试市人民医院"
    assert hospital.region_id == "430600"
