"""Reads: whose ratings and rectifications a user sees, and which rectifications are late."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from tongban.cases.models import Application
from tongban.cases.models import Case as CaseRecord
from tongban.core.models import User
from tongban.core.roles import supervised_units, unit_ids

from .actions import RATABLE_AT_COMPLETION
from .enums import Stage
from .models import Rating, Rectification
from .transitions import OPEN_STATES


def _scope(user: User, own: Q) -> Q:
    """Staff see their units' rows, a supervisor those of the units in their regions (a
    county's supervisor not the city's), everybody what `own` gives them."""
    scope = Q(department_id__in=unit_ids(user)) | own
    supervised = supervised_units(user)
    return scope | supervised if supervised is not None else scope


def visible_ratings(user: User) -> QuerySet[Rating]:
    """A supervisor sees their regions' ratings; staff their units'; a rater their own."""
    ratings = Rating.objects.select_related("department", "case", "application", "rater")
    return ratings.filter(_scope(user, Q(rater=user)))


def visible_rectifications(user: User) -> QuerySet[Rectification]:
    rectifications = Rectification.objects.select_related(
        "department", "rating", "rating__case", "rating__application", "rating__rater"
    )
    return rectifications.filter(_scope(user, Q(rating__rater=user)))


def overdue(
    rectifications: QuerySet[Rectification], today: datetime.date
) -> QuerySet[Rectification]:
    """Past the deadline and still open: escalated to the supervisor's dashboard."""
    return rectifications.filter(state__in=OPEN_STATES, due_on__lt=today)


# ---------------------------------------------------------------- pages


def pending_ratings(
    application: Application, cases: Iterable[CaseRecord] | None = None
) -> list[tuple[CaseRecord, str]]:
    """The case stages of an application its applicant may rate now and has not rated yet,
    in case order: the same rules as `rating_submit` (受理 once accepted, 办结 once decided,
    refused or revoked). One query for the ratings (plus one for the cases unless given)."""
    found = list(cases) if cases is not None else list(application.cases.order_by("pk"))
    rated = set(
        Rating.objects.filter(application=application, case__isnull=False).values_list(
            "case_id", "stage"
        )
    )
    pending = []
    for case in found:
        if case.accepted_on is not None and (case.pk, Stage.ACCEPT) not in rated:
            pending.append((case, str(Stage.ACCEPT)))
        if case.state in RATABLE_AT_COMPLETION and (case.pk, Stage.COMPLETE) not in rated:
            pending.append((case, str(Stage.COMPLETE)))
    return pending


def application_ratings(application: Application) -> list[Rating]:
    """An application's ratings with their rectifications, for its applicant's page."""
    return list(
        Rating.objects.filter(application=application)
        .select_related("case", "department", "rectification")
        .order_by("created_at", "pk")
    )


def unit_rectifications(user: User) -> QuerySet[Rectification]:
    """The desk: the rectifications of the user's units; a supervisor's: their regions'."""
    rectifications = Rectification.objects.select_related(
        "department", "rating", "rating__case", "rating__application"
    )
    return rectifications.filter(_scope(user, Q(pk__in=[])))


def overdue_first(
    rectifications: QuerySet[Rectification], today: datetime.date
) -> QuerySet[Rectification]:
    """Late open ones first, then by deadline."""
    late = Case(
        When(state__in=OPEN_STATES, due_on__lt=today, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return rectifications.annotate(late=late).order_by("late", "due_on", "pk")


def open_rectification_counts(
    department_ids: Iterable[int], today: datetime.date
) -> dict[str, int]:
    """For the staff home pages: open rectifications of these units and how many are late,
    in one query."""
    counts: dict[str, int] = Rectification.objects.filter(
        department_id__in=list(department_ids), state__in=OPEN_STATES
    ).aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    return counts
