"""The caller's pages (个人/企业): file a 诉求 online (including a "办不成事" report), my
tickets, and one ticket's progress.

The progress page shows `serialize.citizen_progress` only — the public steps, the due date
and the reply — never a 退单 reason, a 回访 note or a staff member's name. Only the
caller's own tickets (`Ticket.citizen`) are reachable; any other number is a 404.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from tongban.cases.views_citizen import applicant, applicant_view
from tongban.core.errors import DomainError
from tongban.core.models import User

from .actions import ticket_create
from .enums import TicketChannel, TicketState, TicketType
from .forms import CitizenTicketForm, form_errors
from .models import Ticket
from .serialize import citizen_progress
from .views_desk import STATE_STYLE, prefill_from_url, ticket_errors

PAGE_SIZE = 20


def own_tickets(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(citizen=user)


@require_GET
@applicant_view
def mine(request: HttpRequest) -> HttpResponse:
    """我的工单: the caller's tickets, newest first."""
    user, role = applicant(request)
    tickets = own_tickets(user).order_by("-received_at", "-id")
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(t, STATE_STYLE[TicketState(t.state)]) for t in page.object_list]
    return render(request, "tickets/mine.html", {"page": page, "rows": rows, "role": role})


@require_http_methods(["GET", "POST"])
@applicant_view
def file(request: HttpRequest) -> HttpResponse:
    """网上提交诉求 (channel 网站); `?bbcs=1` opens it as a "办不成事" report."""
    user, role = applicant(request)
    errors: list[str] = []
    if request.method == "POST":
        form = CitizenTicketForm(request.POST)
        if not form.is_valid():
            errors = form_errors(form)
        else:
            data = form.cleaned_data
            try:
                ticket = ticket_create(
                    user,
                    type=data["type"],
                    channel=TicketChannel.WEB,
                    title=form.title_for_ticket(),
                    content=data["content"],
                    caller_phone=data["caller_phone"],
                )
            except DomainError as exc:
                if exc.status == 403:
                    raise
                errors = ticket_errors(exc)
            else:
                messages.success(
                    request,
                    f"您的诉求已受理，工单编号 {ticket.number}，"
                    f"请在{ticket.due_on:%Y年%m月%d日}前留意答复。",
                )
                return redirect("tickets:progress", number=ticket.number)
    else:
        bbcs = request.GET.get("bbcs") == "1"
        initial = {
            "type": TicketType.HELP if bbcs else TicketType.CONSULT,
            "bbcs": bbcs,
            **prefill_from_url(request),
        }
        form = CitizenTicketForm(initial=initial)
    context = {"form": form, "errors": errors, "role": role, "user_phone": user.phone}
    return render(request, "tickets/file.html", context, status=400 if errors else 200)


@require_GET
@applicant_view
def progress(request: HttpRequest, number: str) -> HttpResponse:
    """办理进度 of one of the caller's tickets (the public steps only)."""
    user, _ = applicant(request)
    ticket = own_tickets(user).select_related("merged_into").filter(number=number).first()
    if ticket is None:
        raise DomainError("not_found", f"工单“{number}”不存在", 404)
    data = citizen_progress(ticket)
    for step in data["steps"]:  # ISO text in the data; local time on the page
        step["at_local"] = timezone.localtime(datetime.datetime.fromisoformat(step["at"]))
    context = {"p": data, "style": STATE_STYLE[TicketState(ticket.state)]}
    return render(request, "tickets/progress.html", context)
