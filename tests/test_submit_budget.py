"""The SQL statement budget of one bundle submission (issue 9): at most 20 statements for the
newborn bundle's five cases, its materials and its audit event, on SQLite and PostgreSQL.

Every statement is a round trip inside the submission's transaction, which holds the day's
application counter locked: the budget is what keeps the submission rate up (bench/
bench_submit.py, docs/performance.md)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tongban.cases.enums import CaseState
from tongban.cases.models import Application, ApplicationMaterial, Case
from tongban.catalog.actions import catalog_import
from tongban.catalog.catalog_file import parse_catalog_files
from tongban.catalog.demo import demo_catalog_files
from tongban.core.models import AuditEvent, User

from .case_helpers import checklist_for, sample_form, sample_materials

STATEMENT_BUDGET = 20
# Transaction control is not counted, so both databases share one budget: BEGIN/COMMIT go
# through the cursor on SQLite (transaction_mode IMMEDIATE) and not on PostgreSQL, and inside
# the test's own transaction the submission's becomes a SAVEPOINT/RELEASE pair.
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.I)
NEWBORN_ANSWERS = {
    "born_here": "yes",
    "parents_hukou": "both_local",
    "want_insure": "yes",
    "want_card": "yes",
    "mother_insured": "no",
    "married": "yes",
    "card_holder": "minor",
}


@pytest.fixture
def newborn(demo: None) -> None:
    """The demo catalog's newborn bundle and its items, published."""
    catalog = parse_catalog_files(demo_catalog_files())
    [bundle] = [b for b in catalog.bundles if b.code == "newborn"]
    members = set(bundle.member_codes())
    catalog_import(
        catalog.model_copy(
            update={"items": [i for i in catalog.items if i.code in members], "bundles": [bundle]}
        ),
        actor=None,
    )


def _body(owner: User) -> dict[str, Any]:
    checklist = checklist_for(NEWBORN_ANSWERS, "newborn")
    materials = sample_materials(checklist, owner)
    return {
        "bundle": "newborn",
        "channel": "web",
        "answers": NEWBORN_ANSWERS,
        "form": sample_form(checklist),
        "materials": {
            key: {"provision": str(choice.provision), "upload": choice.upload}
            for key, choice in materials.items()
        },
    }


def _submit(client: Client, token: str, body: dict[str, Any], key: str) -> Any:
    return client.post(
        "/api/v1/applications",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )


def test_a_five_item_bundle_submission_stays_within_its_statement_budget(
    newborn: None, client: Client, api_token: Callable[[str], str]
) -> None:
    citizen = User.objects.get(username="citizen")
    token = api_token("citizen")
    body = _body(citizen)
    # A serving process has read the catalog before: the first submission fills its caches.
    assert _submit(client, token, body, "warm-up").status_code == 201
    with CaptureQueriesContext(connection) as captured:
        response = _submit(client, token, body, "measured")
    assert response.status_code == 201, response.content
    statements = [
        q["sql"] for q in captured.captured_queries if not TRANSACTION_CONTROL.match(q["sql"])
    ]
    assert len(statements) <= STATEMENT_BUDGET, "\n".join(s[:120] for s in statements)
    # One transaction, no nested savepoints (the audit event takes none).
    savepoints = [q for q in captured.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) <= 1
    # …and the statements did the whole submission.
    created = response.json()
    application = Application.objects.get(number=created["number"])
    cases = Case.objects.filter(application=application)
    assert cases.count() == 5 == len(created["cases"])
    assert set(cases.values_list("state", flat=True)) <= {CaseState.RECEIVED, CaseState.WAITING}
    assert ApplicationMaterial.objects.filter(application=application).count() == len(
        checklist_for(NEWBORN_ANSWERS, "newborn").materials
    )
    assert AuditEvent.objects.filter(
        action="application.submit", object_id=application.number
    ).exists()


def test_a_retry_replays_without_writing_and_a_reused_key_is_still_a_conflict(
    newborn: None, client: Client, api_token: Callable[[str], str]
) -> None:
    """The key is found by the insert's unique constraint, not looked up first."""
    citizen = User.objects.get(username="citizen")
    token = api_token("citizen")
    body = _body(citizen)
    first = _submit(client, token, body, "k-1")
    assert first.status_code == 201
    counts = (Application.objects.count(), Case.objects.count(), AuditEvent.objects.count())
    again = _submit(client, token, body, "k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert (Application.objects.count(), Case.objects.count(), AuditEvent.objects.count()) == (
        counts
    )
    # A different body under the same key is a 409, even one that is itself invalid.
    for other in ({**body, "answers": {}}, {**body, "bundle": "no-such-bundle"}):
        conflict = _submit(client, token, other, "k-1")
        assert conflict.status_code == 409, conflict.content
        assert conflict.json()["error"] == "idempotency_key_reused"
    # An invalid body under a new key is answered for what is wrong with it.
    assert _submit(client, token, {**body, "answers": {}}, "k-2").status_code == 400
    assert Application.objects.count() == counts[0]
