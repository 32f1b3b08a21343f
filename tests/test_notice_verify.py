"""A notice's QR code opens a public page that says the notice is genuine — and, for a
decision later revoked, that it no longer stands — without personal data."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from django.test import Client

from tongban.cases.actions.dispatch import perform_action
from tongban.cases.enums import NoticeKind
from tongban.cases.models import Notice
from tongban.cases.notices import printable_notice
from tongban.core.models import User
from tongban.licences.models import Licence

from .test_licence_views import _issue_to, _issuer, licence_type

__all__ = ["licence_type"]
pytestmark = pytest.mark.django_db


def test_an_approval_notice_verifies_and_links_its_licence_then_shows_revocation(
    licence_type: object, persona: Callable[[str], User], client: Client
) -> None:
    licence = _issue_to(persona("citizen"))
    notice = Notice.objects.get(case=licence.case, kind=NoticeKind.APPROVAL)
    url = printable_notice(notice).verify_url
    assert url.endswith(f"/verify/notice/{quote(notice.number, safe='')}")
    path = url[url.index("/verify/") :]
    response = client.get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert 'data-status="valid"' in page
    assert notice.number in page
    assert f"/verify/{licence.identifier}" in page
    assert licence.holder_name not in page  # nothing personal

    assert licence.case is not None
    perform_action(
        _issuer(licence),
        licence.case.case_no,
        "revoke",
        {"reason": "申请人隐瞒有关情况", "legal_basis": "《中华人民共和国行政许可法》第六十九条"},
    )
    assert Licence.objects.get(pk=licence.pk).status == "revoked"
    page = client.get(path).content.decode()
    assert 'data-status="revoked"' in page
    assert "决定已撤销" in page


def test_an_unknown_notice_number_is_not_found(db: None, client: Client) -> None:
    response = client.get("/verify/notice/" + quote("岳阳市公安局受字〔2026〕第999999号"))
    assert response.status_code == 404
    assert 'data-status="not_found"' in response.content.decode()
