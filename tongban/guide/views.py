"""智能导办 pages: the results page (/guide/) and the as-you-type suggestions
(/guide/suggest), both public like the catalog.

The same search box (guide/partials/search_box.html) sits on the 办事大厅, the citizen and
company homes, the window clerk's home and the hotline desk. It sends `ctx` (portal, clerk,
hotline) so that the results page can offer each role its next step: the situational
checklist for everyone, 代为申请 for a clerk, 受理新工单 for an operator. `ctx` is only a
hint: a role the user does not hold falls back to the portal's actions.

A search costs one query once the process has its index (the freshness token); the page
adds only what the base template needs (session, user, role assignments).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tongban.core.errors import DomainError
from tongban.core.models import Role, User
from tongban.tickets.enums import TicketType
from tongban.tickets.forms import BBCS_PREFIX

from .documents import BUNDLE
from .search import DEFAULT_LIMIT, EmptyQuery, GuideAnswer, GuideResult, guide_search
from .tokens import MAX_QUERY_CHARS

# The raw text kept from the request: far more than the engine reads (MAX_QUERY_CHARS), so
# that a long story is cut by the engine (and said so), while a huge URL costs nothing.
MAX_INPUT_CHARS = 2000
SUGGESTIONS = 6
PORTAL, CLERK, HOTLINE = "portal", "clerk", "hotline"
CONTEXT_ROLES = {CLERK: Role.CLERK, HOTLINE: Role.HOTLINE}
TICKET_TITLE_CHARS = 60  # a title built from the query stays a title


@dataclass(frozen=True)
class ResultRow:
    result: GuideResult
    checklist_url: str  # 情形引导: the answers decide the materials
    detail_url: str  # 办事指南
    action_url: str = ""  # the role's next step (labelled by the template), if any

    @property
    def is_bundle(self) -> bool:
        return self.result.kind == BUNDLE


def checklist_url(result: GuideResult) -> str:
    name = "catalog:bundle_guide" if result.kind == BUNDLE else "catalog:item_guide"
    return reverse(name, args=[result.code])


def guide_context(request: HttpRequest) -> str:
    """The placement the box was on, if the user holds its role; else the portal."""
    wanted = request.GET.get("ctx", "")
    role = CONTEXT_ROLES.get(wanted)
    user = request.user
    if role is not None and isinstance(user, User) and user.has_role(role):
        return wanted
    return PORTAL


def _with_query(url: str, params: dict[str, str]) -> str:
    return f"{url}?{urlencode(params)}"


def _row(result: GuideResult, context: str, asked: str) -> ResultRow:
    action_url = ""
    if context == CLERK:
        plan = ("b:" if result.kind == BUNDLE else "i:") + result.code
        action_url = _with_query(reverse("cases:window_new"), {"plan": plan})
    elif context == HOTLINE:
        action_url = _with_query(
            reverse("tickets:new"),
            {"type": TicketType.CONSULT, "title": f"咨询：{result.name}", "content": asked},
        )
    return ResultRow(result, checklist_url(result), result.url, action_url)


def not_found_url(context: str, asked: str) -> str:
    """没找到要办的事: a 办不成事 report, filed by the person or logged for them by staff."""
    if context == PORTAL:  # the citizen's form marks the title itself (its bbcs box)
        params, title, who = {"bbcs": "1"}, asked, "我"
        url = reverse("tickets:file")
    else:
        params, title, who = {"type": TicketType.HELP}, BBCS_PREFIX + asked, "群众"
        url = reverse("tickets:new")
    if asked:
        params["title"] = title[:TICKET_TITLE_CHARS]
        params["content"] = f"{who}想办：{asked}。智能导办未找到对应的事项。"
    return _with_query(url, params)


def _asked(request: HttpRequest) -> str:
    return request.GET.get("q", "")[:MAX_INPUT_CHARS].strip()


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """GET /guide/?q=…: the results, each with a button straight to its checklist."""
    asked = _asked(request)
    context = guide_context(request)
    answer: GuideAnswer | None = None
    error = ""
    status = 200
    if asked:
        try:
            answer = guide_search(asked, DEFAULT_LIMIT)
        except EmptyQuery:
            answer = None  # only invisible characters: the hint, as for an empty box
        except DomainError as exc:
            error, status = str(exc.detail), exc.status
    rows = [_row(r, context, asked[:MAX_QUERY_CHARS]) for r in answer.results] if answer else []
    page = {
        "q": asked,
        "answer": answer,
        "rows": rows,
        "error": error,
        "guide_context": context,
        "not_found_url": not_found_url(context, asked[:MAX_QUERY_CHARS]),
    }
    return render(request, "guide/results.html", page, status=status)


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """htmx fragment under the search box: up to six names, each to its checklist. A blank
    box gets an empty fragment, so the list disappears when it is cleared."""
    asked = _asked(request)
    rows: list[ResultRow] = []
    if asked:
        try:
            answer = guide_search(asked, SUGGESTIONS)
        except DomainError:
            answer = None  # as you type, a bad query just shows nothing
        if answer is not None:
            rows = [ResultRow(r, checklist_url(r), r.url) for r in answer.results]
    return render(request, "guide/partials/suggestions.html", {"q": asked, "rows": rows})
