"""API fuzzing (issue 9, "Security"): schemathesis over /api/v1/openapi.json, every operation,
called as each role and anonymously. No answer may be a 5xx, every answer's status must be
one the document lists, and every body must match the document's schema for that status.

The schema is loaded from the app in process (`from_wsgi`): no server. The example count is
bounded and the generation derandomized, so CI is deterministic and the file runs in about a
minute or two on SQLite. Each operation is one pytest test, so everything the fuzzer writes
(applications, tickets, ratings …) is rolled back with that test's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tongban.catalog.store import clear_spec_cache
from tongban.core import workcalendar
from tongban.core.demo import DEMO_PASSWORD, load_demo_data

from .case_helpers import import_case_catalog, submit

# One account per role (the demo's), and no account at all.
ROLES = (
    "citizen",
    "company",
    "clerk",
    "approver-yy-fuyou",
    "supervisor",
    "hotline",
    "catalog",
    "sysadmin",
)
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
MAX_EXAMPLES = 4

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """The real WSGI handler closes the database connection when a request ends, which would
    end the test's transaction; Django's test client disconnects the same receivers."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture(scope="module")
def tokens(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    """The demo world with a small catalog and one application, and a token per role; built
    once, rolled back at the end of the module."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            load_demo_data()
            workcalendar.invalidate_calendar_cache()
            import_case_catalog("chain-test", "TINSTANT01")
            clear_spec_cache()
            from tongban.core.models import User

            submit(User.objects.get(username="citizen"), item="TINSTANT01")
            client = Client()
            issued = {}
            for username in ROLES:
                response = client.post(
                    "/api/v1/auth/token",
                    data=json.dumps({"username": username, "password": DEMO_PASSWORD}),
                    content_type="application/json",
                )
                assert response.status_code == 200, response.content
                issued[username] = response.json()["token"]
            yield issued
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            workcalendar.invalidate_calendar_cache()


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_fuzz(case: Any, tokens: dict[str, str]) -> None:
    anonymous: dict[str, str] = {}
    for headers in [anonymous] + [{"Authorization": f"Bearer {t}"} for t in tokens.values()]:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
