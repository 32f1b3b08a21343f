"""Rollups folded from the audit chain: incremental folds and a rebuild give the totals a direct
count over the cases gives, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum

from tongban.cases.enums import OPEN_STATES
from tongban.cases.models import Case
from tongban.stats.fold import ROLLUPS, fold_pending, pending_events, rebuild_rollups
from tongban.stats.models import (
    ApplicationDay,
    Backlog,
    DurationBundleDay,
    DurationBundleMonth,
    DurationDay,
    DurationSummaryDay,
    DurationSummaryMonth,
    FlowBundleDay,
    FlowBundleMonth,
    FlowDepartmentMonth,
    FlowItemDay,
    FlowRegionDay,
    FlowRegionMonth,
    FlowSummaryDay,
    FlowSummaryMonth,
)

from .stats_helpers import Scenario, import_stats_catalog, run_day_one, run_day_two

DECISIONS = ("approve", "approve_deficient", "deny")


def _flows(model: type) -> Counter[str]:
    rows = model.objects.values("flow").annotate(total=Sum("n"))  # type: ignore[attr-defined]
    return Counter({r["flow"]: r["total"] for r in rows})


def _all_rows() -> dict[str, list[tuple]]:
    """Every rollup row (without ids), to compare an incremental fold with a rebuild."""
    tables = ROLLUPS
    result = {}
    for model in tables:
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        result[model.__name__] = sorted(model._default_manager.values_list(*fields))
    return result


@pytest.fixture
def scenario(calendar, demo, persona) -> Scenario:
    import_stats_catalog()
    scenario = Scenario()
    run_day_one(persona, scenario)
    return scenario


def _assert_totals_match_cases() -> None:
    cases = Case.objects.all()
    for model in (
        FlowRegionDay,
        FlowRegionMonth,
        FlowDepartmentMonth,
        FlowItemDay,
        FlowSummaryDay,
        FlowSummaryMonth,
        FlowBundleDay,
        FlowBundleMonth,
    ):
        flows = _flows(model)
        assert flows["receive"] == cases.count()
        assert flows["accept"] == cases.filter(accepted_on__isnull=False).count()
        decided = cases.filter(decided_at__isnull=False, accepted_on__isnull=False)
        assert sum(flows[f] for f in DECISIONS) == decided.count()
        assert flows["deny"] == cases.filter(state="denied").count()
        assert flows["refuse"] == cases.filter(state="refused").count()
        assert flows["withdraw"] == cases.filter(state="withdrawn").count()
    open_by_department = Counter(
        dict(
            Backlog.objects.values_list("department_id")
            .annotate(total=Sum("n"))
            .values_list("department_id", "total")
        )
    )
    expected = Counter(cases.filter(state__in=OPEN_STATES).values_list("department_id", flat=True))
    assert +open_by_department == expected
    by_state = Counter(
        dict(Backlog.objects.values("state").annotate(t=Sum("n")).values_list("state", "t"))
    )
    assert +by_state == Counter(cases.filter(state__in=OPEN_STATES).values_list("state", flat=True))
    timed = cases.filter(decided_at__isnull=False, accepted_on__isnull=False).count()
    for histogram in (
        DurationDay,
        DurationSummaryDay,
        DurationSummaryMonth,
        DurationBundleDay,
        DurationBundleMonth,
    ):
        assert histogram.objects.aggregate(t=Sum("n"))["t"] == timed
    # The bundle grains split by bundle as the cases do.
    received_by_bundle = Counter(cases.values_list("bundle_code", flat=True))
    assert "chain-test" in received_by_bundle
    decided_by_bundle = Counter(
        cases.filter(decided_at__isnull=False, accepted_on__isnull=False).values_list(
            "bundle_code", flat=True
        )
    )
    for model in (FlowBundleDay, FlowBundleMonth, FlowRegionDay):
        received = model.objects.filter(flow="receive").values("bundle_code").annotate(t=Sum("n"))
        assert +Counter({r["bundle_code"]: r["t"] for r in received}) == received_by_bundle
    prefectures = {
        code[:4] + "00" for code in FlowRegionDay.objects.values_list("region_id", flat=True)
    }
    for grain in (FlowBundleDay, FlowBundleMonth, DurationBundleDay, DurationBundleMonth):
        assert set(grain.objects.values_list("region_id", flat=True)) == prefectures
    for histogram in (DurationBundleDay, DurationBundleMonth):
        measured = histogram.objects.values("bundle_code").annotate(t=Sum("n"))
        assert +Counter({r["bundle_code"]: r["t"] for r in measured}) == +decided_by_bundle
    assert ApplicationDay.objects.aggregate(t=Sum("cases"))["t"] == cases.count()
    assert (
        ApplicationDay.objects.aggregate(t=Sum("applications"))["t"]
        == cases.values("application").distinct().count()
    )


def test_incremental_folds_and_a_rebuild_equal_direct_counts(scenario, persona) -> None:
    assert pending_events() > 0
    first = fold_pending()
    assert first.events > 0
    assert pending_events() == 0
    _assert_totals_match_cases()
    assert fold_pending().events == 0  # nothing new: folding again changes nothing
    _assert_totals_match_cases()

    run_day_two(persona, scenario)
    fold_pending(limit=7)  # a partial fold leaves the rest pending, in order
    assert pending_events() > 0
    fold_pending()
    _assert_totals_match_cases()
    incremental = _all_rows()

    rebuilt = rebuild_rollups(chunk=5)  # tiny chunks: every chunk boundary is exercised
    assert rebuilt.to_seq == first.to_seq + (rebuilt.to_seq - first.to_seq)
    _assert_totals_match_cases()
    assert _all_rows() == incremental


def test_decision_events_carry_the_measures_the_rollups_add_up(scenario, persona) -> None:
    run_day_two(persona, scenario)
    fold_pending()
    approved = Case.objects.get(case_no=scenario.cases["approved"][0])
    # Accepted Mon 1 Jun, approved Wed 3 Jun: two working days, well inside 10 days.
    row = FlowItemDay.objects.get(
        item_code=approved.item_code,
        flow="approve",
        day=datetime.date(2026, 6, 3),
    )
    assert row.timed == 1
    assert row.working_days == 2
    assert row.on_time_promised == 1
    assert row.on_time_statutory == 1
    pickup = _flows(FlowRegionDay)["deliver_pickup"]
    assert pickup == Case.objects.filter(delivery_method="pickup").count() == 1
    channels = Counter(
        dict(
            FlowRegionDay.objects.filter(flow="receive")
            .values("channel")
            .annotate(t=Sum("n"))
            .values_list("channel", "t")
        )
    )
    assert channels == Counter(Case.objects.values_list("application__channel", flat=True))


@pytest.mark.django_db
def test_rollup_code_columns_compare_bytes_on_postgresql() -> None:
    """Migrations 0006 and 0007: every rollup's text key is collated "C" on PostgreSQL (SQLite
    compares bytes already), so a rebuild's sorts and index builds stay fast."""
    if connection.vendor != "postgresql":
        assert connection.vendor == "sqlite"
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT table_name, column_name, collation_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name LIKE 'stats\\_%%'
              AND column_name IN ('region_id', 'item_code', 'bundle_code', 'channel', 'flow',
                                  'state', 'plan_code')
              AND data_type = 'character varying'
            """
        )
        columns = cursor.fetchall()
    assert {"stats_flowbundleday", "stats_durationbundlemonth"} <= {t for t, _, _ in columns}
    assert [c for c in columns if c[2] != "C"] == []
