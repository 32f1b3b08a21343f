"""Which home page a user lands on when they hold several roles."""

from __future__ import annotations

from django.db.models import Q

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


def supervised_prefixes(user: User) -> list[str] | None:
    """Region prefixes of the user's supervisor assignments; None means everywhere."""
    assignments = user.assignments_by_role().get(Role.SUPERVISOR, [])
    if any(a.region is None for a in assignments):
        return None
    return [a.region.code_prefix() for a in assignments if a.region is not None]


def supervised_units(user: User, department: str = "department") -> Q | None:
    """The rows a supervisor oversees through their `department` relation: those of the
    departments in the supervisor's regions (a county's supervisor: that county's units),
    Q() for an assignment without a region (everywhere); None for anyone else."""
    if not user.has_role(Role.SUPERVISOR):
        return None
    prefixes = supervised_prefixes(user)
    if prefixes is None:
        return Q()
    scope = Q(pk__in=[])
    for prefix in prefixes:
        scope |= Q(**{f"{department}__region__code__startswith": prefix})
    return scope
