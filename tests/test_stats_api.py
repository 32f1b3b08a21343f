"""The statistics API: totals equal a direct count over the cases, warnings are live, bad
filters are 400s, and each role sees only its scope."""

from __future__ import annotations

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps as django_apps

from tongban.cases.enums import OPEN_STATES, CaseState
from tongban.cases.models import Case
from tongban.core.models import Department
from tongban.stats.fold import fold_pending, rebuild_rollups

from .case_helpers import shanghai

PERIOD = {"from": "2026-05-01", "to": "2026-06-30"}


def _get(client, token: str, path: str, **params: str):
    return client.get(path, params, headers={"Authorization": f"Bearer {token}"})


def _direct() -> dict[str, int]:
    cases = Case.objects.all()
    decided = cases.filter(decided_at__isnull=False, accepted_on__isnull=False)
    return {
        "received": cases.count(),
        "accepted": cases.filter(accepted_on__isnull=False).count(),
        "completed": decided.count(),
        "denied": cases.filter(state=CaseState.DENIED).count(),
        "refused": cases.filter(state=CaseState.REFUSED).count(),
        "withdrawn": cases.filter(state=CaseState.WITHDRAWN).count(),
        "backlog": cases.filter(state__in=OPEN_STATES).count(),
    }


def test_overview_totals_equal_a_direct_count_after_folds_and_after_a_rebuild(
    two_days, client, api_token
) -> None:
    token = api_token("supervisor")
    fold_pending()
    with time_machine.travel(shanghai(2026, 6, 5), tick=True):
        incremental = _get(client, token, "/api/v1/stats/overview", **PERIOD)
        assert incremental.status_code == 200, incremental.content
        rebuild_rollups()
        rebuilt = _get(client, token, "/api/v1/stats/overview", **PERIOD).json()
    body = incremental.json()
    direct = _direct()
    for key, value in direct.items():
        assert body["totals"][key] == value, key
        assert rebuilt["totals"][key] == value, key
    assert body["totals"]["completion_rate"] == rebuilt["totals"]["completion_rate"]
    # The daily series adds up to the same totals and has a point for every day.
    series = {p["date"]: p for p in body["series"]}
    assert len(series) == 61
    assert sum(p["received"] for p in body["series"]) == direct["received"]
    assert (
        series["2026-06-01"]["completed"]
        == Case.objects.filter(
            decided_at__date=datetime.date(2026, 6, 1), accepted_on__isnull=False
        ).count()
    )
    channels = {c["channel"]: c["received"] for c in body["channels"]}
    assert channels == {
        "web": Case.objects.filter(application__channel="web").count(),
        "mobile": Case.objects.filter(application__channel="mobile").count(),
    }
    assert body["definitions"]["completion_rate"]["formula"]


def test_a_long_period_reads_months_and_still_adds_up(two_days, client, api_token) -> None:
    token = api_token("supervisor")
    fold_pending()
    body = _get(
        client, token, "/api/v1/stats/overview", **{"from": "2025-12-15", "to": "2026-07-10"}
    ).json()
    assert body["granularity"] == "month"
    assert [p["date"] for p in body["series"]][:2] == ["2025-12", "2026-01"]
    assert body["totals"]["received"] == Case.objects.count()
    june = next(p for p in body["series"] if p["date"] == "2026-06")
    assert june["received"] == Case.objects.count()


