from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .models import Role, User
from .roles import ROLE_ORDER


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The role switcher in the top bar: one entry per role the user holds."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"nav_roles": []}
    held = user.role_codes()
    return {
        "nav_roles": [
            {"code": role, "label": Role(role).label, "url": reverse("role_home", args=[role])}
            for role in ROLE_ORDER
            if role in held
        ]
    }
