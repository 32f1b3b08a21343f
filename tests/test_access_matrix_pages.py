"""Access matrix, pages: every URL pattern × every persona (issue 9, "Security").

`PAGES` is the reviewed table: for each route, who may read it. A route added later without
an entry here (or in `NO_DATA`) fails `test_every_route_is_in_the_matrix`, so no page ships
without an access decision. Expectations:

- allowed → 200 (or the route's `ok` status) and, where the route shows someone's record,
  that record's marker is on the page — and absent for every persona in the list's `blind`;
- forbidden → 403 or 404, never 200 with data, never a 500;
- anonymous on a private page → 302 to the login page;
- a forbidden write (POST) changes nothing in the database.

The API has its own table in test_access_matrix_api.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from .test_access_matrix_world import (
    A_RATING_COMMENT,
    A_TICKET_TITLE,
    ANON,
    APPLICANTS,
    APPROVERS,
    CLERKS,
    EVERYONE,
    PERSONAS,
    SIGNED_IN,
    SUPERVISORS,
    World,
    fingerprint,
    world,
)

__all__ = ["world"]  # the module-scoped fixture, imported for pytest

Url = Callable[[World], str]
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclasses.dataclass(frozen=True)
class Page:
    route: str  # the URL pattern's name, with its namespace
    url: Url
    allowed: frozenset[str]
    marker: Callable[[World], str] | None = None  # on the page for the allowed …
    blind: frozenset[str] = frozenset()  # … except these, who get the page without it
    method: str = "GET"
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    ok: int = 200
    redirected: frozenset[str] = frozenset()  # sent elsewhere (302), shown nothing
    key: str = ""  # a second entry for one route (another argument or query)

    @property
    def id(self) -> str:
        return self.key or self.route


def a_app(w: World) -> str:
    return w.app_a.number or ""


def a_case(w: World) -> str:
    return w.case_a.case_no


def fixed(url: str) -> Url:
    return lambda w: url


def draft(step: str = "") -> Url:
    return lambda w: f"/cases/apply/item/TCHAINUP01/{w.draft_a.pk}/{step}"


# The staff who see case_a (X's case, received at centre X, in the city): its department's
# approver, centre X's clerk and the city's supervisor — not the county's.
CASE_A_STAFF = frozenset({"approver_x", "clerk_x", "supervisor_city"})
# Rectifications and ratings: the rated unit and its region's supervision (X is a city
# department: the county's supervisor does not see them). 12345 tickets are not scoped by
# region (tickets/queries.py: the hotline and its supervision are one per prefecture).
RECTIFICATION_A = frozenset({"approver_x", "supervisor_city"})
UNIT_STAFF = CLERKS | APPROVERS | SUPERVISORS
STATS_STAFF = APPROVERS | SUPERVISORS

PAGES: list[Page] = [
    # ---- public: the catalog, guidance, verification, the published figures
    Page("catalog:index", lambda w: "/catalog/", EVERYONE),
    Page("catalog:departments", lambda w: "/catalog/departments/", EVERYONE),
    Page("catalog:metrics", lambda w: "/catalog/metrics/", EVERYONE),
    Page("catalog:item", lambda w: "/catalog/items/TCHAINUP01/", EVERYONE),
    Page("catalog:item_guide", lambda w: "/catalog/items/TCHAINUP01/guide/", EVERYONE),
    Page("catalog:item_print", lambda w: "/catalog/items/TCHAINUP01/checklist/print/", EVERYONE),
    Page("catalog:bundle", lambda w: "/catalog/bundles/chain-test/", EVERYONE),
    Page("catalog:bundle_guide", lambda w: "/catalog/bundles/chain-test/guide/", EVERYONE),
    Page(
        "catalog:bundle_print", lambda w: "/catalog/bundles/chain-test/checklist/print/", EVERYONE
    ),
    Page("guide:results", lambda w: "/guide/?q=出生", EVERYONE),
    Page("guide:suggest", lambda w: "/guide/suggest?q=出生", EVERYONE),
    Page("feedback:public", lambda w: "/feedback/public/", EVERYONE),
    Page("stats:public", lambda w: "/stats/public/", EVERYONE),
    Page("licence_verify", lambda w: f"/verify/{w.licence_a.identifier}", EVERYONE),
    Page("notice_verify", lambda w: f"/verify/notice/{w.notice_a.number}", EVERYONE),
    Page("login", lambda w: "/accounts/login/", EVERYONE),
    Page("api-redoc", lambda w: "/api/v1/redoc", EVERYONE),
    Page("api-openapi-json", lambda w: "/api/v1/openapi.json", EVERYONE),
    Page("api-v1:openapi-view", lambda w: "/api/v1/docs", EVERYONE),
    # ---- any signed-in account
    Page("home", lambda w: "/", SIGNED_IN, ok=302),
    Page("due_date_widget", lambda w: "/tools/due-date/?start=2026-06-01&days=5", SIGNED_IN),
    *[
        Page("role_home", fixed(f"/home/{role}/"), frozenset(who), key=f"role_home[{role}]")
        for role, who in {
            "citizen": {"citizen_a", "citizen_b"},
            "company": {"company"},
            "clerk": CLERKS,
            "approver": APPROVERS,
            "catalog_admin": {"catalog"},
            "supervisor": SUPERVISORS,
            "hotline": {"hotline"},
            "sysadmin": {"sysadmin"},
        }.items()
    ],
    # ---- the applicant's workbench: own applications only
    Page("cases:apply_index", lambda w: "/cases/apply/", APPLICANTS),
    Page("cases:apply_start", lambda w: "/cases/apply/item/TCHAINUP01/", APPLICANTS),
    Page("cases:apply_resume", draft(), frozenset({"citizen_a"}), ok=302),
    Page("cases:apply_step", draft("questions/"), frozenset({"citizen_a"})),
    Page(
        "cases:apply_upload", draft("upload/tc_up_form/"), frozenset({"citizen_a"}), method="POST"
    ),
    Page(
        "cases:apply_submit",
        draft("submit/"),
        frozenset({"citizen_a"}),
        method="POST",
        data={"idempotency_key": "k-1"},
    ),
    Page("cases:apply_discard", draft("discard/"), frozenset({"citizen_a"}), method="POST"),
    Page(
        "cases:mine",
        lambda w: "/cases/mine/",
        APPLICANTS,
        a_app,
        blind=frozenset({"citizen_b", "company"}),
    ),
    Page(
        "cases:mine_detail", lambda w: f"/cases/mine/{a_app(w)}/", frozenset({"citizen_a"}), a_case
    ),
    Page(
        "cases:mine_resubmit",
        lambda w: f"/cases/mine/{a_app(w)}/cases/{a_case(w)}/resubmit/",
        frozenset({"citizen_a"}),
        method="POST",
    ),
    Page(
        "cases:mine_withdraw",
        lambda w: f"/cases/mine/{a_app(w)}/cases/{a_case(w)}/withdraw/",
        frozenset({"citizen_a"}),
        method="POST",
        data={"confirm": "1", "reason": "不办了"},
    ),
    Page(
        "cases:mine_supply_deferred",
        lambda w: f"/cases/mine/{a_app(w)}/deferred/tc_up_form/",
        frozenset({"citizen_a"}),
        method="POST",
    ),
    Page(
        "cases:mine_notice",
        lambda w: f"/cases/mine/{a_app(w)}/notices/{w.notice_a.number}.pdf",
        frozenset({"citizen_a"}),
    ),
    # ---- the window (centre-scoped)
    Page(
        "cases:window",
        lambda w: "/cases/staff/window/",
        CLERKS,
        lambda w: w.case_b.case_no,
        blind=frozenset({"clerk_y"}),
    ),
    Page("cases:window_new", lambda w: "/cases/staff/window/new/", CLERKS),
    Page(
        "cases:window_application",
        lambda w: f"/cases/staff/window/applications/{a_app(w)}/",
        frozenset({"clerk_x"}),
        a_case,
    ),
    Page(
        "cases:window_check",
        lambda w: f"/cases/staff/window/check/{w.case_b.case_no}/",
        frozenset({"clerk_x"}),
        lambda w: w.case_b.case_no,
    ),
    Page("cases:window_deliver", lambda w: "/cases/staff/window/deliver/", CLERKS),
    Page("cases:proxy_desk", lambda w: "/cases/staff/proxy/", CLERKS | {"hotline"}),
    Page(
        "cases:proxy_revoke",
        lambda w: "/cases/staff/proxy/999999/revoke/",
        CLERKS | {"hotline"},
        method="POST",
    ),
    # ---- the department queue and supervision
    Page(
        "cases:queue",
        lambda w: "/cases/staff/queue/",
        APPROVERS,
        a_case,
        blind=frozenset({"approver_y"}),
    ),
    Page("cases:verifications", lambda w: "/cases/staff/verifications/", APPROVERS),
    Page(
        "cases:warnings",
        lambda w: "/cases/staff/warnings/",
        SUPERVISORS,
    ),
    # ---- one case, for the staff whose scope holds it
    Page("cases:case_detail", lambda w: f"/cases/staff/case/{a_case(w)}/", CASE_A_STAFF, a_case),
    Page(
        "cases:case_action",
        lambda w: f"/cases/staff/case/{a_case(w)}/do/advance/",
        frozenset({"approver_x"}),
        method="POST",
        data={"opinion": "同意"},
    ),
    Page(
        "cases:case_action",
        lambda w: f"/cases/staff/case/{w.case_b.case_no}/do/accept/",
        frozenset({"clerk_x", "approver_y"}),
        method="POST",
        key="cases:case_action[accept B]",
    ),
    Page(
        "cases:material_file",
        lambda w: f"/cases/staff/case/{a_case(w)}/files/{w.upload_a.public_id}/",
        CASE_A_STAFF,
    ),
    Page(
        "cases:notice_pdf",
        lambda w: f"/cases/staff/case/{a_case(w)}/notices/{w.notice_a.number}.pdf",
        CASE_A_STAFF,
    ),
    # ---- licences: the holder's wallet and PDF, the issuer's management
    Page(
        "licences:wallet",
        lambda w: "/licences/",
        APPLICANTS,
        lambda w: w.licence_a.number,
        blind=frozenset({"citizen_b", "company"}),
    ),
    Page(
        "licences:pdf",
        lambda w: f"/licences/{w.licence_a.identifier}.pdf",
        frozenset({"citizen_a", "approver_x"}),
    ),
    Page(
        "licences:manage",
        lambda w: f"/licences/manage/{w.licence_a.identifier}/",
        frozenset({"approver_x"}),
        lambda w: w.licence_a.number,
    ),
    Page(
        "licences:revoke",
        lambda w: f"/licences/manage/{w.licence_a.identifier}/revoke/",
        frozenset({"approver_x"}),
        method="POST",
        data={"reason": "越权撤销"},
    ),
    Page(
        "licences:correct",
        lambda w: f"/licences/manage/{w.licence_a.identifier}/correct/",
        frozenset({"approver_x"}),
        method="POST",
        data={"reason": "越权更正", "field-0": "王冒名"},
    ),
    # ---- 好差评
    Page(
        "feedback:rate",
        lambda w: f"/feedback/rate/{w.licensed_case_no}/complete/",
        frozenset({"citizen_a"}),
    ),
    Page(
        "feedback:mine",
        lambda w: "/feedback/mine/",
        APPLICANTS,
        lambda w: f"/feedback/mine/{w.rating_a.pk}/",
        blind=frozenset({"citizen_b", "company"}),
    ),
    Page(
        "feedback:rating",
        lambda w: f"/feedback/mine/{w.rating_a.pk}/",
        frozenset({"citizen_a"}),
        lambda w: A_RATING_COMMENT,
    ),
    Page(
        "feedback:re_rate",
        lambda w: f"/feedback/mine/{w.rating_a.pk}/re-rate/",
        frozenset({"citizen_a"}),
        method="POST",
        data={"level": "5", "comment": "改评"},
    ),
    Page(
        "feedback:desk",
        lambda w: "/feedback/desk/",
        UNIT_STAFF,
        lambda w: f"/feedback/desk/{w.rectification_a.pk}/",
        blind=UNIT_STAFF - RECTIFICATION_A,
    ),
    Page(
        "feedback:desk_detail",
        lambda w: f"/feedback/desk/{w.rectification_a.pk}/",
        RECTIFICATION_A,
        lambda w: A_RATING_COMMENT,
    ),
    Page(
        "feedback:desk_action",
        lambda w: f"/feedback/desk/{w.rectification_a.pk}/do/follow_up/",
        frozenset({"approver_x"}),
        method="POST",
        data={"method": "phone", "notes": "已回访"},
    ),
    Page("feedback:supervise", lambda w: "/feedback/supervise/", SUPERVISORS),
    # A's application was made online: no window pad exists for it, at any centre.
    Page("feedback:pad", lambda w: f"/feedback/pad/{a_app(w)}/", frozenset()),
    # ---- 12345 工单
    Page(
        "tickets:desk",
        lambda w: "/tickets/desk/",
        SUPERVISORS | {"hotline"},
        lambda w: A_TICKET_TITLE,
    ),
    Page(
        "tickets:queue",
        lambda w: "/tickets/queue/",
        CLERKS | APPROVERS,
        lambda w: A_TICKET_TITLE,
        blind=CLERKS | APPROVERS,
    ),
    Page("tickets:new", lambda w: "/tickets/new/", CLERKS | {"hotline"}),
    Page("tickets:suggest", lambda w: "/tickets/suggest/?text=出生证明", SUPERVISORS | {"hotline"}),
    Page("tickets:supervise", lambda w: "/tickets/supervise/", SUPERVISORS),
    Page(
        "tickets:mine",
        lambda w: "/tickets/mine/",
        APPLICANTS,
        lambda w: A_TICKET_TITLE,
        blind=frozenset({"citizen_b", "company"}),
    ),
    Page("tickets:file", lambda w: "/tickets/mine/new/", APPLICANTS),
    Page(
        "tickets:progress",
        lambda w: f"/tickets/mine/{w.ticket_a.number}/",
        frozenset({"citizen_a"}),
        lambda w: A_TICKET_TITLE,
    ),
    # A following their own ticket's staff link is sent to the progress page (302).
    Page(
        "tickets:detail",
        lambda w: f"/tickets/{w.ticket_a.number}/",
        SUPERVISORS | {"hotline"},
        lambda w: A_TICKET_TITLE,
        redirected=frozenset({"citizen_a"}),
    ),
    Page(
        "tickets:act",
        lambda w: f"/tickets/{w.ticket_a.number}/do/dispatch/",
        frozenset({"hotline"}),
        method="POST",
        data={"lead": "yy-minzheng"},
    ),
    # ---- statistics: supervisors (their region) and approvers (their department)
    Page("stats:dashboard", lambda w: "/stats/", STATS_STAFF),
    Page(
        "stats:dashboard",
        lambda w: f"/stats/?department={w.department_x.pk}",
        frozenset({"approver_x", "supervisor_city"}),
        key="stats:dashboard[department X]",
    ),
    Page(
        "stats:dashboard",
        lambda w: "/stats/?region=430600",
        # An approver's filter is narrowed to their own department (stats/filters.py), so
        # asking for a region shows them nothing more; a county supervisor is refused.
        frozenset({"supervisor_city"}) | APPROVERS,
        key="stats:dashboard[region city]",
    ),
    Page("stats:warnings", lambda w: "/stats/warnings/", STATS_STAFF),
    Page("stats:report", lambda w: "/stats/export/report.pdf", STATS_STAFF),
    Page("stats:export", lambda w: "/stats/export/items.csv", STATS_STAFF),
    Page(
        "stats:export",
        lambda w: f"/stats/export/items.csv?department={w.department_y.pk}",
        frozenset({"approver_y", "supervisor_city"}),
        key="stats:export[department Y]",
    ),
    Page("stats:reform", lambda w: "/stats/reform/", STATS_STAFF),
    Page("stats:reform_bundle", lambda w: "/stats/reform/chain-test/", STATS_STAFF),
    # ---- Django admin: staff accounts with model permissions only
    Page("admin:index", lambda w: "/admin/", frozenset({"sysadmin", "catalog"})),
]

# Routes that return no data of anyone's: nothing to decide.
NO_DATA: dict[str, str] = {
    "logout": "POST-only sign-out",
    "api-v1:api-root": "ninja's API root, not served (404)",
}
# Namespaces classified elsewhere: the REST API operations (test_access_matrix_api.py) and
# the Django admin, whose every page is behind admin.site's own staff check (one entry above).
ELSEWHERE = ("api-v1:", "admin:")
ELSEWHERE_BUT_LISTED = {"api-v1:openapi-view", "admin:index"}


def route_names() -> set[str]:
    names: set[str] = set()

    def walk(resolver: URLResolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}{pattern.namespace}:"
                walk(pattern, inner)
            elif isinstance(pattern, URLPattern):
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver(), "")
    return names


def test_every_route_is_in_the_matrix() -> None:
    """A new page without an access decision fails here: add it to PAGES (or NO_DATA)."""
    classified = {p.route for p in PAGES} | set(NO_DATA)
    routes = {
        name
        for name in route_names()
        if not name.startswith(ELSEWHERE) or name in ELSEWHERE_BUT_LISTED
    }
    assert sorted(routes - classified) == [], "routes with no access decision"
    assert sorted(classified - routes - {"api-v1:api-root"}) == [], "stale matrix entries"
    assert "None" not in " ".join(routes), "every route needs a name to be classified"


def test_the_matrix_names_every_persona() -> None:
    for page in PAGES:
        assert page.allowed <= EVERYONE, page.id
        assert page.blind <= page.allowed, page.id


def _client(world: World, persona: str) -> Client:
    client = Client()
    if persona != ANON:
        client.force_login(world.user(persona), backend=MODEL_BACKEND)
    return client


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return str(response.content.decode("utf-8", "replace"))


def _check_read(world: World, page: Page, persona: str) -> str | None:
    """The read of `page` as `persona`, checked; a description of what is wrong, or None."""
    url = page.url(world)
    response = _client(world, persona).get(url)
    status = response.status_code
    body = _body(response)
    marker = page.marker(world) if page.marker else None
    where = f"{page.id} as {persona}: GET {url} → {status}"
    if status >= 500:
        return f"{where}: server error"
    if persona in page.allowed:
        if status != page.ok:
            return f"{where}, expected {page.ok}"
        if marker and page.ok == 200:
            shown = marker in body
            if persona in page.blind and shown:
                return f"{where}: shows another's record ({marker})"
            if persona not in page.blind and not shown:
                return f"{where}: the record ({marker}) is missing"
        return None
    if marker and marker in body:
        return f"{where}: forbidden, yet shows the record ({marker})"
    if persona == ANON:
        login = status == 302 and response["Location"].startswith(
            ("/accounts/login/", "/admin/login/")
        )
        return None if login else f"{where}, expected a redirect to the login page"
    if persona in page.redirected and status == 302:
        return None
    if page.route.startswith("admin:") and status == 302:
        return None  # admin.site sends a non-staff account to its own login page
    if status not in (403, 404):
        return f"{where}, expected 403 or 404"
    return None


READS = [p for p in PAGES if p.method == "GET"]
WRITES = [p for p in PAGES if p.method == "POST"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", READS, ids=[p.id for p in READS])
def test_who_may_read_each_page(world: World, page: Page) -> None:
    problems = [p for persona in PERSONAS if (p := _check_read(world, page, persona))]
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("page", WRITES, ids=[p.id for p in WRITES])
def test_a_forbidden_write_changes_nothing(world: World, page: Page) -> None:
    url = page.url(world)
    before = fingerprint()
    problems = []
    for persona in PERSONAS:
        if persona in page.allowed:
            continue
        response = _client(world, persona).post(url, page.data)
        status = response.status_code
        where = f"{page.id} as {persona}: POST {url} → {status}"
        if persona == ANON:
            if not (status == 302 and response["Location"].startswith("/accounts/login/")):
                problems.append(f"{where}, expected a redirect to the login page")
        elif status not in (403, 404):
            problems.append(f"{where}, expected 403 or 404")
    assert not problems, "\n".join(problems)
    assert fingerprint() == before
