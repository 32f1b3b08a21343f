"""Bearer tokens for the API: issued for a username and password, stored only as a hash."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from .audit import record_event
from .errors import DomainError
from .login_throttle import lockout_message
from .models import ApiToken, User


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_api_token(
    request: HttpRequest | None, username: str, password: str
) -> tuple[str, ApiToken]:
    """Check the credentials and issue a token; the raw token is returned once, never stored.

    authenticate() runs outside the transaction: django-axes records a failed attempt while
    it runs (login_throttle.py), and the error raised below would roll that record back.
    """
    user = authenticate(request, username=username, password=password)
    if request is not None and getattr(request, "axes_locked_out", False):
        raise DomainError("too_many_attempts", lockout_message(), status=429)
    if user is None or not user.is_active:
        raise DomainError("invalid_credentials", "用户名或密码错误", status=401)
    assert isinstance(user, User)
    return _create_token(user)


@transaction.atomic
def _create_token(user: User) -> tuple[str, ApiToken]:
    raw = "tb_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=_hash(raw),
        expires_at=timezone.now() + datetime.timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    record_event(
        action="api_token_issued",
        object_type="api_token",
        object_id=token.pk,
        actor=user,
        after={"expires_at": token.expires_at.isoformat()},
    )
    return raw, token


def user_for_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user


class BearerTokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


def api_user(request: HttpRequest) -> User:
    """The caller of an API handler: the bearer token's user, or the session's."""
    auth = getattr(request, "auth", None)
    user = auth if isinstance(auth, User) else request.user
    assert isinstance(user, User)
    return user
