"""Staff workbenches, the part every staff role shares: the case detail page (an audited
read of personal data), the action forms, the materials viewer and the notice PDFs.

Views parse, authorise and call `perform_action` (which checks the acting role again); a
DomainError becomes a Chinese message next to the form that caused it — a 409 from two
people acting at once shows the case as it is now — never a 500.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from tongban.catalog.spec import ItemSpec
from tongban.catalog.store import pinned_item_specs
from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.models import Role, User
from tongban.licences.wallet import issued_licences

from . import forms_staff
from .actions.dispatch import action_label, perform_action
from .actions.lifecycle import review_steps
from .actions.reads import case_view_personal_data
from .actions.uploads import upload_material
from .enums import CaseState, Provision
from .models import ApplicationMaterial, Case, Upload
from .notices import notice_pdf_bytes
from .paperless import paperless_of_rows
from .permissions import staff_role
from .staff_pages import (
    action_forms,
    available_actions,
    calendar_today,
    case_row,
    form_rows,
    step_name,
    timeline,
)

View = Callable[..., HttpResponse]

# --------------------------------------------------------------------------- helpers


def staff_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def department_ids(user: User, role: str) -> set[int]:
    return {
        a.department_id
        for a in user.assignments_by_role().get(role, [])
        if a.department_id is not None
    }


def require_role(user: User, role: str) -> None:
    if not user.has_role(role):
        raise PermissionDenied(f"需要{Role(role).label}角色")


def error_messages(exc: DomainError) -> list[str]:
    """The Chinese messages of a DomainError, whatever shape its detail has."""
    detail = exc.detail
    if isinstance(detail, dict):
        found = [str(detail.get("message") or detail)]
    elif isinstance(detail, list):
        found = [str(d.get("message", d)) if isinstance(d, dict) else str(d) for d in detail]
    else:
        found = [str(detail)]
    if exc.code == "illegal_transition":
        found.append("该办件可能刚被其他人员处理，下面显示的是办件的最新状态，请核对后再操作。")
    return found


ERROR_TITLES = {400: "请求有误", 403: "无权操作", 404: "未找到", 409: "无法办理", 413: "文件过大"}


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = exc.status if 400 <= exc.status < 600 else 400
    context = {
        "status": status,
        "title": ERROR_TITLES.get(status, "无法办理"),
        "errors": error_messages(exc),
    }
    return render(request, "cases/staff/error.html", context, status=status)


def domain_errors(view: View) -> View:
    """A DomainError that escapes a view is shown as a Chinese page with its status."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return error_page(request, exc)

    return wrapper


def staff_case(user: User, case_no: str) -> tuple[Case, str]:
    """The case and the staff role it is seen in; 404 for anyone whose scope lacks it (an
    approver of another department learns nothing, not even that the number exists)."""
    # The verification (事后核查, at most one) rides along: the case header shows it.
    case = (
        Case.objects.select_related("department", "application", "verification")
        .filter(case_no=case_no)
        .first()
    )
    role = staff_role(user, case) if case is not None else None
    if case is None or role is None:
        raise Http404("办件不存在")
    return case, role


@dataclass
class NavEntry:
    key: str
    label: str
    url: str


def staff_nav(user: User, current: str) -> dict[str, Any]:
    """The workbench tabs for the roles this user holds."""
    entries: list[NavEntry] = []
    if user.has_role(Role.CLERK):
        entries += [
            NavEntry("window", "窗口待受理", reverse("cases:window")),
            NavEntry("window_new", "新办件受理", reverse("cases:window_new")),
            NavEntry("window_deliver", "结果送达", reverse("cases:window_deliver")),
            NavEntry("proxy", "帮代办", reverse("cases:proxy_desk")),
            NavEntry("rectifications", "差评整改", reverse("feedback:desk")),
        ]
    if user.has_role(Role.APPROVER):
        entries += [
            NavEntry("queue", "部门办件", reverse("cases:queue")),
            NavEntry("verifications", "事后核查", reverse("cases:verifications")),
        ]
        if not user.has_role(Role.CLERK):
            entries.append(NavEntry("rectifications", "差评整改", reverse("feedback:desk")))
    if user.has_role(Role.HOTLINE) and not user.has_role(Role.CLERK):
        entries.append(NavEntry("proxy", "帮代办", reverse("cases:proxy_desk")))
    if user.has_role(Role.SUPERVISOR):
        entries.append(NavEntry("warnings", "超期预警", reverse("cases:warnings")))
        entries.append(NavEntry("ratings", "好差评监督", reverse("feedback:supervise")))
    if user.has_role(Role.SUPERVISOR) or user.has_role(Role.APPROVER):
        entries.append(NavEntry("stats", "统计总览", reverse("stats:dashboard")))
    if user.has_role(Role.HOTLINE) or user.has_role(Role.SUPERVISOR):
        entries.append(NavEntry("tickets", "12345工单", reverse("tickets:desk")))
    elif user.has_role(Role.APPROVER) or user.has_role(Role.CLERK):
        entries.append(NavEntry("tickets", "12345工单", reverse("tickets:queue")))
    return {"staff_nav": entries, "staff_current": current}


def application_materials(case: Case, *, current: bool = True) -> list[ApplicationMaterial]:
    """Every material row of the case's application, with its upload."""
    rows = ApplicationMaterial.objects.filter(application_id=case.application_id)
    if current:
        rows = rows.filter(replaced_at__isnull=True)
    return list(rows.select_related("upload"))


def of_item(case: Case, rows: list[ApplicationMaterial]) -> list[ApplicationMaterial]:
    """The rows this case's item needs (JSON list held in Python: the same filter on SQLite
    and PostgreSQL)."""
    return [m for m in rows if case.item_code in m.items]


