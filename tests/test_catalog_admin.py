"""Catalog administration in the Django admin: who sees it, drafts only are editable,
publishing shows lint results, and imports are previewed before anything is written."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tongban.catalog.catalog_file import parse_catalog_text
from tongban.catalog.excel import MATERIALS_SHEET, export_workbook
from tongban.catalog.models import (
    Bundle,
    BundleMember,
    BundleVersion,
    ItemVersion,
    Material,
    ServiceItem,
)
from tongban.core.audit import verify_audit_chain
from tongban.core.models import AuditEvent, Role, RoleAssignment, User

pytestmark = pytest.mark.usefixtures("mini_catalog")

MINI_CATALOG = Path(__file__).parent / "data" / "mini-catalog.yaml"
ITEMS = "/admin/catalog/serviceitem/"
VERSIONS = "/admin/catalog/itemversion/"
IMPORT = "/admin/catalog/serviceitem/import/"


def _item(code: str) -> ServiceItem:
    return ServiceItem.objects.select_related("published").get(code=code)


def _state() -> tuple[list[Any], int]:
    versions = ItemVersion.objects.order_by("pk").values_list("pk", "status", "name")
    return list(versions), AuditEvent.objects.count()


def _form_data(response: Any) -> dict[str, Any]:
    """What the browser would post back for the rendered admin form and its inlines."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = value
    return data


@pytest.fixture
def non_superuser_catalog_admin(client: Client) -> Client:
    """Staff with the catalog role only: access comes from `rules`, not superuser rights."""
    user = User.objects.create_user("catalog2", password="x", is_staff=True)
    RoleAssignment.objects.create(user=user, role=Role.CATALOG_ADMIN)
    client.force_login(user)
    return client


# --- who sees it -------------------------------------------------------------------------


def test_catalog_admin_logs_in_and_sees_the_catalog(logged_in) -> None:
    client = logged_in("catalog")
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "事项目录" in index.content.decode()
    page = client.get(ITEMS).content.decode()
    assert "A0001" in page
    assert "出生医学证明签发" in page
    assert "第1版" in page


def test_access_comes_from_the_catalog_role(non_superuser_catalog_admin: Client) -> None:
    client = non_superuser_catalog_admin
    for url in (ITEMS, VERSIONS, "/admin/catalog/bundle/", "/admin/catalog/bundleversion/", IMPORT):
        assert client.get(url).status_code == 200, url
    assert "事项目录" in client.get("/admin/").content.decode()
    # Nothing else in the admin: users stay the system administrator's business.
    assert client.get("/admin/core/user/").status_code == 403


@pytest.mark.parametrize("username", ["citizen", "clerk"])
def test_citizens_and_clerks_are_kept_out(logged_in, username: str) -> None:
    client = logged_in(username)
    response = client.get(ITEMS)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get(IMPORT).status_code == 302


def test_staff_without_the_catalog_role_gets_403(client: Client) -> None:
    user = User.objects.create_user("helpdesk", password="x", is_staff=True)
    RoleAssignment.objects.create(user=user, role=Role.HOTLINE)
    client.force_login(user)
    assert client.get(ITEMS).status_code == 403
    assert client.get(IMPORT).status_code == 403
    version = _item("A0001").published
    assert version is not None
    assert client.post(f"{VERSIONS}{version.pk}/publish/").status_code == 403


def test_list_searches_by_name_and_filters_by_department(logged_in) -> None:
    client = logged_in("catalog")
    found = client.get(ITEMS, {"q": "出生"}).content.decode()
    assert "A0001" in found
    assert "B0001" in found
    assert "C0001" not in found
    police = _item("B0001").department_id
    filtered = client.get(ITEMS, {"department__id__exact": police}).content.decode()
    assert "B0001" in filtered
    assert "A0001" not in filtered


# --- published versions are read-only ----------------------------------------------------


