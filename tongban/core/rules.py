"""Permission predicates (the `rules` package). Loaded by rules' autodiscovery.

Object-level checks take the object's department or region; a role assignment without a
department or region is not scoped by it (e.g. a province-wide supervisor).
"""

from __future__ import annotations

from typing import Any

import rules

from .models import Department, Region, Role, RoleAssignment, User


def _assignments(user: Any, role: str) -> list[RoleAssignment]:
    if not getattr(user, "is_authenticated", False) or not isinstance(user, User):
        return []
    return user.assignments_by_role().get(role, [])


def has_role(role: str) -> Any:
    @rules.predicate(name=f"has_role:{role}")
    def predicate(user: Any) -> bool:
        return bool(_assignments(user, role))

    return predicate


def acts_for_department(role: str) -> Any:
    """True when the user holds `role` for the department (or for a region containing it)."""

    @rules.predicate(name=f"acts_for_department:{role}")
    def predicate(user: Any, department: Department | None) -> bool:
        if department is None:
            return False
        for assignment in _assignments(user, role):
            if assignment.department_id is not None:
                if assignment.department_id == department.pk:
                    return True
                continue
            if assignment.region is None or assignment.region.contains(department.region_id):
                return True
        return False

    return predicate


def covers_region(role: str) -> Any:
    @rules.predicate(name=f"covers_region:{role}")
    def predicate(user: Any, region: Region | None) -> bool:
        if region is None:
            return False
        return any(
            a.region is None or a.region.contains(region.code) for a in _assignments(user, role)
        )

    return predicate


is_citizen = has_role(Role.CITIZEN)
is_company = has_role(Role.COMPANY)
is_clerk = has_role(Role.CLERK)
is_approver = has_role(Role.APPROVER)
is_catalog_admin = has_role(Role.CATALOG_ADMIN)
is_supervisor = has_role(Role.SUPERVISOR)
is_hotline = has_role(Role.HOTLINE)
is_sysadmin = has_role(Role.SYSADMIN)

rules.add_perm("core.edit_calendar", is_sysadmin)
rules.add_perm("core.view_audit", is_sysadmin | is_supervisor)
rules.add_perm("core.approve_for_department", acts_for_department(Role.APPROVER))
rules.add_perm("core.supervise_region", covers_region(Role.SUPERVISOR))
