"""Reads: whose ratings and rectifications a user sees, and which rectifications are late."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet

from tongban.core.models import Role, User

from .models import Rating, Rectification
from .transitions import OPEN_STATES


def unit_ids(user: User) -> set[int]:
    """The departments a staff member answers for (approvers' and clerks' assignments)."""
    roles = user.assignments_by_role()
    return {
        a.department_id
        for role in (Role.APPROVER, Role.CLERK)
        for a in roles.get(role, [])
        if a.department_id is not None
    }


def visible_ratings(user: User) -> QuerySet[Rating]:
    """A supervisor sees all; staff their units' ratings; a rater their own."""
    ratings = Rating.objects.select_related("department", "case", "application", "rater")
    if user.has_role(Role.SUPERVISOR):
        return ratings
    return ratings.filter(Q(department_id__in=unit_ids(user)) | Q(rater=user))


def visible_rectifications(user: User) -> QuerySet[Rectification]:
    rectifications = Rectification.objects.select_related(
        "department", "rating", "rating__case", "rating__application", "rating__rater"
    )
    if user.has_role(Role.SUPERVISOR):
        return rectifications
    return rectifications.filter(Q(department_id__in=unit_ids(user)) | Q(rating__rater=user))


def overdue(
    rectifications: QuerySet[Rectification], today: datetime.date
) -> QuerySet[Rectification]:
    """Past the deadline and still open: escalated to the supervisor's dashboard."""
    return rectifications.filter(state__in=OPEN_STATES, due_on__lt=today)
