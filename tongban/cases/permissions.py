"""Who may see and act on a case, and in which role.

- an approver: the cases of the approver's department;
- a window clerk: the cases received at the clerk's service centre;
- a supervisor: every case in the supervisor's region (read only);
- a citizen or company: their own applications and cases.
Actions are further limited by role (the window accepts, the department decides).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tongban.core.models import Department, Role, User

from .models import Application, Case, MandateState, ProxyMandate

APPROVER_ACTIONS = frozenset(
    {
        "accept",
        "request_supplement",
        "refuse",
        "advance",
        "approve",
        "approve_deficient",
        "deny",
        "start_special",
        "end_special",
        "deliver",
        "revoke",
        "supply_deferred",
        "verify",
    }
)
CLERK_ACTIONS = frozenset(
    {"accept", "request_supplement", "refuse", "resubmit", "deliver", "withdraw", "supply_deferred"}
)
APPLICANT_ACTIONS = frozenset({"resubmit", "withdraw", "supply_deferred"})


def _department_ids(user: User, role: str) -> set[int]:
    return {
        a.department_id
        for a in user.assignments_by_role().get(role, [])
        if a.department_id is not None
    }


def _region_prefixes(user: User, role: str) -> list[str] | None:
    """Code prefixes the user's assignments of `role` cover; None = everywhere."""
    prefixes = []
    for a in user.assignments_by_role().get(role, []):
        if a.region is None:
            return None
        prefixes.append(a.region.code_prefix())
    return prefixes


def is_applicant(user: User, application: Application) -> bool:
    # The creator owns an online application; at a window the creator is the clerk, who acts
    # as staff (or as 帮代办 agent), never as the applicant.
    if user.pk == application.applicant_user_id:
        return True
    return user.pk == application.created_by_id and application.received_by_id is None


def _acts_for(user: User, application: Application) -> bool:
    """帮代办: the agent under a mandate in force carries the application like the applicant."""
    return (
        application.proxy_mandate_id is not None
        and application.proxy_staff_id == user.pk
        and ProxyMandate.objects.filter(
            pk=application.proxy_mandate_id, state=MandateState.ACTIVE
        ).exists()
    )


def acting_role(user: User, case: Case, action: str) -> str | None:
    """The role in which `user` may perform `action` on `case`, or None."""
    if not user.is_authenticated:
        return None
    if action in APPROVER_ACTIONS and case.department_id in _department_ids(user, Role.APPROVER):
        return str(Role.APPROVER)
    if (
        action in CLERK_ACTIONS
        and case.service_centre_id is not None
        and case.service_centre_id in _department_ids(user, Role.CLERK)
    ):
        return str(Role.CLERK)
    if action in APPLICANT_ACTIONS and _acts_for(user, case.application):
        return str(Role.CLERK)
    if action in APPLICANT_ACTIONS and is_applicant(user, case.application):
        return str(Role.COMPANY if user.has_role(Role.COMPANY) else Role.CITIZEN)
    return None


def staff_role(user: User, case: Case) -> str | None:
    """The staff role under which `user` sees this case, or None (then: owner or nobody)."""
    if case.department_id in _department_ids(user, Role.APPROVER):
        return str(Role.APPROVER)
    if case.service_centre_id and case.service_centre_id in _department_ids(user, Role.CLERK):
        return str(Role.CLERK)
    prefixes = _region_prefixes(user, Role.SUPERVISOR)
    if user.has_role(Role.SUPERVISOR) and (
        prefixes is None or any(case.department.region_id.startswith(p) for p in prefixes)
    ):
        return str(Role.SUPERVISOR)
    return None


def can_view_case(user: User, case: Case) -> bool:
    return (
        staff_role(user, case) is not None
        or is_applicant(user, case.application)
        or _acts_for(user, case.application)
    )


def can_view_application(user: User, application: Application) -> bool:
    if is_applicant(user, application):
        return True
    return any(can_view_case(user, case) for case in application.cases.all())


def visible_cases(user: User) -> QuerySet[Case]:
    """Every case this user may list (staff scopes, or the user's own).

    Each scope is a plain column test on the cases table, so PostgreSQL answers the OR with
    one bitmap scan over its indexes. The scopes that live on the application (submitted
    online by this user, or held as proxy under an active mandate) and on the department's
    region are read first as short id lists: as joins inside the OR they made PostgreSQL
    scan every case (40 s for a citizen at ten million cases, docs/performance.md).
    """
    own_applications = (
        Application.objects.filter(created_by=user, received_by__isnull=True)
        .values_list("pk", flat=True)
        .union(
            Application.objects.filter(
                proxy_staff=user, proxy_mandate__state=MandateState.ACTIVE
            ).values_list("pk", flat=True)
        )
    )
    scope = Q(applicant_user=user)
    application_ids = list(own_applications)
    if application_ids:
        scope |= Q(application_id__in=application_ids)
    approver = _department_ids(user, Role.APPROVER)
    if approver:
        scope |= Q(department_id__in=approver)
    centres = _department_ids(user, Role.CLERK)
    if centres:
        scope |= Q(service_centre_id__in=centres)
    if user.has_role(Role.SUPERVISOR):
        prefixes = _region_prefixes(user, Role.SUPERVISOR)
        if prefixes is None:
            return Case.objects.all()
        regions = Q()
        for prefix in prefixes:
            regions |= Q(region__code__startswith=prefix)
        supervised = list(Department.objects.filter(regions).values_list("pk", flat=True))
        if supervised:
            scope |= Q(department_id__in=supervised)
    return Case.objects.filter(scope)