def test_warnings_list_the_late_case_first(two_days, client, api_token) -> None:
    token = api_token("supervisor")
    reviewing = Case.objects.filter(state=CaseState.IN_REVIEW).order_by("pk").first()
    assert reviewing is not None
    Case.objects.filter(pk=reviewing.pk).update(promised_due=datetime.date(2026, 6, 2))
    with time_machine.travel(shanghai(2026, 6, 8), tick=True):
        response = _get(client, token, "/api/v1/stats/warnings", level="red")
    assert response.status_code == 200
    body = response.json()
    assert body["results"][0]["case_no"] == reviewing.case_no
    assert body["results"][0]["level"] == "red"
    assert body["results"][0]["overdue_working_days"] == 4  # Wed 3 … Mon 8 June
    assert body["counts"]["red"] == len(body["results"])


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2026-13-01"}, "bad_date"),
        ({"from": "2026-06-10", "to": "2026-06-01"}, "bad_period"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "period_too_long"),
        ({"region": "999999"}, "unknown_region"),
        ({"department": "abc"}, "unknown_department"),
        ({"bundle": "no-such-bundle"}, "unknown_bundle"),
    ],
)
def test_bad_filters_are_400_with_a_chinese_message(params, code, demo, client, api_token) -> None:
    response = _get(client, api_token("supervisor"), "/api/v1/stats/overview", **params)
    assert response.status_code == 400
    assert response.json()["error"] == code


def test_scope_citizen_refused_approver_sees_only_own_department(
    two_days, client, api_token
) -> None:
    fold_pending()
    assert _get(client, api_token("citizen"), "/api/v1/stats/overview").status_code == 403
    shichang = Department.objects.get(code="yy-shichang")
    token = api_token("approver-yy-shichang")
    own = _get(client, token, "/api/v1/stats/overview", **PERIOD)
    assert own.status_code == 200
    assert own.json()["totals"]["received"] == Case.objects.filter(department=shichang).count()
    other = Department.objects.get(code="yy-minzheng")
    refused = _get(client, token, "/api/v1/stats/overview", department=str(other.pk))
    assert refused.status_code == 403


def test_a_bundle_overview_adds_up_for_the_city_and_for_one_county(
    two_days, client, api_token
) -> None:
    """The city reads the bundle grain (by prefecture), a county the region grain."""
    token = api_token("supervisor")
    bundle_cases = Case.objects.filter(bundle_code="chain-test")
    # One of the bundle's departments moves to a county (岳阳楼区); the rebuild reads it there.
    moved = bundle_cases.order_by("pk").values_list("department_id", flat=True)[0]
    Department.objects.filter(pk=moved).update(region_id="430602")
    rebuild_rollups()
    in_county = bundle_cases.filter(department_id=moved)
    assert 0 < in_county.count() < bundle_cases.count()
    decided = bundle_cases.filter(decided_at__isnull=False, accepted_on__isnull=False)
    with time_machine.travel(shanghai(2026, 6, 5), tick=True):
        city = _get(client, token, "/api/v1/stats/overview", bundle="chain-test", **PERIOD)
        county = _get(
            client, token, "/api/v1/stats/overview", bundle="chain-test", region="430602", **PERIOD
        )
    assert city.status_code == county.status_code == 200, (city.content, county.content)
    assert city.json()["totals"]["received"] == bundle_cases.count()
    assert county.json()["totals"]["received"] == in_county.count()
    assert city.json()["totals"]["completed"] == decided.count()
    assert city.json()["totals"]["backlog"] == bundle_cases.filter(state__in=OPEN_STATES).count()


def test_bundle_warnings_count_only_the_bundles_cases(two_days, client, api_token) -> None:
    token = api_token("supervisor")
    bundle_cases = Case.objects.filter(application__plan_code="chain-test")
    assert set(bundle_cases.values_list("bundle_code", flat=True)) == {"chain-test"}
    assert set(Case.objects.exclude(pk__in=bundle_cases).values_list("bundle_code", flat=True)) == {
        ""
    }
    # One bundle case is put under review and every case under review is made late; only
    # the bundle's count under the filter.
    first = bundle_cases.order_by("pk").first()
    assert first is not None
    Case.objects.filter(pk=first.pk).update(state=CaseState.IN_REVIEW)
    Case.objects.filter(state=CaseState.IN_REVIEW).update(promised_due=datetime.date(2026, 6, 2))
    late_in_bundle = bundle_cases.filter(state=CaseState.IN_REVIEW).count()
    late_in_all = Case.objects.filter(state=CaseState.IN_REVIEW).count()
    assert 0 < late_in_bundle < late_in_all
    with time_machine.travel(shanghai(2026, 6, 8), tick=True):
        scoped = _get(client, token, "/api/v1/stats/warnings", bundle="chain-test").json()
        whole = _get(client, token, "/api/v1/stats/warnings").json()
    assert scoped["counts"]["red"] == len(scoped["results"]) == late_in_bundle
    assert {r["case_no"] for r in scoped["results"]} == set(
        bundle_cases.filter(state=CaseState.IN_REVIEW).values_list("case_no", flat=True)
    )
    assert whole["counts"]["red"] == late_in_all


