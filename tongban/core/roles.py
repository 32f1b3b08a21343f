"""Which home page a user lands on when they hold several roles."""

from __future__ import annotations

from .models import Role, User

# Staff roles first (a clerk who is also a citizen works at the window), then the public.
ROLE_ORDER: list[str] = [
    Role.SYSADMIN,
    Role.SUPERVISOR,
    Role.CATALOG_ADMIN,
    Role.APPROVER,
    Role.CLERK,
    Role.HOTLINE,
    Role.COMPANY,
    Role.CITIZEN,
]


def primary_role(user: User) -> str | None:
    held = user.role_codes()
    return next((role for role in ROLE_ORDER if role in held), None)


def unit_ids(user: User) -> set[int]:
    """The departments a staff member answers for (谁办理、谁负责): the departments of their
    approver and window-clerk assignments. Ratings and tickets are both owned by units."""
    roles = user.assignments_by_role()
    return {
        a.department_id
        for role in (Role.APPROVER, Role.CLERK)
        for a in roles.get(role, [])
        if a.department_id is not None
    }
