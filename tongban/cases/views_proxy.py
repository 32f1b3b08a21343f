"""帮代办 desk for window clerks and 12345 operators: record a citizen's consent and hand
them to an agent; the agent's list of the citizens they act for. Parse, authorise, call."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tongban.core.errors import DomainError
from tongban.core.models import Role, User

from .actions.proxy import RECORDERS, MandateInput, proxy_mandate_record, proxy_mandate_revoke
from .models import Application, ConsentMethod, ProxyMandate
from .views_staff import domain_errors, error_messages, staff_nav

FIELDS = (
    "principal_name",
    "principal_id_number",
    "principal_phone",
    "agent",
    "scope",
    "consent_method",
    "consent_reference",
    "ticket_number",
)


def _desk_user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not any(user.has_role(role) for role in RECORDERS):
        raise PermissionDenied("只有窗口工作人员或12345话务员可以办理帮代办")
    return user


def _agents() -> list[User]:
    return list(
        User.objects.filter(role_assignments__role=Role.CLERK, is_active=True)
        .distinct()
        .order_by("username")
    )


@login_required
@require_http_methods(["GET", "POST"])
def proxy_desk(request: HttpRequest) -> HttpResponse:
    user = _desk_user(request)
    typed = {name: request.POST.get(name, "").strip() for name in FIELDS}
    if request.method == "GET":
        typed["ticket_number"] = request.GET.get("ticket", "")
        typed["agent"] = str(user.pk) if user.has_role(Role.CLERK) else ""
    errors: list[str] = []
    if request.method == "POST":
        agent = User.objects.filter(pk=typed["agent"]).first() if typed["agent"].isdigit() else None
        if agent is None:
            errors.append("请选择帮代办专员")
        else:
            data = MandateInput(
                principal_name=typed["principal_name"],
                principal_id_number=typed["principal_id_number"].upper(),
                principal_phone=typed["principal_phone"],
                agent=agent,
                scope=typed["scope"],
                consent_method=typed["consent_method"],
                consent_reference=typed["consent_reference"],
                ticket_number=typed["ticket_number"],
            )
            try:
                proxy_mandate_record(user, data)
            except DomainError as exc:
                errors = error_messages(exc)
            else:
                return redirect("cases:proxy_desk")
    mine = Q(agent=user) | Q(recorded_by=user)
    mandates = (
        ProxyMandate.objects.filter(mine)
        .select_related("agent", "ticket")
        .prefetch_related(
            Prefetch("applications", queryset=Application.objects.only("number", "plan_name"))
        )[:100]
    )
    context = {
        "typed": typed,
        "errors": errors,
        "agents": _agents(),
        "consent_choices": ConsentMethod.choices,
        "mandates": mandates,
        **staff_nav(user, "proxy"),
    }
    return render(request, "cases/staff/proxy.html", context, status=400 if errors else 200)


@login_required
@require_POST
@domain_errors
def proxy_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    proxy_mandate_revoke(user, pk, reason=request.POST.get("reason", ""))
    return redirect("cases:proxy_desk")