def test_the_migration_copies_bundle_codes_onto_earlier_cases(two_days, monkeypatch) -> None:
    migration = importlib.import_module("tongban.cases.migrations.0005_case_bundle_code")
    monkeypatch.setattr(migration, "BATCH", 3)  # several batches, as on a big table
    assert Case.objects.count() > 3 * 2
    Case.objects.update(bundle_code="")
    migration.copy_bundle_codes(django_apps, None)
    codes = dict(Case.objects.values_list("case_no", "bundle_code"))
    for case in Case.objects.select_related("application"):
        expected = case.application.plan_code if case.application.is_bundle else ""
        assert codes[case.case_no] == expected
    assert "chain-test" in codes.values()


def test_bundle_endpoint_counts_only_the_bundle(two_days, client, api_token) -> None:
    fold_pending()
    body = _get(client, api_token("supervisor"), "/api/v1/stats/bundles/chain-test", **PERIOD)
    assert body.status_code == 200
    bundle_cases = Case.objects.filter(application__plan_code="chain-test")
    assert body.json()["totals"]["received"] == bundle_cases.count() == 4
    assert {i["item_code"] for i in body.json()["items"]} == set(
        bundle_cases.values_list("item_code", flat=True)
    )
    missing = _get(client, api_token("supervisor"), "/api/v1/stats/bundles/nope")
    assert missing.status_code == 404


def test_the_api_is_a_bounded_number_of_queries(
    two_days, client, api_token, django_assert_max_num_queries
) -> None:
    token = api_token("supervisor")
    fold_pending()
    # Auth, scope and filter checks, the flow rows (days; months plus edge days for a long
    # period), durations (the same split), backlog (+ names), warnings, cursor, ratings,
    # tickets.
    with django_assert_max_num_queries(15):
        assert _get(client, token, "/api/v1/stats/overview", **PERIOD).status_code == 200
    with django_assert_max_num_queries(17):
        long = {"from": "2025-12-15", "to": "2026-07-10"}
        assert _get(client, token, "/api/v1/stats/overview", **long).status_code == 200
    with django_assert_max_num_queries(6):
        assert _get(client, token, "/api/v1/stats/warnings").status_code == 200


def test_the_commands_fold_and_rebuild_to_the_same_totals(two_days) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("stats_fold", stdout=out)
    assert "条事件" in out.getvalue()
    folded = _direct_rollup_totals()
    call_command("stats_rebuild", "--chunk", "3", stdout=out)
    assert "已重建" in out.getvalue()
    assert _direct_rollup_totals() == folded
    assert folded["receive"] == Case.objects.count()


def _direct_rollup_totals() -> dict[str, int]:
    from django.db.models import Sum

    from tongban.stats.models import FlowItemDay

    return dict(FlowItemDay.objects.values("flow").annotate(t=Sum("n")).values_list("flow", "t"))


def test_items_flag_a_guide_as_unclear_from_twenty_percent(two_days, client, api_token) -> None:
    body = _get(client, api_token("supervisor"), "/api/v1/stats/items", **PERIOD).json()
    rows = {r["item_code"]: r for r in body["results"]}
    review = rows["TREVIEW01"]
    # Six TREVIEW01 receipts, two of them sent back for 补正: 33.33 %.
    assert review["received"] == Case.objects.filter(item_code="TREVIEW01").count() == 6
    assert review["supplement_rate"] == "33.33"
    assert review["unclear_guide"] is True
    assert rows["TINSTANT01"]["unclear_guide"] is False
