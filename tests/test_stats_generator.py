"""The statistics load generator (issue 7): its rows must be what a real run would write.

3,000 cases over the second half of 2026 are generated once for the module (inside an outer
transaction rolled back at the end), then checked against the rules the statistics fold
relies on: every case's events replay through the transition table to its stored state,
every submission lists its cases, decision measures recompute with the real work calendar,
the chain is gap-free and in time order, and the outcome mix is the one asked for.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from tongban.cases.enums import OPEN_STATES, CaseState
from tongban.cases.models import Application, Case, SpecialProcedure
from tongban.cases.transitions import TRANSITIONS
from tongban.catalog.enums import CaseKind, LimitUnit
from tongban.catalog.models import ItemVersion, ServiceItem
from tongban.core import workcalendar
from tongban.core.models import AuditChainHead, AuditEvent, Department
from tongban.stats.generator import Options, Summary, generate
from tongban.stats.generator.bulkload import LOADED, bulk_load, check_foreign_keys
from tongban.stats.generator.world import COUNTIES

N = 3000
START = datetime.date(2026, 6, 1)
END = datetime.date(2026, 11, 20)
DECISIONS = {"case.approve", "case.approve_deficient", "case.deny"}


@pytest.fixture(scope="module")
def generated(django_db_setup: None, django_db_blocker: Any) -> Iterator[Summary]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            workcalendar.invalidate_calendar_cache()
            yield generate(
                Options(cases=N, seed=7, start=START, end=END, batch=1000, pool=50),
                say=lambda _: None,
            )
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            workcalendar.invalidate_calendar_cache()


@pytest.fixture(scope="module")
def events(generated: Summary) -> dict[str, list[AuditEvent]]:
    """The generated events of each object (case_no or application number), in seq order."""
    by_object: dict[str, list[AuditEvent]] = defaultdict(list)
    for event in AuditEvent.objects.filter(seq__gte=generated.first_seq).order_by("seq"):
        by_object[event.object_id].append(event)
    return by_object


pytestmark = pytest.mark.django_db


def after(event: AuditEvent) -> dict[str, Any]:
    assert isinstance(event.after, dict), event
    return event.after


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def test_counts_and_chain(generated: Summary) -> None:
    assert Case.objects.count() == generated.cases == N
    assert Application.objects.count() == generated.applications
    seqs = list(
        AuditEvent.objects.filter(chain="main").order_by("seq").values_list("seq", "occurred_at")
    )
    numbers = [s for s, _ in seqs]
    assert numbers == list(range(1, len(numbers) + 1)), "seq is not gap-free"
    head = AuditChainHead.objects.get(chain="main")
    assert head.last_seq == numbers[-1] == generated.last_seq
    generated_times = [t for s, t in seqs if s >= generated.first_seq]
    assert generated_times == sorted(generated_times), "seq does not follow time"
    assert len(generated_times) == generated.events
    assert all(t.date() <= END + datetime.timedelta(days=1) for t in generated_times)


def test_every_case_replays_to_its_state(
    generated: Summary, events: dict[str, list[AuditEvent]]
) -> None:
    for case in Case.objects.all():
        state = CaseState.RECEIVED.value
        for event in events.get(case.case_no, []):
            action = event.action.removeprefix("case.")
            transition = TRANSITIONS[action]
            assert event.before == {"state": state, "step": 0}, (case.case_no, event.action)
            assert state in transition.sources
            assert after(event)["state"] == transition.target
            assert after(event)["label"] == transition.label
            assert (event.chain, event.role, event.actor_id, event.actor_name) == (
                "main",
                "system",
                None,
                "",
            )
            assert event.channel == case.application.channel
            state = transition.target
        assert state == case.state, case.case_no


def test_case_fields_agree_with_events(
    generated: Summary, events: dict[str, list[AuditEvent]]
) -> None:
    for case in Case.objects.all():
        by_action = {e.action: e for e in events.get(case.case_no, [])}
        accept = by_action.get("case.accept")
        assert (accept is not None) == (case.accepted_on is not None)
        if accept is not None:
            assert local_day(accept.occurred_at) == case.accepted_on
        decision = next((by_action[a] for a in DECISIONS | {"case.refuse"} if a in by_action), None)
        assert (decision is not None) == (case.decided_at is not None), case.case_no
        if decision is not None:
            assert decision.occurred_at == case.decided_at
        deliver = by_action.get("case.deliver")
        assert (deliver is not None) == (case.delivered_at is not None)
        assert (deliver is not None) == bool(case.delivery_method)
        if deliver is not None:
            assert after(deliver)["method"] == case.delivery_method
        special = SpecialProcedure.objects.filter(case=case).first()
        assert (special is not None) == ("case.start_special" in by_action)
        if "case.end_special" in by_action:
            assert special is not None
            assert special.ended_on is not None
            assert special.paused_working_days == case.paused_working_days > 0
        else:
            assert case.paused_working_days == 0


def test_decision_measures_recompute_with_the_calendar(
    generated: Summary, events: dict[str, list[AuditEvent]]
) -> None:
    cal = workcalendar.current_calendar()
    versions = ItemVersion.objects.in_bulk()
    decided = 0
    for case in Case.objects.filter(accepted_on__isnull=False):
        assert case.accepted_on is not None
        assert case.promised_due is not None
        assert case.statutory_due is not None
        version = versions[case.item_version_id]
        unit = "natural" if version.statutory_unit == LimitUnit.NATURAL else "workday"
        pause = case.paused_natural_days if unit == "natural" else case.paused_working_days
        statutory = cal.due_date(case.accepted_on, version.statutory_limit + pause, unit).due
        assert case.statutory_due == statutory, case.case_no
        if version.case_kind == CaseKind.PROMISED:
            unit = "natural" if version.promised_unit == LimitUnit.NATURAL else "workday"
            pause = case.paused_natural_days if unit == "natural" else case.paused_working_days
            promised = cal.due_date(case.accepted_on, version.promised_limit + pause, unit).due
            assert case.promised_due == promised, case.case_no
        else:
            assert case.promised_due == case.accepted_on
        for event in events[case.case_no]:
            if event.action not in DECISIONS:
                continue
            decided += 1
            day = local_day(event.occurred_at)
            elapsed = cal.count_working_days(case.accepted_on, day).workdays
            assert after(event)["working_days"] == elapsed - case.paused_working_days
            assert after(event)["on_time_promised"] == (day <= case.promised_due)
            assert after(event)["on_time_statutory"] == (day <= case.statutory_due)
    assert decided > 0.8 * N


def test_submissions_list_their_cases(
    generated: Summary, events: dict[str, list[AuditEvent]]
) -> None:
    cases: dict[int, set[str]] = defaultdict(set)
    bundle_codes: dict[int, set[str]] = defaultdict(set)
    for application_id, case_no, bundle_code in Case.objects.values_list(
        "application_id", "case_no", "bundle_code"
    ):
        cases[application_id].add(case_no)
        bundle_codes[application_id].add(bundle_code)
    bundles = 0
    for application in Application.objects.all():
        expected_bundle = application.plan_code if application.is_bundle else ""
        assert bundle_codes[application.pk] == {expected_bundle}
        assert application.number is not None
        (submit,) = events[application.number]
        assert submit.action == "application.submit"
        assert submit.before is None
        assert after(submit)["plan"] == application.plan_code
        assert after(submit)["channel"] == application.channel
        assert set(after(submit)["cases"]) == cases[application.pk]
        assert set(after(submit)["cases"].values()) == {"received"}
        materials = sum(after(submit)["provisions"].values())
        if application.bundle_version_id is not None:
            bundles += 1
            assert application.item_id is None
            assert 8 <= materials <= 12
        else:
            assert application.item_id is not None
            assert len(cases[application.pk]) == 1
            assert 2 <= materials <= 5
        assert submit.occurred_at == application.submitted_at
        assert application.applicant_id_masked.count("*") >= 8
    assert 0.30 < bundles / generated.applications < 0.50


def test_outcome_mix(generated: Summary, events: dict[str, list[AuditEvent]]) -> None:
    states = Counter(Case.objects.values_list("state", flat=True))
    share = {state: n / N for state, n in states.items()}
    assert share[CaseState.DELIVERED] + share[CaseState.APPROVED] > 0.85
    assert 0.015 < share[CaseState.DENIED] < 0.05
    assert 0.01 < share[CaseState.REFUSED] < 0.035
    assert 0.002 < share[CaseState.WITHDRAWN] < 0.025
    assert 0 < sum(n for s, n in states.items() if s in OPEN_STATES) < 0.1 * N
    actions = Counter(e.action for evs in events.values() for e in evs)
    assert 0.08 < actions["case.request_supplement"] / N < 0.17
    decisions = [e for evs in events.values() for e in evs if e.action in DECISIONS]
    late = sum(not after(e)["on_time_promised"] for e in decisions) / len(decisions)
    assert 0.01 < late < 0.10
    channels = Counter(Application.objects.values_list("channel", flat=True))
    assert 0.35 < channels["window"] / generated.applications < 0.55


def test_counties_have_cloned_departments_and_items(generated: Summary) -> None:
    clone = Department.objects.get(code="430621-gongan")
    assert clone.name == "岳阳县公安局"
    assert clone.region_id == "430621"
    items = ServiceItem.objects.filter(department=clone)
    assert items.exists()
    assert all(i.published_id is not None for i in items)
    assert all(i.code.startswith(clone.uscc) for i in items)
    regions = set(Case.objects.values_list("department__region_id", flat=True))
    assert set(COUNTIES) <= regions


def test_refuses_a_database_with_cases_unless_appending(generated: Summary) -> None:
    with pytest.raises(CommandError):
        call_command("stats_generate", "--cases", "10", stdout=open("/dev/null", "w"))  # noqa: SIM115
    numbers = set(Case.objects.values_list("case_no", flat=True))
    with transaction.atomic():
        call_command(
            "stats_generate",
            "--cases",
            "200",
            "--append",
            "--start",
            "2026-11-01",
            "--end",
            "2026-11-20",
            "--pool",
            "20",
            stdout=open("/dev/null", "w"),  # noqa: SIM115
        )
        assert Case.objects.count() == N + 200
        assert numbers < set(Case.objects.values_list("case_no", flat=True))
        head = AuditChainHead.objects.get(chain="main")
        assert head.last_seq == AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0]
        transaction.set_rollback(True)
    assert json.loads(json.dumps(generated.states))  # summary stays serialisable


def test_bulk_load_restores_every_index_and_checks_foreign_keys(generated: Summary) -> None:
    tables = [m._meta.db_table for m in LOADED]
    if connection.vendor != "postgresql":
        # SQLite loads small sets with every index in place: bulk_load must change nothing.
        def sqlite_indexes() -> set[tuple[str, str]]:
            marks = ",".join("?" * len(tables))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    f"AND tbl_name IN ({marks})",
                    tables,
                )
                return set(cursor.fetchall())

        before = sqlite_indexes()
        with bulk_load(lambda _: None):
            assert sqlite_indexes() == before
        assert check_foreign_keys(LOADED) == 0
        return

    def indexes() -> set[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [tables]
            )
            return set(cursor.fetchall())

    before = indexes()
    with transaction.atomic():
        with bulk_load(lambda _: None):
            during = indexes()
            assert {name for name, _ in during} < {name for name, _ in before}
            assert any("UNIQUE" in d for _, d in during)  # unique constraints stay
        assert indexes() == before
        assert check_foreign_keys(LOADED) == 0
        # A dangling key is found (the trigger would have refused it outside replica mode).
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(
                "UPDATE cases_case SET item_id = -1 WHERE id = (SELECT MIN(id) FROM cases_case)"
            )
            cursor.execute("SET session_replication_role = DEFAULT")
        assert check_foreign_keys(LOADED) == 1
        transaction.set_rollback(True)
