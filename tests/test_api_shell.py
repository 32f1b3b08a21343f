"""The API shell: token and session auth, one error shape, OpenAPI 3.1, offline docs."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from tongban.core.demo import DEMO_PASSWORD
from tongban.core.models import ApiToken, AuditEvent

from .conftest import post_json


def test_token_then_bearer_call(client: Client, api_token) -> None:
    token = api_token("clerk")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "clerk"
    assert body["roles"][0]["role"] == "clerk"
    assert body["roles"][0]["department"] == "岳阳市政务服务中心"
    assert response["Content-Type"].startswith("application/json")
    assert "岳阳市政务服务中心".encode() in response.content  # not \u-escaped


def test_token_is_stored_only_as_a_hash_and_issuing_is_audited(client: Client, api_token) -> None:
    token = api_token("supervisor")
    stored = ApiToken.objects.get()
    assert token not in stored.key_hash
    assert stored.expires_at > timezone.now()
    assert AuditEvent.objects.filter(
        action="api_token_issued", actor__username="supervisor"
    ).exists()


@pytest.mark.django_db
def test_wrong_password_is_401_in_the_error_shape(client: Client, demo) -> None:
    response = post_json(client, "/api/v1/auth/token", {"username": "clerk", "password": "x"})
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_credentials", "detail": "用户名或密码错误"}
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_missing_or_bad_token_is_401(client: Client) -> None:
    assert client.get("/api/v1/me").json()["error"] == "unauthorized"
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_expired_token_is_refused(client: Client, api_token) -> None:
    token = api_token("hotline")
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_session_auth_works_for_a_logged_in_browser(logged_in) -> None:
    client = logged_in("citizen")
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["full_name"] == "李晓梅"


@pytest.mark.django_db
def test_malformed_json_is_400_not_500(client: Client) -> None:
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"error": "bad_request", "detail": "请求体不是有效的JSON"}


@pytest.mark.django_db
def test_missing_fields_are_422_with_details(client: Client) -> None:
    response = post_json(client, "/api/v1/auth/token", {"username": "clerk"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    (item,) = body["detail"]
    assert item["loc"] == ["body", "payload", "password"]
    assert item["msg"] == "缺少必填项"


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(client: Client) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.django_db
def test_openapi_document_is_3_1_and_lists_the_shell(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    for path in ("/api/v1/auth/token", "/api/v1/me", "/api/v1/identifiers/validate"):
        assert path in spec["paths"]
    assert "BearerTokenAuth" in spec["components"]["securitySchemes"]
    assert "以用户名和密码换取访问令牌".encode() in response.content  # Chinese not escaped


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/redoc"])
def test_docs_pages_load_their_scripts_from_this_server(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "docs page references no assets"
    assert all(not s.startswith(("http:", "https:", "//")) for s in sources), sources


def test_demo_password_is_what_the_readme_says() -> None:
    readme = Path("README.md").read_text(encoding="utf-8")
    assert DEMO_PASSWORD in readme
