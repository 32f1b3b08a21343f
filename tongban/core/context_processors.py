from __future__ import annotations

from typing import Any

import rules
from django.http import HttpRequest
from django.urls import reverse

from .models import Role, User
from .roles import ROLE_ORDER

# The top bar's link to the admin site: for those who may edit the working-day calendar.
ADMIN_LINK_PERMISSION = "core.edit_calendar"


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The role switcher in the top bar: one entry per role the user holds, and whether the
    admin link shows."""
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"nav_roles": [], "nav_admin": False}
    held = user.role_codes()
    return {
        "nav_roles": [
            {"code": role, "label": Role(role).label, "url": reverse("role_home", args=[role])}
            for role in ROLE_ORDER
            if role in held
        ],
        "nav_admin": can_see_admin_link(user),
    }


def can_see_admin_link(user: User) -> bool:
    """`user.has_perm("core.edit_calendar")` without its two queries on every page.

    The permission is a `rules` predicate (the sysadmin role, read from the role assignments
    the request has loaded anyway); there is no `auth.Permission` row of that name, so of the
    model backends' answers only an active superuser's can be yes — and that needs no query.
    Asking `user.has_perm` instead makes ModelBackend load every user and group permission
    (two queries) to find nothing."""
    if user.is_active and user.is_superuser:
        return True
    return bool(rules.has_perm(ADMIN_LINK_PERMISSION, user))
