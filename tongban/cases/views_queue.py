"""The department queue (deadline order, 黄牌/红牌), the 事后核查 list, the supervisor's
warning list, and the counts on the staff home pages.

Every list is one query for its rows (plus a fixed number for the filters and the pinned
item specs), whatever the number of rows: warnings are computed from a calendar loaded
once, not per row.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tongban.catalog.models import ServiceItem
from tongban.core.models import Department, Role, User

from .enums import DECIDED_STATES, OPEN_STATES, CaseState, VerificationStatus, WarningLevel
from .forms_staff import DEFICIENCY_OVERDUE, QueueFilterForm, WarningFilterForm
from .models import Case, VerificationTask
from .queries import case_page, deficiency_filter, warning_filter
from .staff_pages import calendar_today, rows_with_steps
from .views_staff import (
    department_ids,
    domain_errors,
    require_role,
    staff_nav,
    staff_user,
)

# --------------------------------------------------------------------------- department queue

QUEUE_PAGE_SIZE = 50


def _queue_items(ids: set[int]) -> list[tuple[str, str]]:
    """The item filter's choices: the departments' items that have a case. Read from the
    catalog with one index probe per item: a DISTINCT over the department's cases read
    every case it ever had (475,000 rows, 2.1 s at ten million cases)."""
    rows = (
        ServiceItem.objects.filter(department_id__in=ids)
        .filter(Exists(Case.objects.filter(item_id=OuterRef("pk"))))
        .values_list("code", "published__name")
    )
    return sorted(((code, name or code) for code, name in rows), key=lambda row: row[1])


def _without_cursor(request: HttpRequest) -> dict[str, str]:
    return {
        k: request.GET[k] for k in request.GET if k not in ("after", "fragment") and request.GET[k]
    }


@login_required
@require_GET
@domain_errors
def queue(request: HttpRequest) -> HttpResponse:
    """The department's cases in due-date order, 50 at a time (keyset "next page")."""
    user = staff_user(request)
    require_role(user, Role.APPROVER)
    ids = department_ids(user, Role.APPROVER)
    data = request.GET.copy()
    # 容缺 follow-up concerns decided cases too: that filter looks at every state by default.
    data.setdefault("state", "all" if data.get("deficiency") else "open")
    form = QueueFilterForm(data, _queue_items(ids))
    form.is_valid()
    base = Case.objects.filter(department_id__in=ids)
    item = form.value("item")
    if item:
        base = base.filter(item_code=item)
    deficiency = form.value("deficiency")
    if deficiency:
        base = base.filter(deficiency_filter(deficiency, timezone.localdate()))
    state = form.value("state") or "open"
    today, cal = calendar_today()  # one snapshot for the warning filter and the rows
    page = case_page(
        base,
        state=None if state == "all" else state,
        warning=form.value("warning") or None,
        due_before=form.value("due_before"),
        after=request.GET.get("after") or None,
        limit=QUEUE_PAGE_SIZE,
        today=today,
        cal=cal,
    )
    filters = _without_cursor(request)
    next_url = None
    if page.next_cursor:
        next_url = "?" + urlencode({**filters, "after": page.next_cursor})
    context = {
        **staff_nav(user, "queue"),
        "form": form,
        "rows": rows_with_steps(page.cases, today, cal),
        "next_url": next_url,
        "first_page": not request.GET.get("after"),
        "filters_query": urlencode(filters),
    }
    if request.headers.get("HX-Request") == "true" and request.GET.get("fragment") == "rows":
        return render(request, "cases/staff/partials/queue_rows.html", context)
    return render(request, "cases/staff/queue.html", context)


# --------------------------------------------------------------------------- 事后核查


@login_required
@require_GET
def verifications(request: HttpRequest) -> HttpResponse:
    """The department's 事后核查 of commitment-approved cases: open ones first, by due date."""
    user = staff_user(request)
    require_role(user, Role.APPROVER)
    ids = department_ids(user, Role.APPROVER)
    tasks = (
        VerificationTask.objects.filter(department_id__in=ids)
        .select_related("case", "case__application", "closed_by")
        .order_by(
            SqlCase(When(status=VerificationStatus.OPEN, then=Value(0)), default=Value(1)),
            "due_on",
            "pk",
        )[:200]
    )
    context = {
        **staff_nav(user, "verifications"),
        "tasks": list(tasks),
        "today": timezone.localdate(),
    }
    return render(request, "cases/staff/verifications.html", context)


# --------------------------------------------------------------------------- supervisor


def _warned(today: Any, cal: Any) -> Q:
    return warning_filter(WarningLevel.YELLOW, today, cal) | warning_filter(
        WarningLevel.RED, today, cal
    )