def item_materials(case: Case, *, current: bool = True) -> list[ApplicationMaterial]:
    """The application's material rows this case's item needs."""
    return of_item(case, application_materials(case, current=current))


def item_of_case(case: Case) -> ItemSpec:
    return pinned_item_specs([case.item_version_id])[case.item_version_id]


# --------------------------------------------------------------------------- actions


def _action_body(request: HttpRequest, user: User, case: Case, action: str) -> dict[str, Any]:
    data = request.POST
    if action == "request_supplement":
        keys = [m.key for m in item_materials(case)]
        return forms_staff.supplement_body(data, keys)
    if action in ("resubmit", "supply_deferred"):
        keys = [k for k in data.getlist("collect_keys") if k]
        uploads = {}
        for key in keys:
            upload = request.FILES.get(f"rf-{key}")
            if upload is not None and data.get(f"rp-{key}") == Provision.UPLOAD:
                uploads[key] = str(upload_material(user, upload).public_id)
        return forms_staff.collect_body(data, keys, uploads)
    return forms_staff.simple_body(action, data)


BACK_PAGES = ("detail", "check", "deliver")


def _back_url(back: str, case_no: str) -> str:
    if back == "check":
        return reverse("cases:window_check", args=[case_no])
    if back == "deliver":
        return reverse("cases:window_deliver")
    return reverse("cases:case_detail", args=[case_no])


@login_required
@require_POST
def case_action(request: HttpRequest, case_no: str, action: str) -> HttpResponse:
    """Perform one action from a workbench form; errors are shown on the page it came from."""
    user = staff_user(request)
    case, _ = staff_case(user, case_no)
    back = request.POST.get("back", "detail")
    if back not in BACK_PAGES:
        back = "detail"
    try:
        body = _action_body(request, user, case, action)
        done = perform_action(user, case_no, action, body)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404("办件不存在") from exc
        errors = {action: error_messages(exc)}
        return _render_back(request, back, case_no, errors, exc.status)
    label = action_label(action)
    state = CaseState(done.state).label
    messages.success(request, f"“{label}”已完成（{case_no}），办件当前状态：{state}。")
    return redirect(_back_url(back, case_no))


def _render_back(
    request: HttpRequest, back: str, case_no: str, errors: dict[str, list[str]], status: int
) -> HttpResponse:
    from . import views_window

    user = staff_user(request)
    if back == "deliver":
        return views_window.render_deliver(request, errors={case_no: errors}, status=status)
    # Read the case again: after a 409 the page must show the state someone else left it in.
    case, role = staff_case(user, case_no)
    if back == "check":
        return views_window.render_check(request, case, errors=errors, status=status)
    return render_detail(request, case, role, errors=errors, status=status)


# --------------------------------------------------------------------------- detail page


def render_detail(
    request: HttpRequest,
    case: Case,
    role: str,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = staff_user(request)
    errors = errors or {}
    posted = request.POST if request.method == "POST" else None
    # Staff reading a full record with personal data: that read is itself audited.
    case_view_personal_data(user, role, case)
    item = item_of_case(case)
    steps = review_steps(item)
    # One read of the application's materials serves the item's list and the paperless share.
    application_rows = application_materials(case, current=False)
    every = of_item(case, application_rows)
    materials = [m for m in every if m.replaced_at is None]
    actions = available_actions(user, case, steps, materials)
    today, cal = calendar_today()
    context = {
        **staff_nav(user, "queue" if role == Role.APPROVER else ""),
        "case": case,
        "row": case_row(case, today, cal, step_name(case, item)),
        "role": role,
        "read_only": not actions,
        "application": case.application,
        "steps": steps,
        "item": item,
        "form_rows": form_rows(case, item),
        "materials": materials,
        "replaced": [m for m in every if m.replaced_at is not None],
        "paperless": paperless_of_rows(application_rows),
        "supplements": list(case.supplements.order_by("issued_at")),
        "specials": list(case.special_procedures.order_by("started_on", "id")),
        "notices": list(case.notices.all()),
        "licences": issued_licences(user, case),
        "timeline": timeline(case),
        **action_forms(case, actions, materials, errors, posted, back="detail"),
    }
    return render(request, "cases/staff/case_detail.html", context, status=status)


@login_required
@require_GET
@domain_errors
def case_detail(request: HttpRequest, case_no: str) -> HttpResponse:
    case, role = staff_case(staff_user(request), case_no)
    return render_detail(request, case, role)


# --------------------------------------------------------------------------- files and notices


@login_required
@require_GET
def material_file(request: HttpRequest, case_no: str, upload_id: uuid.UUID) -> FileResponse:
    """A material's file, inline, for staff who may see the case — type from the Upload
    row (sniffed at upload), never guessed by the browser."""
    user = staff_user(request)
    case, role = staff_case(user, case_no)
    material = next(
        (
            m
            for m in item_materials(case, current=False)
            if m.upload is not None and m.upload.public_id == upload_id
        ),
        None,
    )
    if material is None or material.upload is None:
        raise Http404("文件不存在")
    upload: Upload = material.upload
    record_event(
        action="upload.view",
        object_type="upload",
        object_id=str(upload.public_id),
        actor=user,
        role=role,
        after={"case": case.case_no, "material": material.key},
    )
    try:
        handle = upload.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件不存在") from None
    response = FileResponse(handle, content_type=upload.content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(upload.original_name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
@domain_errors
def notice_pdf(request: HttpRequest, case_no: str, number: str) -> HttpResponse:
    case, _ = staff_case(staff_user(request), case_no)
    notice = case.notices.filter(number=number).first()
    if notice is None:
        raise Http404("文书不存在")
    pdf = notice_pdf_bytes(notice)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(notice.number)}.pdf"
    response["X-Content-Type-Options"] = "nosniff"
    return response