def test_a_published_version_cannot_be_changed(non_superuser_catalog_admin: Client) -> None:
    client = non_superuser_catalog_admin
    version = _item("B0001").published
    assert version is not None
    url = f"{VERSIONS}{version.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "不可修改" in html
    assert 'name="_save"' not in html
    assert 'name="materials-0-name"' not in html  # the inlines are read-only too
    before = _state()
    response = client.post(url, {"name": "被改掉的名称", "materials-TOTAL_FORMS": "0"})
    assert response.status_code == 403
    assert _state() == before
    assert client.post(f"{VERSIONS}{version.pk}/delete/", {"post": "yes"}).status_code == 403
    assert _state() == before


def test_a_draft_is_edited_in_the_admin_and_each_change_is_audited(logged_in) -> None:
    client = logged_in("catalog")
    item = _item("C0001")
    response = client.post(f"{ITEMS}{item.pk}/new-draft/")
    draft = ItemVersion.objects.get(item=item, status="draft")
    assert response["Location"] == f"{VERSIONS}{draft.pk}/change/"
    page = client.get(f"{VERSIONS}{draft.pk}/change/")
    assert 'name="_save"' in page.content.decode()
    data = _form_data(page)
    data["hours"] = "工作日 9:00-17:00"
    data["materials-0-name"] = "居民身份证（原件）"
    data["materials-TOTAL_FORMS"] = "3"
    data.update(
        {
            "materials-2-key": "photo",
            "materials-2-name": "照片",
            "materials-2-form": "original",
            "materials-2-format": "either",
            "materials-2-copies": "1",
            "materials-2-necessity": "required",
            "materials-2-source": "upload",
            "materials-2-position": "0",
            "materials-2-version": str(draft.pk),
        }
    )
    response = client.post(f"{VERSIONS}{draft.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.hours == "工作日 9:00-17:00"
    assert [(m.key, m.name, m.position) for m in draft.materials.all()] == [
        ("id_card", "居民身份证（原件）", 0),
        ("hukou_booklet", "居民户口簿", 1),
        ("photo", "照片", 2),  # a new row goes last
    ]
    events = AuditEvent.objects.filter(action__startswith="admin_", actor_name="catalog")
    assert sorted(events.values_list("action", "object_type")) == [
        ("admin_changed", "itemversion"),
        ("admin_changed", "material"),
        ("admin_created", "material"),
    ]
    assert set(events.values_list("role", flat=True)) == {Role.CATALOG_ADMIN}
    assert verify_audit_chain().ok
    # The published version is untouched until the draft is published.
    assert _item("C0001").published.hours == ""  # type: ignore[union-attr]


# --- publishing --------------------------------------------------------------------------


def _draft(code: str) -> ItemVersion:
    from tongban.catalog.actions import catalog_start_item_draft

    return catalog_start_item_draft(_item(code), actor=None)


def test_publish_page_shows_lint_errors_and_refuses(logged_in) -> None:
    client = logged_in("catalog")
    draft = _draft("A0001")
    draft.promised_limit = 40  # more than the statutory 20 working days
    draft.save()
    url = f"{VERSIONS}{draft.pk}/publish/"
    page = client.get(url)
    html = page.content.decode()
    assert 'id="lint-errors"' in html
    assert "承诺办结时限不得超过法定办结时限" in html
    assert "确认发布" not in html
    response = client.post(url)
    assert response.status_code == 409
    assert "检查未通过，未发布" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert _item("A0001").published.number == 1  # type: ignore[union-attr]


def test_publishing_a_clean_draft_works_and_is_audited(logged_in) -> None:
    client = logged_in("catalog")
    draft = _draft("B0001")
    Material.objects.filter(version=draft, key="id_card").update(name="居民身份证（父母）")
    url = f"{VERSIONS}{draft.pk}/publish/"
    html = client.get(url).content.decode()
    assert 'id="lint-warnings"' in html  # born_here is asked but never used: a warning
    assert "未被任何条件使用" in html
    assert "申请材料" in html  # what changed since the published version
    assert "确认发布" in html
    response = client.post(url)
    assert response.status_code == 302
    item = _item("B0001")
    assert item.published_id == draft.pk
    event = AuditEvent.objects.get(action="catalog.item_published", actor_name="catalog")
    assert event.actor_name == "catalog"
    assert event.after == {"item": "B0001", "published": 2}
    # Now published, the version is read-only and offers a new draft instead.
    page = client.get(f"{VERSIONS}{draft.pk}/change/").content.decode()
    assert "创建新草稿" in page
    assert 'name="_save"' not in page


def test_bundle_publish_page_refuses_an_edge_to_a_removed_member(logged_in) -> None:
    client = logged_in("catalog")
    bundle = Bundle.objects.get(code="newborn-mini")
    client.post(f"/admin/catalog/bundle/{bundle.pk}/new-draft/")
    draft = BundleVersion.objects.get(bundle=bundle, status="draft")
    BundleMember.objects.filter(version=draft, item__code="D0001").delete()
    url = f"/admin/catalog/bundleversion/{draft.pk}/publish/"
    html = client.get(url).content.decode()
    assert "不在本件事中" in html
    assert client.post(url).status_code == 409
    BundleMember.objects.create(version=draft, item=_item("D0001"), position=9)
    assert client.post(url).status_code == 302
    bundle.refresh_from_db()
    assert bundle.published_id == draft.pk
    assert AuditEvent.objects.filter(
        action="catalog.bundle_published", actor_name="catalog"
    ).exists()


# --- import and export -------------------------------------------------------------------


def _upload(client: Client, name: str, content: bytes) -> Any:
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(IMPORT, {"file": upload})


def test_yaml_import_is_previewed_and_written_only_when_confirmed(logged_in) -> None:
    client = logged_in("catalog")
    text = MINI_CATALOG.read_text(encoding="utf-8").replace("name: 分娩记录", "name: 分娩记录单")
    before = _state()
    preview = _upload(client, "catalog.yaml", text.encode())
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "新增 <strong>0</strong>，修改 <strong>1</strong>，不变 5" in html
    assert "申请材料" in html  # the changed field, by name
    assert "确认导入" in html
    assert _state() == before  # nothing written by the preview

    payload = preview.context["payload"]
    done = client.post(IMPORT, {"payload": payload})
    assert done.status_code == 302
    assert _item("A0001").published.number == 2  # type: ignore[union-attr]
    assert _item("B0001").published.number == 1  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="catalog.imported", actor_name="catalog").exists()