def _region_departments(user: User) -> QuerySet[Department]:
    """The departments in the supervisor's regions (all of them for a national scope)."""
    prefixes = [
        a.region.code_prefix()
        for a in user.assignments_by_role().get(Role.SUPERVISOR, [])
        if a.region is not None
    ]
    departments = Department.objects.order_by("region_id", "name")
    if len(prefixes) == len(user.assignments_by_role().get(Role.SUPERVISOR, [])):
        scope = Q()
        for prefix in prefixes:
            scope |= Q(region__code__startswith=prefix)
        departments = departments.filter(scope)
    return departments


@login_required
@require_GET
@domain_errors
def warnings(request: HttpRequest) -> HttpResponse:
    """All 黄牌 and 红牌 cases of the departments in the supervisor's region (read only)."""
    user = staff_user(request)
    require_role(user, Role.SUPERVISOR)
    today, cal = calendar_today()
    departments = list(_region_departments(user).values_list("pk", "name"))
    form = WarningFilterForm(request.GET, [(str(pk), name) for pk, name in departments])
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    # The supervisor's departments are read once for the form; the cases filter on them.
    scope = Case.objects.filter(department_id__in=[pk for pk, _ in departments])
    base = scope.filter(_warned(today, cal))
    level = cleaned.get("level") or None
    if level == DEFICIENCY_OVERDUE:
        base, level = scope.filter(deficiency_filter("overdue", today)), None
    department = cleaned.get("department")
    page = case_page(
        base,
        department=int(department) if department else None,
        warning=level,
        after=request.GET.get("after") or None,
        limit=QUEUE_PAGE_SIZE,
        today=today,
        cal=cal,
    )
    counts = scope.aggregate(
        red=Count("pk", filter=warning_filter(WarningLevel.RED, today, cal)),
        yellow=Count("pk", filter=warning_filter(WarningLevel.YELLOW, today, cal)),
        deficiency=Count("pk", filter=deficiency_filter("overdue", today)),
    )
    filters = _without_cursor(request)
    context = {
        **staff_nav(user, "warnings"),
        "form": form,
        "rows": rows_with_steps(page.cases, today, cal),
        "counts": counts,
        "next_url": (
            "?" + urlencode({**filters, "after": page.next_cursor}) if page.next_cursor else None
        ),
        "first_page": not request.GET.get("after"),
        "today": today,
    }
    return render(request, "cases/staff/warnings.html", context)


# --------------------------------------------------------------------------- home page counts


def home_counts(user: User, role: str) -> dict[str, Any]:
    """The figures on a staff home page, one aggregate query per role."""
    today, cal = calendar_today()
    yellow = warning_filter(WarningLevel.YELLOW, today, cal)
    red = warning_filter(WarningLevel.RED, today, cal)
    if role == Role.CLERK:
        centres = department_ids(user, Role.CLERK)
        return Case.objects.filter(service_centre_id__in=centres).aggregate(
            waiting=Count("pk", filter=Q(state__in=[CaseState.RECEIVED, CaseState.SUPPLEMENT])),
            received=Count("pk", filter=Q(state=CaseState.RECEIVED)),
            supplement=Count("pk", filter=Q(state=CaseState.SUPPLEMENT)),
            to_deliver=Count(
                "pk", filter=Q(state__in=DECIDED_STATES) & ~Q(state=CaseState.DELIVERED)
            ),
            today=Count("pk", filter=Q(received_at__date=today)),
        )
    if role == Role.APPROVER:
        ids = department_ids(user, Role.APPROVER)
        counts = Case.objects.filter(department_id__in=ids).aggregate(
            open=Count("pk", filter=Q(state__in=OPEN_STATES)),
            waiting=Count("pk", filter=Q(state__in=[CaseState.RECEIVED, CaseState.SUPPLEMENT])),
            review=Count("pk", filter=Q(state__in=[CaseState.IN_REVIEW, CaseState.SPECIAL])),
            yellow=Count("pk", filter=yellow),
            red=Count("pk", filter=red),
            deficiency=Count("pk", filter=deficiency_filter("overdue", today)),
        )
        counts.update(
            VerificationTask.objects.filter(
                department_id__in=ids, status=VerificationStatus.OPEN
            ).aggregate(
                verifications=Count("pk"),
                verifications_overdue=Count("pk", filter=Q(due_on__lt=today)),
            )
        )
        return counts
    if role == Role.SUPERVISOR:
        departments = _region_departments(user).values("pk")
        return Case.objects.filter(department_id__in=departments).aggregate(
            yellow=Count("pk", filter=yellow),
            red=Count("pk", filter=red),
            deficiency=Count("pk", filter=deficiency_filter("overdue", today)),
        )
    return {}
