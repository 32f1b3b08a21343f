"""The issuing department's licence page: reached from the source case, it revokes and
corrects (a new version) through the same actions as the API, and nobody else sees it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tongban.core.models import AuditEvent, User
from tongban.licences.models import Licence, LicenceStatus, LicenceType

from .test_licence_views import _issue_to, _issuer, licence_type

__all__ = ["licence_type"]  # the fixture, shared with test_licence_views

Persona = Callable[[str], User]
Login = Callable[[str], Client]
pytestmark = pytest.mark.django_db


def test_the_case_page_links_the_issuer_to_the_licence_page(
    licence_type: LicenceType, persona: Persona, logged_in: Login
) -> None:
    licence = _issue_to(persona("citizen"))
    client = logged_in(_issuer(licence).username)
    assert licence.case is not None
    page = client.get(f"/cases/staff/case/{licence.case.case_no}/").content.decode()
    assert 'data-testid="issued-licence"' in page
    assert f'href="/licences/manage/{licence.identifier}/"' in page

    manage = client.get(f"/licences/manage/{licence.identifier}/")
    assert manage.status_code == 200
    body = manage.content.decode()
    assert "测试证明甲" in body
    assert licence.identifier in body
    assert 'data-testid="revoke-licence"' in body


def test_only_the_issuing_department_sees_the_page(
    licence_type: LicenceType, persona: Persona, logged_in: Login
) -> None:
    licence = _issue_to(persona("citizen"))
    # The holder has the wallet and the PDF; another department's approver has the
    # public verify page. Neither learns of this page's existence.
    for username in ("citizen", "approver-yy-gongan"):
        assert logged_in(username).get(f"/licences/manage/{licence.identifier}/").status_code == 404
    response = logged_in("approver-yy-gongan").post(
        f"/licences/manage/{licence.identifier}/revoke/", {"reason": "不该能撤销"}
    )
    assert response.status_code == 404
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.VALID


def test_revoking_needs_a_reason_and_then_shows_on_the_verify_page(
    licence_type: LicenceType, persona: Persona, logged_in: Login, client: Client
) -> None:
    licence = _issue_to(persona("citizen"))
    staff = logged_in(_issuer(licence).username)
    url = f"/licences/manage/{licence.identifier}/revoke/"

    refused = staff.post(url, {"reason": "  "})
    assert refused.status_code == 400
    assert "请填写撤销证照的原因" in refused.content.decode()
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.VALID
    assert not AuditEvent.objects.filter(action="licence.revoke").exists()

    done = staff.post(url, {"reason": "出生医学证明信息有误，已收回"}, follow=True)
    assert done.status_code == 200
    assert 'data-testid="not-changeable"' in done.content.decode()
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.REVOKED
    event = AuditEvent.objects.get(action="licence.revoke", object_id=licence.identifier)
    assert event.after is not None
    assert event.after["reason"] == "出生医学证明信息有误，已收回"

    verify = client.get(f"/verify/{licence.identifier}").content.decode()
    assert 'data-status="revoked"' in verify
    assert "出生医学证明信息有误，已收回" in verify

    again = staff.post(url, {"reason": "再撤销一次"})
    assert again.status_code == 409


def test_correcting_issues_a_new_version_and_supersedes_the_old(
    licence_type: LicenceType, persona: Persona, logged_in: Login, client: Client
) -> None:
    licence = _issue_to(persona("citizen"))
    staff = logged_in(_issuer(licence).username)
    url = f"/licences/manage/{licence.identifier}/correct/"
    # field-0 is the first face field of the type (申请人), posted by position.
    unchanged = staff.post(url, {"reason": "核对", "field-0": licence.data["申请人"]})
    assert unchanged.status_code == 400
    assert "更正内容与原证照相同" in unchanged.content.decode()

    response = staff.post(url, {"reason": "姓名录入错误", "field-0": "李晓眉"})
    new = Licence.objects.get(base=licence.base, version=licence.version + 1)
    assert response.status_code == 302
    assert response["Location"] == f"/licences/manage/{new.identifier}/"
    assert new.data["申请人"] == "李晓眉"
    assert new.data["办件编号"] == licence.data["办件编号"]  # untouched fields carried over
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.SUPERSEDED

    old_page = client.get(f"/verify/{licence.identifier}").content.decode()
    assert 'data-status="superseded"' in old_page
    assert f"/verify/{new.identifier}" in old_page
    page = staff.get(f"/licences/manage/{new.identifier}/").content.decode()
    assert f'href="/licences/manage/{licence.identifier}/"' in page  # version history
