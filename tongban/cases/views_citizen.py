"""The applicant's workbench (个人/企业办事): my applications, each case's state in plain
words with its timeline, notices, answering a supplement notice, withdrawing.

Views parse, authorise and call the case actions (through `perform_action`); a DomainError
becomes a Chinese message next to the input it is about, or a Chinese error page — never a
500. The apply wizard is in views_apply.py.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tongban.core.errors import DomainError
from tongban.core.models import AuditEvent, Role, User
from tongban.core.workcalendar import WorkCalendar, current_calendar

from .actions.dispatch import perform_action
from .actions.uploads import upload_material
from .enums import (
    ENDED_STATES,
    OPEN_STATES,
    PLAIN_WORDS,
    ApplicationStatus,
    CaseState,
    Provision,
    WarningLevel,
)
from .forms_citizen import Problems, problems_of
from .models import Application, ApplicationMaterial, Case, Notice
from .notices import notice_pdf_bytes
from .paperless import paperless_of_rows
from .queries import (
    BundleStatus,
    bundle_status,
    bundle_statuses,
    case_histories,
    case_history,
    case_warning,
    proxy_activity,
)
from .transitions import TRANSITIONS

View = Callable[..., HttpResponse]
PAGE_SIZE = 10
NEWEST_FIRST = ("-submitted_at", "-pk")
ERROR_TITLES = {400: "请求有误", 403: "无权访问", 404: "未找到", 409: "无法办理", 413: "文件过大"}


# ---------------------------------------------------------------- shared by the workbench


def applicant(request: HttpRequest) -> tuple[User, str]:
    """The signed-in user and the role they apply in (company before citizen)."""
    user = request.user
    assert isinstance(user, User)
    for role in (Role.COMPANY, Role.CITIZEN):
        if user.has_role(role):
            return user, str(role)
    raise PermissionDenied("只有个人或企业账号可以在线申请和查看申请")


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    problems = problems_of(exc)
    status = exc.status if 400 <= exc.status < 600 else 400
    context = {
        "status": status,
        "title": ERROR_TITLES.get(status, "无法办理"),
        "messages_list": problems.all() or ["请求无法完成"],
    }
    return render(request, "cases/citizen/error.html", context, status=status)


def applicant_view(view: View) -> View:
    """Sign-in required; a DomainError anywhere becomes the Chinese error page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return error_page(request, exc)

    return login_required(wrapper)


def owned_applications(user: User) -> QuerySet[Application]:
    """The user's applications: those they are the applicant of, and those they submitted
    online themselves. What a clerk received at the window for someone else is not theirs,
    even when the clerk also has a citizen account."""
    return Application.objects.filter(
        Q(applicant_user=user) | Q(created_by=user, received_by__isnull=True),
        status=ApplicationStatus.SUBMITTED,
    )


def own_application(user: User, number: str) -> Application:
    application = owned_applications(user).filter(number=number).first()
    if application is None:
        raise DomainError("not_found", f"申请“{number}”不存在", 404)
    return application


# ---------------------------------------------------------------- my applications


@dataclass
class ApplicationRow:
    application: Application
    cases: list[Case]
    status: BundleStatus

    @property
    def needs_action(self) -> bool:
        return any(c.state == CaseState.SUPPLEMENT for c in self.cases)

    @property
    def finished(self) -> bool:
        return not any(c.state in OPEN_STATES for c in self.cases)


def application_rows(applications: list[Application]) -> list[ApplicationRow]:
    """Applications with their cases and status, in a constant number of queries."""
    prefetch_related_objects(applications, Prefetch("cases", queryset=Case.objects.order_by("pk")))
    groups = [list(application.cases.all()) for application in applications]
    return [
        ApplicationRow(application, found, status)
        for application, found, status in zip(
            applications, groups, bundle_statuses(groups), strict=True
        )
    ]


