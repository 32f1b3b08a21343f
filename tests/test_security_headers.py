"""Security headers on every kind of response, and the cookie flags (docs/security.md).

An HTML page, an API response and a static file (served by WhiteNoise) all carry the
Content-Security-Policy, Permissions-Policy, Referrer-Policy, Cross-Origin-Opener-Policy,
X-Frame-Options and nosniff headers; HSTS appears only when the deployment turns it on;
the session and CSRF cookies of a login are HttpOnly and SameSite=Lax, and Secure under
TONGBAN_SECURE_COOKIES.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client, override_settings

from tongban.core.demo import DEMO_PASSWORD

from .test_settings import _python

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
POLICY = (
    "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "img-src 'self' data:; object-src 'none'; script-src 'self'; style-src 'self'; "
    "style-src-attr 'unsafe-inline'"
)


def _assert_security_headers(response: object, *, page: bool = True) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    csp = headers["Content-Security-Policy"]
    directives = sorted(part.strip() for part in csp.split(";"))
    assert directives == sorted(part.strip() for part in POLICY.split(";"))
    assert "unsafe-eval" not in csp
    assert "'unsafe-inline'" not in csp.replace("style-src-attr 'unsafe-inline'", "")
    assert headers["Permissions-Policy"] == (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    )
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    if page:
        # Set by Django's clickjacking middleware, which WhiteNoise answers before; for static
        # files the CSP's frame-ancestors 'none' says the same to current browsers.
        assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Off by default: only a deployment known to be behind HTTPS turns HSTS on.
    assert "Strict-Transport-Security" not in headers


def test_an_html_page_carries_the_headers(client: Client, demo: None) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    _assert_security_headers(response)


def test_an_api_response_carries_the_headers(client: Client, demo: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    _assert_security_headers(response)
    error = client.post("/api/v1/auth/token", "{}", content_type="application/json")
    assert error.status_code in {400, 422}
    _assert_security_headers(error)


def test_a_static_file_carries_the_headers() -> None:
    # A fresh client builds its middleware under these settings: WhiteNoise then finds the
    # file through the finders, as it does in the demo (production serves collectstatic's).
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        response = Client().get("/static/tongban/site.js")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/javascript")
        _assert_security_headers(response, page=False)


def test_the_login_cookies_are_httponly_and_lax(client: Client, demo: None) -> None:
    client.get("/accounts/login/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"]
    response = client.post("/accounts/login/", {"username": "citizen", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    for cookie in (session, csrf):
        assert cookie["httponly"] is True, cookie.key
        assert cookie["samesite"] == "Lax", cookie.key
    # The demo (TONGBAN_DEMO=1, plain http on localhost) does not mark them Secure.
    assert not session["secure"]


def test_no_template_reads_the_csrf_cookie() -> None:
    # CSRF_COOKIE_HTTPONLY hides the cookie from scripts; htmx gets the token from
    # base.html's hx-headers instead. A script reading document.cookie would break.
    sources = [*ROOT.glob("tongban/**/templates/**/*.html"), *ROOT.glob("tongban/static/*/*.js")]
    readers = [str(p) for p in sources if "document.cookie" in p.read_text(encoding="utf-8")]
    assert readers == []
    base = (ROOT / "tongban/templates/base.html").read_text(encoding="utf-8")
    assert """hx-headers='{"X-CSRFToken": "{{ csrf_token }}"}'""" in base


def _deployed(code: str, **env: str) -> str:
    result = _python(code, SECRET_KEY="x" * 50, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_cookies_are_secure_and_hsts_is_sent_only_when_the_deployment_says_so() -> None:
    flags = "import tongban.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    assert _deployed(flags) == "True True"  # a real deployment: Secure unless told otherwise
    assert _deployed(flags, TONGBAN_SECURE_COOKIES="0") == "False False"
    hsts = "import tongban.settings as s; print(s.SECURE_HSTS_SECONDS)"
    assert _deployed(hsts) == "0"
    assert _deployed(hsts, TONGBAN_HSTS_SECONDS="31536000") == "31536000"
    proxy = "import tongban.settings as s; print(getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    assert _deployed(proxy) == "None"  # a client's X-Forwarded-Proto is not trusted
    assert _deployed(proxy, TONGBAN_PROXY_SSL="1") == "('HTTP_X_FORWARDED_PROTO', 'https')"


@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_hsts_when_turned_on_over_https(client: Client, demo: None) -> None:
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    # Never on plain http (browsers would ignore it there anyway).
    assert "Strict-Transport-Security" not in client.get("/accounts/login/").headers
