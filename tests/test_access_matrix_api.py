"""Access matrix, REST API: every OpenAPI operation × every persona (issue 9, "Security").

`OPERATIONS` is the reviewed table, keyed by "METHOD path" exactly as /api/v1/openapi.json
lists them; an operation added later without an entry fails
`test_every_operation_is_in_the_matrix`. Callers authenticate with Bearer tokens (the
world's, one per persona). Expectations as for the pages (test_access_matrix_pages.py), with
401 instead of a login redirect for anonymous callers.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tongban.api import api

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

Text = Callable[[World], str]


@dataclasses.dataclass(frozen=True)
class Operation:
    url: Text
    allowed: frozenset[str]
    marker: Text | None = None  # in the response for the allowed …
    blind: frozenset[str] = frozenset()  # … except these, who get a 200 without it
    body: Any = None
    ok: int = 200
    also: tuple[int, ...] = ()  # other statuses as good as `ok`


def a_case(w: World) -> str:
    return w.case_a.case_no


def a_app(w: World) -> str:
    return w.app_a.number or ""


CASE_A_STAFF = frozenset({"approver_x", "clerk_x", "supervisor_city"})
# 好差评 is region-scoped for supervisors; 12345 is not (see test_access_matrix_pages.py).
RECTIFICATION_A = frozenset({"approver_x", "supervisor_city"})
STATS_STAFF = APPROVERS | SUPERVISORS
PUBLIC = EVERYONE

OPERATIONS: dict[str, Operation] = {
    # ---- public
    "POST /api/v1/auth/token": Operation(
        lambda w: "/api/v1/auth/token",
        PUBLIC,
        body={"username": "nobody", "password": "x"},
        ok=401,
        also=(429,),  # django-axes locks the address out after a few failures
    ),
    "POST /api/v1/identifiers/validate": Operation(
        lambda w: "/api/v1/identifiers/validate", PUBLIC, body={"kind": "phone", "value": "1"}
    ),
    "GET /api/v1/regions": Operation(lambda w: "/api/v1/regions", PUBLIC),
    "GET /api/v1/departments": Operation(lambda w: "/api/v1/departments", PUBLIC),
    "GET /api/v1/calendar/due-date": Operation(
        lambda w: "/api/v1/calendar/due-date?start=2026-06-01&days=5", PUBLIC
    ),
    "GET /api/v1/calendar/workdays": Operation(
        lambda w: "/api/v1/calendar/workdays?start=2026-06-01&end=2026-06-30", PUBLIC
    ),
    "GET /api/v1/catalog/items": Operation(lambda w: "/api/v1/catalog/items", PUBLIC),
    "GET /api/v1/catalog/items/{code}": Operation(
        lambda w: "/api/v1/catalog/items/TCHAINUP01", PUBLIC
    ),
    "POST /api/v1/catalog/items/{code}/checklist": Operation(
        lambda w: "/api/v1/catalog/items/TCHAINUP01/checklist", PUBLIC, body={"answers": {}}
    ),
    "GET /api/v1/catalog/bundles": Operation(lambda w: "/api/v1/catalog/bundles", PUBLIC),
    "GET /api/v1/catalog/bundles/{code}": Operation(
        lambda w: "/api/v1/catalog/bundles/chain-test", PUBLIC
    ),
    "POST /api/v1/catalog/bundles/{code}/checklist": Operation(
        lambda w: "/api/v1/catalog/bundles/chain-test/checklist", PUBLIC, body={"answers": {}}
    ),
    "GET /api/v1/catalog/bundles/{code}/metrics": Operation(
        lambda w: "/api/v1/catalog/bundles/chain-test/metrics", PUBLIC
    ),
    "GET /api/v1/catalog/metrics": Operation(lambda w: "/api/v1/catalog/metrics", PUBLIC),
    "GET /api/v1/licences/keys": Operation(lambda w: "/api/v1/licences/keys", PUBLIC),
    "GET /api/v1/licences/{identifier}/verify": Operation(
        lambda w: f"/api/v1/licences/{w.licence_a.identifier}/verify", PUBLIC
    ),
    "POST /api/v1/guide": Operation(
        lambda w: "/api/v1/guide", PUBLIC, body={"query": "孩子出生要办什么"}
    ),
    # ---- any signed-in account, about itself
    "GET /api/v1/me": Operation(lambda w: "/api/v1/me", SIGNED_IN),
    # An upload is owned by its uploader; applicants and the window upload.
    "POST /api/v1/uploads": Operation(lambda w: "/api/v1/uploads", SIGNED_IN, ok=422),
    # ---- applications and cases
    "POST /api/v1/applications": Operation(
        lambda w: "/api/v1/applications", APPLICANTS | CLERKS, body={"item": "TINSTANT01"}, ok=400
    ),
    "GET /api/v1/applications/{number}": Operation(
        lambda w: f"/api/v1/applications/{a_app(w)}", CASE_A_STAFF | {"citizen_a"}, a_case
    ),
    "GET /api/v1/cases": Operation(
        lambda w: "/api/v1/cases",
        SIGNED_IN,
        a_case,
        blind=SIGNED_IN - CASE_A_STAFF - {"citizen_a"},
    ),
    # The 404 repeats the number asked for: the marker is A's name, from the record itself.
    "GET /api/v1/cases/{case_no}": Operation(
        lambda w: f"/api/v1/cases/{a_case(w)}",
        CASE_A_STAFF | {"citizen_a"},
        lambda w: w.users["citizen_a"].full_name,
    ),
    "POST /api/v1/cases/{case_no}/actions/{action}": Operation(
        lambda w: f"/api/v1/cases/{a_case(w)}/actions/advance",
        frozenset({"approver_x"}),
        body={"opinion": "同意"},
    ),
    "GET /api/v1/cases/{case_no}/notices/{number}.pdf": Operation(
        lambda w: f"/api/v1/cases/{a_case(w)}/notices/{w.notice_a.number}.pdf",
        CASE_A_STAFF | {"citizen_a"},
    ),
    # ---- licences
    "GET /api/v1/licences": Operation(
        lambda w: "/api/v1/licences",
        SIGNED_IN,
        lambda w: w.licence_a.identifier,
        blind=SIGNED_IN - {"citizen_a"},
    ),
    "POST /api/v1/licences/{identifier}/actions/revoke": Operation(
        lambda w: f"/api/v1/licences/{w.licence_a.identifier}/actions/revoke",
        frozenset({"approver_x"}),
        body={"reason": "越权撤销"},
    ),
    "POST /api/v1/licences/{identifier}/actions/correct": Operation(
        lambda w: f"/api/v1/licences/{w.licence_a.identifier}/actions/correct",
        frozenset({"approver_x"}),
        body={"reason": "越权更正", "data": {"申请人": "王冒名"}},
    ),
    # ---- 好差评
    "POST /api/v1/ratings": Operation(
        lambda w: "/api/v1/ratings",
        frozenset({"citizen_a"}),
        body={"stage": "complete", "case_no": "{licensed}", "level": 5, "channel": "web"},
        ok=201,
    ),
    "GET /api/v1/ratings": Operation(
        lambda w: "/api/v1/ratings",
        SIGNED_IN,
        lambda w: A_RATING_COMMENT,
        blind=SIGNED_IN - RECTIFICATION_A - {"citizen_a"},
    ),
    "GET /api/v1/ratings/figures": Operation(lambda w: "/api/v1/ratings/figures", SUPERVISORS),
    "GET /api/v1/rectifications": Operation(
        lambda w: "/api/v1/rectifications",
        SIGNED_IN,
        lambda w: A_RATING_COMMENT,
        blind=SIGNED_IN - RECTIFICATION_A - {"citizen_a"},
    ),
    "GET /api/v1/rectifications/{pk}": Operation(
        lambda w: f"/api/v1/rectifications/{w.rectification_a.pk}",
        RECTIFICATION_A | {"citizen_a"},
        lambda w: A_RATING_COMMENT,
    ),
    "POST /api/v1/rectifications/{pk}/actions/{action}": Operation(
        lambda w: f"/api/v1/rectifications/{w.rectification_a.pk}/actions/follow_up",
        frozenset({"approver_x"}),
        body={"method": "phone", "notes": "已回访"},
    ),
    # ---- 12345 工单
    "POST /api/v1/tickets": Operation(
        lambda w: "/api/v1/tickets",
        # Clerks log tickets from their window only (channel "window"); on "web" it is 403.
        APPLICANTS | {"hotline"},
        body={
            "type": "consult",
            "channel": "web",
            "title": "问",
            "content": "问",
            "caller_name": "张三",
            "caller_phone": "13807300003",
        },
        ok=201,
    ),
    "GET /api/v1/tickets": Operation(
        lambda w: "/api/v1/tickets",
        SIGNED_IN,
        lambda w: A_TICKET_TITLE,
        blind=SIGNED_IN - SUPERVISORS - {"hotline", "citizen_a"},
    ),
    "GET /api/v1/tickets/dispatch/suggest": Operation(
        lambda w: "/api/v1/tickets/dispatch/suggest?text=出生证明", SUPERVISORS | {"hotline"}
    ),
    "GET /api/v1/tickets/metrics": Operation(
        lambda w: "/api/v1/tickets/metrics", SUPERVISORS | {"hotline"}
    ),
    "GET /api/v1/tickets/{number}": Operation(
        lambda w: f"/api/v1/tickets/{w.ticket_a.number}",
        SUPERVISORS | {"hotline", "citizen_a"},
        lambda w: A_TICKET_TITLE,
    ),
    "GET /api/v1/tickets/{number}/progress": Operation(
        lambda w: f"/api/v1/tickets/{w.ticket_a.number}/progress",
        SUPERVISORS | {"hotline", "citizen_a"},
    ),
    "POST /api/v1/tickets/{number}/actions/{action}": Operation(
        lambda w: f"/api/v1/tickets/{w.ticket_a.number}/actions/dispatch",
        frozenset({"hotline"}),
        body={"lead": "yy-minzheng"},
    ),
    # ---- statistics
    "GET /api/v1/stats/overview": Operation(lambda w: "/api/v1/stats/overview", STATS_STAFF),
    "GET /api/v1/stats/items": Operation(lambda w: "/api/v1/stats/items", STATS_STAFF),
    "GET /api/v1/stats/bundles/{code}": Operation(
        lambda w: "/api/v1/stats/bundles/chain-test", STATS_STAFF
    ),
    "GET /api/v1/stats/warnings": Operation(lambda w: "/api/v1/stats/warnings", STATS_STAFF),
}

# More than one question for some operations: another object, another scope.
EXTRA: dict[str, tuple[str, Operation]] = {
    "B's case, at X and Y": (
        "GET /api/v1/cases/{case_no}",
        Operation(
            lambda w: f"/api/v1/cases/{w.case_b.case_no}",
            frozenset({"citizen_b", "clerk_x", "approver_y", "supervisor_city"}),
            lambda w: w.users["citizen_b"].full_name,
        ),
    ),
    "accept B's case": (
        "POST /api/v1/cases/{case_no}/actions/{action}",
        Operation(
            lambda w: f"/api/v1/cases/{w.case_b.case_no}/actions/accept",
            frozenset({"clerk_x", "approver_y"}),
        ),
    ),
    "approve A's case": (
        "POST /api/v1/cases/{case_no}/actions/{action}",
        Operation(
            lambda w: f"/api/v1/cases/{a_case(w)}/actions/approve",
            frozenset({"approver_x"}),
            body={"opinion": "同意"},
        ),
    ),
    "supplement notice on A's case": (
        "POST /api/v1/cases/{case_no}/actions/{action}",
        Operation(
            lambda w: f"/api/v1/cases/{a_case(w)}/actions/request_supplement",
            frozenset({"approver_x", "clerk_x"}),
            body={"materials": [{"key": "tc_up_form", "reason": "不清晰"}]},
        ),
    ),
    "withdraw A's case": (
        "POST /api/v1/cases/{case_no}/actions/{action}",
        Operation(
            lambda w: f"/api/v1/cases/{a_case(w)}/actions/withdraw",
            frozenset({"citizen_a", "clerk_x"}),
            body={"reason": "不办了"},
        ),
    ),
    "cases of department X": (
        "GET /api/v1/cases",
        Operation(
            lambda w: f"/api/v1/cases?department={w.department_x.code}",
            SIGNED_IN,
            a_case,
            blind=SIGNED_IN - CASE_A_STAFF - {"citizen_a"},
        ),
    ),
    "overview of the city": (
        "GET /api/v1/stats/overview",
        Operation(
            lambda w: "/api/v1/stats/overview?region=430600",
            # An approver's filter is narrowed to their department (stats/filters.py).
            frozenset({"supervisor_city"}) | APPROVERS,
        ),
    ),
    "items of department Y": (
        "GET /api/v1/stats/items",
        Operation(
            lambda w: f"/api/v1/stats/items?department={w.department_y.pk}",
            frozenset({"approver_y", "supervisor_city"}),
        ),
    ),
}

CASES = [(key, key, op) for key, op in OPERATIONS.items()] + [
    (name, key, op) for name, (key, op) in EXTRA.items()
]


def test_every_operation_is_in_the_matrix() -> None:
    """A new API operation without an access decision fails here: add it to OPERATIONS."""
    listed = {
        f"{method.upper()} {path}"
        for path, methods in api.get_openapi_schema()["paths"].items()
        for method in methods
    }
    assert sorted(listed - set(OPERATIONS)) == [], "operations with no access decision"
    assert sorted(set(OPERATIONS) - listed) == [], "stale matrix entries"
    for _, key, op in CASES:
        assert key in OPERATIONS
        assert op.blind <= op.allowed <= EVERYONE, key


def _call(world: World, persona: str, method: str, url: str, body: Any) -> Any:
    client = Client()
    headers = {} if persona == ANON else {"Authorization": f"Bearer {world.tokens[persona]}"}
    if method == "GET":
        return client.get(url, headers=headers)
    if body is not None:
        body = json.loads(json.dumps(body).replace("{licensed}", world.licensed_case_no))
    return client.post(
        url,
        data=json.dumps(body if body is not None else {}),
        content_type="application/json",
        headers=headers,
    )


def _content(response: Any) -> str:
    return str(response.content.decode("utf-8", "replace"))


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "key", "op"), CASES, ids=[c[0] for c in CASES])
def test_who_may_call_each_operation(world: World, name: str, key: str, op: Operation) -> None:
    method = key.split()[0]
    url = op.url(world)
    marker = op.marker(world) if op.marker else None
    problems = []
    for persona in PERSONAS:
        if method == "POST" and persona in op.allowed and op.ok == 200:
            continue  # an allowed write runs in the feature tests; here it would change the world
        before = fingerprint() if method == "POST" else None
        response = _call(world, persona, method, url, op.body)
        status = response.status_code
        body = _content(response)
        where = f"{name} as {persona}: {method} {url} → {status}"
        if status >= 500:
            problems.append(f"{where}: server error")
        elif persona in op.allowed:
            if status != op.ok and status not in op.also:
                problems.append(f"{where}, expected {op.ok}: {body[:200]}")
            elif marker and (marker in body) == (persona in op.blind):
                problems.append(
                    f"{where}: the record {marker} is {'shown' if persona in op.blind else 'missing'}"
                )
        else:
            expected = (401,) if persona == ANON else (403, 404)
            if status not in expected:
                problems.append(f"{where}, expected {expected}: {body[:200]}")
            elif body and response["Content-Type"].startswith("application/json"):
                error = response.json()
                if set(error) != {"error", "detail"}:
                    problems.append(f"{where}: not the error shape: {body[:200]}")
            if marker and marker in body:
                problems.append(f"{where}: forbidden, yet shows {marker}")
            if before is not None and fingerprint() != before:
                problems.append(f"{where}: a forbidden write changed the database")
    assert not problems, "\n".join(problems)
