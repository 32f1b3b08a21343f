"""Concurrency: many people (or retries) acting at once, each thread on its own database
connection, started together by a barrier.

- 20 simultaneous acceptances of one case: exactly one wins, the other 19 get the 409 of
  the transition table (the row lock makes them wait, then they see the new state);
- 10 simultaneous submissions for one item: 10 distinct, consecutive case numbers (the
  daily sequence is one upsert whose row lock lasts to the end of the transaction);
- simultaneous retries with one Idempotency-Key: exactly one application.

The run that counts is PostgreSQL's (CI runs the suite on both databases).
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
import time_machine
from django.db import connection, connections

from tongban.cases.actions.dispatch import perform_action
from tongban.cases.actions.submit import application_submit
from tongban.cases.enums import CaseState
from tongban.cases.models import Application, Case, Notice
from tongban.cases.transitions import IllegalTransition
from tongban.core.audit import verify_audit_chain
from tongban.core.models import AuditEvent, User

from .case_helpers import application_input, import_case_catalog, shanghai, submit

pytestmark = pytest.mark.django_db(transaction=True)

Outcome = tuple[str, Any]


def run_together(count: int, work: Callable[[int], Any]) -> list[Outcome]:
    """Run `work(i)` in `count` threads released at the same moment; ("ok", result) or
    ("error", exception) per thread, in thread order."""
    barrier = threading.Barrier(count, timeout=30)
    outcomes: list[Outcome] = [("missing", None)] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = ("ok", work(index))
        except Exception as exc:
            outcomes[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return outcomes


@pytest.fixture
def world(demo: None) -> Iterator[None]:
    # SQLite's default test database lives in memory with a shared cache, where a second
    # writer gets SQLITE_LOCKED at once instead of waiting on busy_timeout. A file database
    # (as in production: WAL, BEGIN IMMEDIATE) queues writers and passes these tests; so
    # does PostgreSQL, which CI runs them on.
    if connection.vendor == "sqlite" and cast(Any, connection).is_in_memory_db():
        pytest.fail("in-memory SQLite test database: concurrent writers cannot wait there")
    import_case_catalog("TREVIEW01")
    with time_machine.travel(shanghai(2026, 6, 1), tick=True):
        yield


def test_twenty_simultaneous_acceptances_one_wins_nineteen_get_409(world, persona) -> None:
    case = submit(persona("citizen"), item="TREVIEW01").cases.get()
    clerks = [User.objects.get(username="clerk") for _ in range(20)]

    outcomes = run_together(20, lambda i: perform_action(clerks[i], case.case_no, "accept", {}))

    wins = [value for kind, value in outcomes if kind == "ok"]
    losses = [value for kind, value in outcomes if kind == "error"]
    assert len(wins) == 1, outcomes
    assert len(losses) == 19
    for error in losses:
        assert isinstance(error, IllegalTransition), repr(error)
        assert error.status == 409
        assert error.detail["state"] == CaseState.IN_REVIEW
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    assert case.accepted_on == datetime.date(2026, 6, 1)
    assert AuditEvent.objects.filter(object_id=case.case_no, action="case.accept").count() == 1
    assert Notice.objects.filter(case=case).count() == 1
    assert verify_audit_chain().ok


def test_simultaneous_submissions_get_distinct_consecutive_case_numbers(world, persona) -> None:
    citizen = persona("citizen")
    inputs = [application_input(citizen, {}, item="TREVIEW01") for _ in range(10)]

    outcomes = run_together(
        10, lambda i: application_submit(User.objects.get(pk=citizen.pk), "citizen", inputs[i])
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    numbers = sorted(Case.objects.filter(item_code="TREVIEW01").values_list("case_no", flat=True))
    assert numbers == [f"TREVIEW0120260601{n:04d}" for n in range(1, 11)]
    applications = sorted(value.number for _, value in outcomes)
    assert applications == [f"SQ20260601{n:06d}" for n in range(1, 11)]
    assert verify_audit_chain().ok


def test_simultaneous_retries_with_one_idempotency_key_make_one_application(world, persona) -> None:
    citizen = persona("citizen")
    data = application_input(citizen, {}, item="TREVIEW01")

    outcomes = run_together(
        8,
        lambda i: application_submit(
            User.objects.get(pk=citizen.pk), "citizen", data, idempotency_key="double-click"
        ),
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    # Every retry is answered with the one application. Which number it has depends on
    # which attempt won: each took numbers before its transaction, and the losers' numbers
    # are gaps (cases/numbering.py).
    answered = {value.number for _, value in outcomes}
    assert answered == set(Application.objects.values_list("number", flat=True))
    assert len(answered) == 1
    assert answered <= {f"SQ20260601{n:06d}" for n in range(1, 9)}
    assert Application.objects.filter(idempotency_key="double-click").count() == 1
    assert Application.objects.count() == 1
    assert Case.objects.count() == 1
    assert verify_audit_chain().ok
