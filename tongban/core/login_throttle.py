"""What django-axes needs from Tongban to throttle password guessing (docs/security.md).

axes counts failed logins per username and per client address in the database (the same on
SQLite and PostgreSQL, and shared by every app process) and locks both out for a cool-off
time. Two things are ours: the client address behind a reverse proxy, and the response a
locked-out caller gets — the login page with a Chinese message, or the API's JSON error, both
with HTTP 429 and Retry-After.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_message() -> str:
    return f"登录失败次数过多，请{settings.TONGBAN_LOGIN_COOLOFF_MINUTES}分钟后再试。"


def client_ip(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the entry that the last of
    TONGBAN_PROXY_COUNT trusted proxies appended to X-Forwarded-For.

    Without this every caller behind nginx would share nginx's address and one guesser would
    lock everyone out. Entries further left are supplied by the client and never trusted.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TONGBAN_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """axes' AXES_LOCKOUT_CALLABLE: replaces the response of a locked-out login attempt."""
    message = lockout_message()
    retry_after = str(settings.TONGBAN_LOGIN_COOLOFF_MINUTES * 60)
    response: HttpResponse
    if request.path.startswith("/api/"):
        from tongban.api import error_response  # the API's one error shape (imports routers)

        response = error_response(request, 429, "too_many_attempts", message)
    else:
        # An unbound form: binding the POST would authenticate (and count a failure) again.
        username = request.POST.get("username", "") if request.method == "POST" else ""
        form = AuthenticationForm(request, initial={"username": username})
        context = {
            "form": form,
            "lockout_message": message,
            "next": request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME, "")),
        }
        response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = retry_after
    return response