def latest_applications(user: User, limit: int = 5) -> list[ApplicationRow]:
    """For the home page's "我的申请" card."""
    return application_rows(list(owned_applications(user).order_by(*NEWEST_FIRST)[:limit]))


@require_GET
@applicant_view
def mine(request: HttpRequest) -> HttpResponse:
    user, role = applicant(request)
    paginator = Paginator(owned_applications(user).order_by(*NEWEST_FIRST), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    drafts = list(
        Application.objects.filter(created_by=user, status=ApplicationStatus.DRAFT).order_by(
            "-updated_at"
        )[:20]
    )
    context = {
        "rows": application_rows(list(page.object_list)),
        "page": page,
        "drafts": drafts,
        "role": role,
    }
    return render(request, "cases/citizen/mine.html", context)


# ---------------------------------------------------------------- one application


STATE_STYLE = {
    CaseState.WAITING: "secondary",
    CaseState.RECEIVED: "info",
    CaseState.SUPPLEMENT: "warning",
    CaseState.IN_REVIEW: "primary",
    CaseState.SPECIAL: "primary",
    CaseState.APPROVED: "success",
    CaseState.APPROVED_DEFICIENT: "success",
    CaseState.DENIED: "danger",
    CaseState.DELIVERED: "success",
    CaseState.REFUSED: "danger",
    CaseState.WITHDRAWN: "secondary",
    CaseState.REVOKED: "danger",
    CaseState.CANCELLED: "secondary",
}
WARNING_WORDS = {
    WarningLevel.YELLOW: ("warning", "临近承诺办结期限"),
    WarningLevel.RED: ("danger", "已超过承诺办结期限"),
}
EVENT_LABELS = {
    "application.submit": "提交申请",
    "case.auto_rule_not_met": "未满足自动审批条件，转人工审核",
    "verification.open": "告知承诺事后核查",
}
# What of an event's details the applicant reads: the reasons given to them and the
# decision's opinion — not the internal opinions of the review steps before it.
PUBLIC_DETAILS = ("reason", "opinion")


@dataclass
class TimelineEntry:
    label: str
    at: Any
    actor: str
    detail: str


def _actor(event: AuditEvent, case: Case) -> str:
    """Who acted, as the applicant may know it: a department or the window, never a
    member of staff's account name."""
    role = event.role
    if role in ("system", "") and event.actor_id is None:
        return "系统"
    if role in (Role.CITIZEN, Role.COMPANY):
        return "申请人"
    if role == Role.APPROVER:
        return case.department.name
    if role == Role.CLERK:
        return case.service_centre.name if case.service_centre else "综合窗口"
    if role in Role.values:
        return str(Role(role).label)
    return "工作人员"


def _detail(event: AuditEvent) -> str:
    after = event.after or {}
    if event.action == "case.advance":
        return f"“{after['step_name']}”环节办理完毕" if after.get("step_name") else ""
    parts = [str(after[k]) for k in PUBLIC_DETAILS if after.get(k)]
    if event.action == "case.request_supplement":
        names = [m.get("name", "") for m in after.get("materials", []) if isinstance(m, dict)]
        if names:
            parts.insert(0, f"需补正：{'、'.join(names)}")
    if event.action == "case.accept" and after.get("promised_due"):
        parts.append(f"承诺办结日期：{after['promised_due']}")
    return "；".join(parts)


def timeline(case: Case, history: list[AuditEvent] | None = None) -> list[TimelineEntry]:
    """The case's story for its applicant; `history` is its `case_history` when the page has
    read every case's at once."""
    entries = []
    for event in case_history(case) if history is None else history:
        action = event.action
        transition = TRANSITIONS.get(action.removeprefix("case."))
        label = EVENT_LABELS.get(action) or (transition.label if transition else "办件记录")
        entries.append(
            TimelineEntry(
                label=label,
                at=timezone.localtime(event.occurred_at),
                actor=_actor(event, case),
                detail=_detail(event),
            )
        )
    return entries


@dataclass
class CaseView:
    case: Case
    state_label: str
    plain_words: str
    style: str
    warning: tuple[str, str] | None
    timeline: list[TimelineEntry]
    notices: list[Notice]
    supplement: list[dict[str, str]]  # the open 一次性告知: key, name, reason, error
    supplement_note: str
    can_withdraw: bool
    errors: list[str]  # problems that belong to no input of the case


def case_view(
    case: Case,
    problems: Problems | None = None,
    *,
    history: list[AuditEvent] | None = None,
    today: datetime.date | None = None,
    cal: WorkCalendar | None = None,
) -> CaseView:
    """One case as its applicant sees it; a page of several cases passes their histories and
    one calendar snapshot rather than reading them case by case."""
    state = CaseState(case.state)
    problems = problems or Problems()
    warning = WARNING_WORDS.get(WarningLevel(case_warning(case, today, cal)))
    open_requests = sorted(
        (s for s in case.supplements.all() if s.resolved_at is None), key=lambda s: s.pk
    )
    request = open_requests[-1] if open_requests and state == CaseState.SUPPLEMENT else None
    supplement = [
        {**m, "error": problems.by_key.get(m.get("key") or "", "")}
        for m in (request.materials if request else [])
    ]
    asked = {m["key"] for m in supplement if m.get("key")}
    return CaseView(
        case=case,
        state_label=str(state.label),
        plain_words=PLAIN_WORDS[state],
        style=STATE_STYLE[state],
        warning=warning,
        timeline=timeline(case, history),
        notices=list(case.notices.all()),
        supplement=supplement,
        supplement_note=request.note if request else "",
        can_withdraw=case.state in TRANSITIONS["withdraw"].sources,
        errors=problems.general + [m for k, m in problems.by_key.items() if k not in asked],
    )


def _detail_page(
    request: HttpRequest,
    application: Application,
    problems: dict[str, Problems] | None = None,
    status: int = 200,
    deferred_problems: Problems | None = None,
) -> HttpResponse:
    cases = list(
        application.cases.select_related("department", "service_centre")
        .prefetch_related("notices", "supplements")
        .order_by("pk")
    )
    materials = list(
        ApplicationMaterial.objects.filter(application=application, replaced_at__isnull=True)
        .select_related("upload")
        .order_by("pk")
    )
    # Every case's timeline in one query, one calendar snapshot for the whole page.
    histories = case_histories(cases)
    today, cal = timezone.localdate(), current_calendar()
    views = [
        case_view(c, (problems or {}).get(c.case_no), history=histories[c.pk], today=today, cal=cal)
        for c in cases
    ]
    context = {
        "application": application,
        "status": bundle_status(cases, today, cal),
        "finished": not any(c.state in OPEN_STATES for c in cases),
        "cases": views,
        "materials": materials,
        "deferred": [
            {"material": m, "error": (deferred_problems or Problems()).by_key.get(m.key, "")}
            for m in materials
            if m.provision == Provision.DEFERRED
        ],
        "deferred_errors": (deferred_problems or Problems()).general,
        "supplied": [m for m in materials if m.supplied_at is not None],
        "paperless": paperless_of_rows(materials),
        "proxy": proxy_activity(application),
    }
    return render(request, "cases/citizen/mine_detail.html", context, status=status)


@require_GET
@applicant_view
def mine_detail(request: HttpRequest, number: str) -> HttpResponse:
    user, _ = applicant(request)
    return _detail_page(request, own_application(user, number))


def _own_case(user: User, number: str, case_no: str) -> tuple[Application, Case]:
    application = own_application(user, number)
    case = application.cases.filter(case_no=case_no).first()
    if case is None:
        raise DomainError("not_found", f"办件“{case_no}”不存在", 404)
    return application, case


def _detail_url(number: str, case_no: str = "") -> str:
    url = reverse("cases:mine_detail", args=[number])
    return f"{url}#case-{case_no}" if case_no else url


@require_POST
@applicant_view
def resubmit(request: HttpRequest, number: str, case_no: str) -> HttpResponse:
    """补正: upload a file for every material the supplement notice asks for, then resubmit."""
    user, _ = applicant(request)
    application, case = _own_case(user, number, case_no)
    problems = _upload_and_act(request, user, case, "resubmit")
    if problems:
        return _detail_page(request, application, {case.case_no: problems}, status=400)
    messages.success(request, f"“{case.item_name}”的补正材料已提交，等待窗口审核。")
    return redirect(_detail_url(number, case.case_no))


def _upload_and_act(request: HttpRequest, user: User, case: Case, action: str) -> Problems:
    """Store every posted ``file-<key>`` and perform `action` with them; the problems, if any,
    keyed by material. Nothing is done when an upload is refused."""
    problems = Problems()
    choices: dict[str, dict[str, str]] = {}
    for name in request.FILES:
        key = name.removeprefix("file-")
        file = request.FILES.get(name)
        if not name.startswith("file-") or not key or file is None:
            continue
        try:
            upload = upload_material(user, file)
        except DomainError as exc:
            problems.by_key[key] = "；".join(problems_of(exc).all())
            continue
        choices[key] = {"provision": "upload", "upload": str(upload.public_id)}
    if not problems:
        try:
            perform_action(user, case.case_no, action, {"materials": choices})
        except DomainError as exc:
            if exc.status == 404:
                raise
            problems = problems_of(exc)
    return problems


@require_POST
@applicant_view
def supply_deferred(request: HttpRequest, number: str, key: str) -> HttpResponse:
    """容缺后补: upload a deferred material; every case that needed it counts it as supplied."""
    user, _ = applicant(request)
    application = own_application(user, number)
    row = ApplicationMaterial.objects.filter(
        application=application, key=key, provision=Provision.DEFERRED, replaced_at__isnull=True
    ).first()
    # Any open case that needs the material will do: the supply closes all of them.
    case = (
        application.cases.filter(item_code__in=row.items)
        .exclude(state__in=ENDED_STATES)
        .order_by("pk")
        .first()
        if row is not None
        else None
    )
    if case is None:
        raise DomainError("not_found", "没有需要补交的这份容缺材料", 404)
    if f"file-{key}" not in request.FILES:
        problems = Problems(by_key={key: "请选择要上传的文件"})
    else:
        problems = _upload_and_act(request, user, case, "supply_deferred")
    if problems:
        return _detail_page(request, application, deferred_problems=problems, status=400)
    messages.success(request, "容缺材料已补交。")
    return redirect(_detail_url(number))


@require_POST
@applicant_view
def withdraw(request: HttpRequest, number: str, case_no: str) -> HttpResponse:
    user, _ = applicant(request)
    application, case = _own_case(user, number, case_no)
    if not request.POST.get("confirm"):
        problems = Problems(general=["请勾选“我确认撤回该事项的申请”后再提交"])
        return _detail_page(request, application, {case.case_no: problems}, status=400)
    reason = (request.POST.get("reason") or "").strip()[:500]
    try:
        perform_action(user, case.case_no, "withdraw", {"reason": reason})
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _detail_page(request, application, {case.case_no: problems_of(exc)}, status=400)
    messages.success(request, f"已撤回“{case.item_name}”的申请。")
    return redirect(_detail_url(number, case.case_no))


@require_GET
@applicant_view
def notice_pdf(request: HttpRequest, number: str, notice: str) -> HttpResponse:
    """A notice of one of the applicant's cases, as PDF (others' notices do not exist)."""
    user, _ = applicant(request)
    application = own_application(user, number)
    found = (
        Notice.objects.filter(case__application=application, number=notice)
        .only("number", "data", "issued_at")
        .first()
    )
    if found is None:
        raise DomainError("not_found", f"文书“{notice}”不存在", 404)
    content = notice_pdf_bytes(found)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(found.number)}.pdf"
    return response
