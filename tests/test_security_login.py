"""Login throttling (django-axes, docs/security.md): five wrong passwords lock the username
and the address for 15 minutes, on the login form and on the API token endpoint, with a
Chinese message and HTTP 429; the right password does not get through a lock; another
citizen at another address is not affected; the lock lifts by itself after the cool-off.

Personas: "citizen" is the one being guessed at; "clerk" logs in from another address.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from tongban.core.demo import DEMO_PASSWORD
from tongban.core.login_throttle import client_ip

from .conftest import post_json

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED = "登录失败次数过多，请15分钟后再试"


def _login(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail_five_times(client: Client, username: str = "citizen", ip: str = "10.0.0.1") -> None:
    for attempt in range(5):
        response = _login(client, username, f"wrong-{attempt}", ip)
        # The first four are ordinary failures; the fifth already answers with the lock.
        assert response.status_code == (200 if attempt < 4 else 429)


def test_a_wrong_password_is_an_ordinary_failure(client: Client, demo: None) -> None:
    response = _login(client, "citizen", "wrong")
    assert response.status_code == 200
    assert LOCKED not in response.content.decode()


def test_five_wrong_passwords_lock_even_the_right_one_out(client: Client, demo: None) -> None:
    _fail_five_times(client)
    response = _login(client, "citizen", DEMO_PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert LOCKED in page
    assert 'data-testid="login-locked"' in page
    assert "_auth_user_id" not in client.session
    # The same username from another address is locked too (a distributed guess).
    assert _login(Client(), "citizen", DEMO_PASSWORD, ip="10.9.9.9").status_code == 429


def test_the_address_is_locked_for_other_usernames_too(client: Client, demo: None) -> None:
    _fail_five_times(client)
    assert _login(Client(), "clerk", DEMO_PASSWORD, ip="10.0.0.1").status_code == 429


def test_another_user_at_another_address_is_not_locked(client: Client, demo: None) -> None:
    _fail_five_times(client)
    response = _login(Client(), "clerk", DEMO_PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302


def test_the_lock_lifts_after_the_cool_off(client: Client, demo: None) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _fail_five_times(client)
        assert _login(client, "citizen", DEMO_PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert _login(Client(), "citizen", DEMO_PASSWORD).status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        assert _login(Client(), "citizen", DEMO_PASSWORD).status_code == 302


def test_a_success_resets_the_count(client: Client, demo: None) -> None:
    for attempt in range(4):
        assert _login(client, "citizen", f"wrong-{attempt}").status_code == 200
    assert _login(client, "citizen", DEMO_PASSWORD).status_code == 302
    for attempt in range(4):
        assert _login(Client(), "citizen", f"again-{attempt}").status_code == 200
    assert _login(Client(), "citizen", DEMO_PASSWORD).status_code == 302


def test_the_api_token_endpoint_answers_429_in_chinese(client: Client, demo: None) -> None:
    for attempt in range(4):
        response = post_json(
            client, "/api/v1/auth/token", {"username": "citizen", "password": f"x{attempt}"}
        )
        assert response.status_code == 401
    response = post_json(client, "/api/v1/auth/token", {"username": "citizen", "password": "x"})
    assert response.status_code == 429
    response = post_json(
        client, "/api/v1/auth/token", {"username": "citizen", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 429
    assert response.json() == {"error": "too_many_attempts", "detail": LOCKED + "。"}
    assert "登录失败次数过多" in response.content.decode("utf-8")  # not \\u-escaped
    # The web form shares the count: the username is locked there as well.
    assert _login(Client(), "citizen", DEMO_PASSWORD, ip="10.7.7.7").status_code == 429


def test_logins_never_log_passwords(
    client: Client, demo: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _fail_five_times(client)
    _login(Client(), "clerk", DEMO_PASSWORD, ip="10.0.0.2")
    assert caplog.records, "the failures are logged"
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "wrong-" not in text
    assert DEMO_PASSWORD not in text
    # axes keeps the POST data of failures for review, with the password masked.
    stored = "\n".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "password=" in stored
    assert "wrong-" not in stored


def test_the_client_address_behind_trusted_proxies() -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )
    # No trusted proxy: the forwarded header is the client's word and is ignored.
    assert client_ip(request) == "10.1.1.1"
    with override_settings(TONGBAN_PROXY_COUNT=1):
        # nginx appended the address it saw; "6.6.6.6" was supplied by the client.
        assert client_ip(request) == "203.0.113.7"
    with override_settings(TONGBAN_PROXY_COUNT=3):
        assert client_ip(request) == "10.1.1.1"  # fewer entries than proxies: not trusted