def test_excel_import_preview_and_confirm(logged_in) -> None:
    client = logged_in("catalog")
    book = load_workbook(io.BytesIO(export_workbook()))
    book[MATERIALS_SHEET]["B12"] = "recent_photo"  # D0001's first material gets a new key
    buffer = io.BytesIO()
    book.save(buffer)
    before = _state()
    preview = _upload(client, "事项.xlsx", buffer.getvalue())
    assert [(c.code, c.action) for c in preview.context["report"].changes][3] == (
        "D0001",
        "changed",
    )
    assert _state() == before
    assert client.post(IMPORT, {"payload": preview.context["payload"]}).status_code == 302
    assert _item("D0001").published.materials.first().key == "recent_photo"  # type: ignore[union-attr]


def test_yaml_errors_are_listed_with_line_and_column(logged_in) -> None:
    client = logged_in("catalog")
    text = MINI_CATALOG.read_text(encoding="utf-8").replace("kind: 事业单位", "kind: 事业单位X")
    before = _state()
    page = _upload(client, "catalog.yaml", text.encode())
    html = page.content.decode()
    assert "文件有错误，未导入任何内容" in html
    [problem] = page.context["file_problems"]
    assert (problem["line"], problem["column"]) == (10, 11)
    assert "确认导入" not in html
    assert _state() == before


