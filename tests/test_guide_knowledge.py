"""The index follows the published catalog and the synonyms: a publication or a synonym
edit (action or admin page) changes the next search, with its audit event."""

from __future__ import annotations

from django.test import Client

from tongban.catalog.actions import catalog_import
from tongban.catalog.spec import FORMAT, CatalogSpec
from tongban.core.models import AuditEvent
from tongban.guide.actions import guide_save_synonym
from tongban.guide.demo import DEMO_SYNONYMS, load_demo_synonyms
from tongban.guide.index import current_index, forget_index
from tongban.guide.models import Synonym
from tongban.guide.search import guide_search

from .catalog_factories import make_item


def codes(query: str) -> list[str]:
    return [r.code for r in guide_search(query).results]


def test_publishing_a_catalog_version_rebuilds_the_index(mini_catalog: None) -> None:
    forget_index()
    assert codes("养犬") == []
    before = current_index()
    item = make_item("T0001", name="养犬登记证核发", department="yy-gongan")
    catalog_import(CatalogSpec(format=FORMAT, items=[item]), actor=None)
    assert codes("养犬")[0] == "T0001"
    assert current_index() is not before
    assert current_index() is current_index()  # unchanged catalog: no rebuild


def test_a_synonym_edit_changes_results_and_is_audited(mini_catalog: None) -> None:
    forget_index()
    assert "D0001" not in codes("一卡通")
    synonym = guide_save_synonym(phrase="一卡通", terms="社会保障卡", actor=None)
    assert codes("一卡通")[0] == "D0001"
    guide_save_synonym(
        phrase="一卡通", terms="社会保障卡", actor=None, is_active=False, synonym=synonym
    )
    assert "D0001" not in codes("一卡通")
    actions = list(
        AuditEvent.objects.filter(object_type="guide.Synonym").values_list("action", flat=True)
    )
    assert actions == ["guide.synonym_created", "guide.synonym_changed"]


def test_catalog_administrator_edits_synonyms_in_the_admin(mini_catalog: None, logged_in) -> None:
    forget_index()
    client: Client = logged_in("catalog")
    response = client.post(
        "/admin/guide/synonym/add/",
        {"phrase": "一卡通", "terms": "社会保障卡", "note": "窗口反馈", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    synonym = Synonym.objects.get(phrase="一卡通")
    assert synonym.updated_by is not None
    assert synonym.updated_by.username == "catalog"
    assert codes("一卡通")[0] == "D0001"
    # The same phrase twice, or terms equal to the phrase, are refused with a reason.
    again = client.post("/admin/guide/synonym/add/", {"phrase": "一卡通", "terms": "社保"})
    assert again.status_code == 200
    same = client.post("/admin/guide/synonym/add/", {"phrase": "医保", "terms": "医保"})
    assert "无需添加" in same.content.decode()
    assert client.get("/admin/guide/synonym/1/delete/").status_code == 403


def test_citizens_cannot_reach_the_synonym_admin(mini_catalog: None, logged_in) -> None:
    client: Client = logged_in("citizen")
    assert client.get("/admin/guide/synonym/").status_code in (302, 403)


def test_demo_synonyms_load_once(demo: None) -> None:
    assert load_demo_synonyms() == len(DEMO_SYNONYMS)
    assert load_demo_synonyms() == 0
    assert Synonym.objects.filter(is_active=True).count() == len(DEMO_SYNONYMS)
