"""Licence pages and API: the public verify page and JSON (no login), the signing keys, the
holder's wallet with PDF download, and revoke / correct by the issuing department."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tongban.cases.models import Case
from tongban.core.demo import DEMO_PASSWORD
from tongban.core.identifiers import make_resident_id
from tongban.core.models import Role, RoleAssignment, User
from tongban.licences.actions import licence_revoke, licence_use_record
from tongban.licences.models import Licence, LicenceStatus, LicenceType

from .case_helpers import (
    approve_through,
    approver_of,
    import_case_catalog,
    shanghai,
    submit,
    tc_licence_type,
)
from .conftest import post_json

Persona = Callable[[str], User]
Login = Callable[[str], Client]


@pytest.fixture
def licence_type(demo: None) -> LicenceType:
    import_case_catalog("TCHAINUP01")
    return tc_licence_type()


def _issue_to(user: User, day: int = 1) -> Licence:
    with time_machine.travel(shanghai(2026, 6, day), tick=False):
        case = submit(user, item="TCHAINUP01").cases.get()
        approve_through(case.case_no)
    return Licence.objects.get(case=case)


def _other_citizen() -> User:
    user = User.objects.create(
        username="citizen-other",
        full_name="张另一",
        id_number=make_resident_id("43060219850101002"),
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    RoleAssignment.objects.create(user=user, role=Role.CITIZEN)
    return user


def _issuer(licence: Licence) -> User:
    return approver_of(Case.objects.get(licences=licence))


# ---------------------------------------------------------------- public verify page


def test_the_verify_page_shows_a_valid_licence_without_personal_data(
    licence_type: LicenceType, persona: Persona, client: Client
) -> None:
    licence = _issue_to(persona("citizen"))
    response = client.get(f"/verify/{licence.identifier}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert 'data-status="valid"' in page
    assert "有效" in page
    assert licence.issuer_name in page
    assert licence.holder_id_masked in page
    assert licence.key_id in page
    assert licence.holder_id not in page
    assert "申请人" not in page  # face data stays private
    assert "python -m tongban.verify" in page
    assert "/api/v1/licences/keys" in page


def test_a_revocation_shows_at_once_with_its_reason(
    licence_type: LicenceType, persona: Persona, client: Client
) -> None:
    licence = _issue_to(persona("citizen"))
    assert 'data-status="valid"' in client.get(f"/verify/{licence.identifier}").content.decode()
    licence_revoke(licence.identifier, actor=_issuer(licence), role="approver", reason="证照遗失")
    page = client.get(f"/verify/{licence.identifier}").content.decode()
    assert 'data-status="revoked"' in page
    assert "已撤销" in page
    assert "证照遗失" in page


def test_an_edited_row_shows_as_tampered(
    licence_type: LicenceType, persona: Persona, client: Client
) -> None:
    licence = _issue_to(persona("citizen"))
    Licence.objects.filter(pk=licence.pk).update(holder_name="王冒名")
    response = client.get(f"/verify/{licence.identifier}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "数据被篡改" in page
    assert licence.issuer_name not in page


@pytest.mark.parametrize("identifier", ["1.2.156.3005.2.X.Y.Z.001.A", "nonsense", "%E4%B8%AD"])
def test_an_unknown_or_malformed_identifier_is_not_found(
    db: None, client: Client, identifier: str
) -> None:
    response = client.get(f"/verify/{identifier}")
    assert response.status_code == 404
    assert "查无此证" in response.content.decode()


def test_a_superseded_version_links_to_the_newest(
    licence_type: LicenceType, persona: Persona, client: Client, api_token: Callable[[str], str]
) -> None:
    licence = _issue_to(persona("citizen"))
    issuer = _issuer(licence)
    response = post_json(
        client,
        f"/api/v1/licences/{licence.identifier}/actions/correct",
        {"reason": "姓名录入错误", "data": {"申请人": "李晓梅（更正）"}},
        Authorization=f"Bearer {api_token(issuer.username)}",
    )
    assert response.status_code == 200, response.content
    new = response.json()
    assert new["version"] == 2
    assert new["status"] == "valid"
    page = client.get(f"/verify/{licence.identifier}").content.decode()
    assert "已被新版本替代" in page
    assert f"/verify/{new['identifier']}" in page


# ---------------------------------------------------------------- API: verify and keys


def test_the_api_verifies_each_outcome_with_status_200(
    licence_type: LicenceType, persona: Persona, client: Client
) -> None:
    valid = _issue_to(persona("citizen"), day=1)
    revoked = _issue_to(persona("citizen"), day=2)
    tampered = _issue_to(persona("citizen"), day=3)
    licence_revoke(revoked.identifier, actor=_issuer(revoked), role="approver", reason="注销")
    Licence.objects.filter(pk=tampered.pk).update(holder_name="王冒名")
    expected = {
        valid.identifier.lower(): "valid",  # dots and lower case both pass the path
        revoked.identifier: "revoked",
        tampered.identifier: "tampered",
        "1.2.156.3005.2.X.Y.Z.001.A": "not_found",
    }
    for identifier, status in expected.items():
        response = client.get(f"/api/v1/licences/{identifier}/verify")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == status
        assert valid.holder_id not in response.content.decode()
    body = client.get(f"/api/v1/licences/{valid.identifier}/verify").json()
    assert body["issuer_name"] == valid.issuer_name
    assert body["key_id"] == valid.key_id
    assert body["status_label"] == "有效"
    assert '"status_label": "有效"' in client.get(
        f"/api/v1/licences/{valid.identifier}/verify"
    ).content.decode("utf-8")  # Chinese not escaped
    revoked_body = client.get(f"/api/v1/licences/{revoked.identifier}/verify").json()
    assert revoked_body["status_reason"] == "注销"


def test_the_keys_endpoint_lists_the_signing_key(
    licence_type: LicenceType, persona: Persona, client: Client
) -> None:
    licence = _issue_to(persona("citizen"))
    response = client.get("/api/v1/licences/keys")
    assert response.status_code == 200
    assert licence.key_id in {key["key_id"] for key in response.json()["keys"]}


# ---------------------------------------------------------------- API: mine, revoke, correct


def test_the_api_lists_only_my_licences(
    licence_type: LicenceType,
    persona: Persona,
    client: Client,
    api_token: Callable[[str], str],
) -> None:
    mine = _issue_to(persona("citizen"))
    other = _issue_to(_other_citizen(), day=2)
    response = client.get(
        "/api/v1/licences", headers={"Authorization": f"Bearer {api_token('citizen')}"}
    )
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["identifier"] for row in rows] == [mine.identifier]
    assert rows[0]["status"] == "valid"
    assert rows[0]["type_name"] == "测试证明甲"
    assert rows[0]["pdf_url"] == f"/licences/{mine.identifier}.pdf"
    assert other.identifier not in response.content.decode()
    assert client.get("/api/v1/licences").status_code == 401


def test_revoke_by_the_issuer_and_not_by_another_department(
    licence_type: LicenceType,
    persona: Persona,
    client: Client,
    api_token: Callable[[str], str],
) -> None:
    licence = _issue_to(persona("citizen"))
    url = f"/api/v1/licences/{licence.identifier}/actions/revoke"
    outsider = post_json(
        client,
        url,
        {"reason": "越权"},
        Authorization=f"Bearer {api_token('approver-yy-gongan')}",
    )
    assert outsider.status_code == 403
    assert outsider.json()["error"] == "forbidden"
    citizen = post_json(
        client, url, {"reason": "自己撤"}, Authorization=f"Bearer {api_token('citizen')}"
    )
    assert citizen.status_code == 403
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.VALID
    issuer = f"Bearer {api_token(_issuer(licence).username)}"
    no_reason = post_json(client, url, {"reason": " "}, Authorization=issuer)
    assert no_reason.status_code == 400
    response = post_json(client, url, {"reason": "以欺骗手段取得"}, Authorization=issuer)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked"
    assert "以欺骗手段取得" in response.content.decode("utf-8")  # Chinese not escaped
    again = post_json(client, url, {"reason": "再撤"}, Authorization=issuer)
    assert again.status_code == 409


# ---------------------------------------------------------------- wallet and PDF


def test_the_wallet_shows_my_licences_and_not_anothers(
    licence_type: LicenceType, persona: Persona, logged_in: Login
) -> None:
    mine = _issue_to(persona("citizen"))
    other = _issue_to(_other_citizen(), day=2)
    case = Case.objects.select_related("application", "department").get(licences=mine)
    licence_use_record(
        mine,
        application=case.application,
        case=case,
        department=case.department,
        material_key="test_material",
        material_name="测试证明材料",
        actor=None,
        role="system",
    )
    client = logged_in("citizen")
    response = client.get("/licences/")
    assert response.status_code == 200
    page = response.content.decode()
    assert mine.identifier in page
    assert other.identifier not in page
    assert "测试证明甲" in page
    assert "下载PDF" in page
    assert f"/licences/{mine.identifier}.pdf" in page
    assert "<svg" in page
    assert "测试证明材料" in page  # the use record
    assert case.application.number
    assert case.application.number in page
    assert mine.holder_id not in page


def test_the_wallet_puts_valid_licences_first(
    licence_type: LicenceType, persona: Persona, logged_in: Login
) -> None:
    older = _issue_to(persona("citizen"), day=1)
    newer = _issue_to(persona("citizen"), day=2)
    licence_revoke(newer.identifier, actor=_issuer(newer), role="approver", reason="注销")
    page = logged_in("citizen").get("/licences/").content.decode()
    assert page.index(older.identifier) < page.index(newer.identifier)


def test_the_wallet_needs_a_citizen_or_company_login(
    licence_type: LicenceType, client: Client, logged_in: Login
) -> None:
    assert client.get("/licences/").status_code == 302
    assert logged_in("clerk").get("/licences/").status_code == 403


def test_the_wallet_query_count_does_not_grow_with_licences(
    licence_type: LicenceType, persona: Persona, logged_in: Login
) -> None:
    citizen = persona("citizen")
    first = _issue_to(citizen, day=1)
    client = logged_in("citizen")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/licences/").status_code == 200
        return len(queries)

    one = count()
    for day in (2, 3):
        licence = _issue_to(citizen, day=day)
        case = Case.objects.select_related("application", "department").get(licences=licence)
        licence_use_record(
            first,
            application=case.application,
            case=case,
            department=case.department,
            material_key="m",
            material_name="材料",
            actor=None,
            role="system",
        )
    assert count() == one


def test_the_pdf_is_for_the_owner_and_the_issuer_only(
    licence_type: LicenceType, persona: Persona, client: Client, logged_in: Login
) -> None:
    licence = _issue_to(persona("citizen"))
    url = f"/licences/{licence.identifier}.pdf"
    response = logged_in("citizen").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    client.logout()
    _other_citizen()
    assert logged_in("citizen-other").get(url).status_code == 404
    client.logout()
    assert logged_in("company").get(url).status_code == 404
    client.logout()
    assert logged_in("approver-yy-gongan").get(url).status_code == 404
    client.logout()
    assert logged_in(_issuer(licence).username).get(url).status_code == 200
    client.logout()
    assert logged_in("citizen").get("/licences/1.2.156.3005.2.X.Y.Z.001.A.pdf").status_code == 404