def test_excel_errors_name_sheet_row_and_column_letter(logged_in) -> None:
    client = logged_in("catalog")
    book = load_workbook(io.BytesIO(export_workbook()))
    book[MATERIALS_SHEET]["F3"] = "两份"
    buffer = io.BytesIO()
    book.save(buffer)
    page = _upload(client, "catalog.xlsx", buffer.getvalue())
    [problem] = page.context["file_problems"]
    assert (problem["sheet"], problem["line"], problem["column"], problem["path"]) == (
        MATERIALS_SHEET,
        3,
        "F",
        "份数",
    )
    assert "工作表" in page.content.decode()


def test_lint_errors_refuse_the_import(logged_in) -> None:
    client = logged_in("catalog")
    text = MINI_CATALOG.read_text(encoding="utf-8").replace(
        "statutory_limit: {days: 20}", "statutory_limit: {days: 2}"
    )
    before = _state()
    page = _upload(client, "catalog.yaml", text.encode())
    html = page.content.decode()
    assert "目录检查未通过" in html
    assert "承诺办结时限不得超过法定办结时限" in html
    assert "确认导入" not in html
    assert _state() == before


def test_a_tampered_confirmation_is_refused(logged_in) -> None:
    client = logged_in("catalog")
    before = _state()
    page = client.post(IMPORT, {"payload": "not-a-signed-payload"})
    assert "预览已失效" in page.content.decode()
    assert _state() == before


def test_unchanged_file_needs_no_import(logged_in) -> None:
    client = logged_in("catalog")
    yaml_text = client.get(f"{ITEMS}export/yaml/")
    assert yaml_text["Content-Disposition"].startswith("attachment;")
    catalog = parse_catalog_text(yaml_text.content.decode())
    assert [i.code for i in catalog.items] == ["A0001", "B0001", "C0001", "D0001"]
    page = _upload(client, "catalog.yaml", yaml_text.content)
    assert "无需导入" in page.content.decode()
    assert "确认导入" not in page.content.decode()
    workbook = client.get(f"{ITEMS}export/xlsx/")
    assert load_workbook(io.BytesIO(workbook.content)).sheetnames[:2] == ["事项", "材料"]


def test_a_new_item_gets_its_first_version_in_the_admin(logged_in) -> None:
    client = logged_in("catalog")
    police = _item("B0001").department
    response = client.post(
        f"{ITEMS}add/", {"code": "F0001", "basic_code": "000000000006", "department": police.pk}
    )
    item = _item("F0001")
    assert response["Location"] == f"{VERSIONS}add/?item={item.pk}"
    page = client.get(response["Location"])
    data = _form_data(page)
    data.update(
        {
            "item": str(item.pk),
            "name": "户口迁移",
            "item_type": "07",
            "service_objects": ["1"],
            "statutory_limit": "20",
            "promised_limit": "5",
            "case_kind": "promised",
            "visits": "0",
            "online_depth": "4",
            "delivery": ["mail"],
            "result_type": "approval",
            "result_name": "准予迁移",
        }
    )
    response = client.post(f"{VERSIONS}add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    draft = ItemVersion.objects.get(item=item)
    assert (draft.number, draft.status, draft.service_objects) == (1, "draft", ["1"])
    assert client.post(f"{VERSIONS}{draft.pk}/publish/").status_code == 302
    assert _item("F0001").published_id == draft.pk
    # An item that already has versions gets new ones through “创建新草稿” only.
    again = client.post(f"{VERSIONS}add/", data)
    assert "创建新草稿" in str(again.context["adminform"].form.errors["item"])


def test_a_draft_can_be_discarded(logged_in) -> None:
    client = logged_in("catalog")
    draft = _draft("D0001")
    response = client.post(f"{VERSIONS}{draft.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not ItemVersion.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(action="admin_deleted", object_type="itemversion").exists()
    assert _item("D0001").published.number == 1  # type: ignore[union-attr]
