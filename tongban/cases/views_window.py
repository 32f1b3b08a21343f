"""The window clerk's workbench (综合窗口, 无差别受理): the queue of cases awaiting the
window, the check page (受理 / 一次性告知 / 不予受理 / 收取补正材料), and handing over results.
The walk-in application itself is in views_walkin.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tongban.core.models import Role, User

from . import forms_staff
from .actions.lifecycle import review_steps
from .enums import CaseState
from .materials import blocks_acceptance
from .models import Case
from .staff_pages import (
    action_forms,
    available_actions,
    calendar_today,
    case_row,
    step_name,
)
from .views_staff import (
    department_ids,
    domain_errors,
    item_materials,
    item_of_case,
    require_role,
    staff_nav,
    staff_user,
)

WAITING_STATES = (CaseState.RECEIVED, CaseState.SUPPLEMENT)
TO_DELIVER_STATES = (CaseState.APPROVED, CaseState.APPROVED_DEFICIENT, CaseState.DENIED)
WINDOW_ACTIONS = frozenset(
    {"accept", "request_supplement", "resubmit", "refuse", "deliver", "supply_deferred"}
)


def _clerk(request: HttpRequest) -> tuple[User, set[int]]:
    user = staff_user(request)
    require_role(user, Role.CLERK)
    return user, department_ids(user, Role.CLERK)


# --------------------------------------------------------------------------- queue


@login_required
@require_GET
def window(request: HttpRequest) -> HttpResponse:
    """Cases received at this service centre that wait for the window, oldest first."""
    user, centres = _clerk(request)
    cases = (
        Case.objects.filter(service_centre_id__in=centres, state__in=WAITING_STATES)
        .select_related("department", "application")
        .order_by("received_at", "pk")
    )
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    context = {**staff_nav(user, "window"), "page": page}
    return render(request, "cases/staff/window.html", context)


# --------------------------------------------------------------------------- check page


def render_check(
    request: HttpRequest,
    case: Case,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    user, centres = _clerk(request)
    if case.service_centre_id not in centres:
        raise Http404("办件不存在")
    errors = errors or {}
    posted = request.POST if request.method == "POST" else None
    item = item_of_case(case)
    steps = review_steps(item)
    materials = item_materials(case)
    actions = [a for a in available_actions(user, case, steps, materials) if a in WINDOW_ACTIONS]
    today, cal = calendar_today()
    missing = [m for m in materials if blocks_acceptance(m)]
    context = {
        **staff_nav(user, "window"),
        "case": case,
        "row": case_row(case, today, cal, step_name(case, item)),
        "application": case.application,
        "item": item,
        "materials": materials,
        "missing": missing,
        "notices": list(case.notices.all()),
        "supplements": list(case.supplements.order_by("issued_at")),
        **action_forms(case, actions, materials, errors, posted, back="check"),
    }
    return render(request, "cases/staff/window_check.html", context, status=status)


@login_required
@require_GET
@domain_errors
def window_check(request: HttpRequest, case_no: str) -> HttpResponse:
    case = Case.objects.select_related("department", "application").filter(case_no=case_no).first()
    if case is None:
        raise Http404("办件不存在")
    return render_check(request, case)


# --------------------------------------------------------------------------- results


def render_deliver(
    request: HttpRequest,
    *,
    errors: dict[str, dict[str, list[str]]] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Decided cases of this centre whose result has not been handed over yet."""
    user, centres = _clerk(request)
    errors = errors or {}
    posted = request.POST if request.method == "POST" else QueryDict()
    cases = (
        Case.objects.filter(service_centre_id__in=centres, state__in=TO_DELIVER_STATES)
        .select_related("department", "application")
        .prefetch_related("notices")
        .order_by("decided_at", "pk")
    )
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    shown = {case.case_no for case in page}
    page_errors = [
        m
        for case_no, by_action in errors.items()
        if case_no not in shown
        for found in by_action.values()
        for m in found
    ]
    rows = []
    for case in page:
        failed = errors.get(case.case_no, {}).get("deliver", [])
        rows.append(
            {
                "case": case,
                "errors": failed,
                "method": posted.get("method", "") if failed else "",
                "tracking_no": posted.get("tracking_no", "") if failed else "",
            }
        )
    context = {
        **staff_nav(user, "window_deliver"),
        "page": page,
        "rows": rows,
        "page_errors": page_errors,
        "methods": forms_staff.ACTION_FORMS["deliver"].fields[0].choices,
    }
    return render(request, "cases/staff/window_deliver.html", context, status=status)


@login_required
@require_GET
def window_deliver(request: HttpRequest) -> HttpResponse:
    return render_deliver(request)
