"""Reform results (改革成效): planned figures from the catalog beside measured ones that equal
direct counts over the applications, materials, cases and audit events."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.urls import reverse

from tongban.cases.enums import ApplicationStatus
from tongban.cases.models import Application, ApplicationMaterial, Case
from tongban.catalog.metrics import plan_metrics
from tongban.catalog.queries import published_bundle
from tongban.core.models import AuditEvent, Department
from tongban.stats.filters import StatsFilter
from tongban.stats.reform import REFORM_DEFINITIONS, bundle_reform, reform_report

from .case_helpers import shanghai

PERIOD = {"from": "2026-05-01", "to": "2026-06-30"}
STATS = StatsFilter(datetime.date(2026, 5, 1), datetime.date(2026, 6, 30))
WAIVED = {"licence", "data_check", "commitment", "produced"}


def _submitted(plan_code: str) -> list[Application]:
    return list(
        Application.objects.exclude(status=ApplicationStatus.DRAFT).filter(plan_code=plan_code)
    )


def _provisions_at_submission(plan_code: str) -> Counter[str]:
    """Material provisions as submitted: the first row of each (application, key) — a later
    row with the same key was handed in for a supplement."""
    seen: set[tuple[int, str]] = set()
    counts: Counter[str] = Counter()
    rows = ApplicationMaterial.objects.filter(application__in=_submitted(plan_code)).order_by("pk")
    for application_id, key, provision in rows.values_list("application_id", "key", "provision"):
        if (application_id, key) not in seen:
            seen.add((application_id, key))
            counts[provision] += 1
    return counts


def _decision_days(item_code: str, bundled: bool) -> list[int]:
    """Working days of each decision, straight from the audit events."""
    cases = Case.objects.filter(
        item_code=item_code, application__bundle_version__isnull=not bundled
    )
    numbers = set(cases.values_list("case_no", flat=True))
    events = AuditEvent.objects.filter(
        object_type="case",
        action__in=["case.approve", "case.approve_deficient", "case.deny"],
        object_id__in=numbers,
    )
    afters = [e.after or {} for e in events]
    return [a["working_days"] for a in afters if a.get("working_days") is not None]


def _single(report: dict, code: str) -> dict:
    return next(row for row in report["items"] if row["code"] == code)


def test_single_item_measured_figures_equal_direct_counts(two_days) -> None:
    report = reform_report(STATS)
    row = _single(report, "TREVIEW01")
    applications = _submitted("TREVIEW01")
    measured = row["measured"]
    assert measured["applications"] == len(applications) == 6
    # Materials as submitted: uploaded/paper vs satisfied without submission.
    direct = _provisions_at_submission("TREVIEW01")
    assert measured["materials"]["upload"] == direct["upload"]
    assert measured["materials"]["paper"] == direct["paper"]
    assert measured["materials_submitted"] == direct["upload"] + direct["paper"]
    assert measured["materials_waived"] == sum(direct[p] for p in WAIVED)
    assert measured["materials_total"] == direct.total() > 0
    # Visits: nobody submitted at the window; one result was picked up there.
    window = sum(1 for a in applications if a.channel == "window")
    pickups = Case.objects.filter(
        item_code="TREVIEW01",
        application__bundle_version__isnull=True,
        delivery_method="pickup",
        delivered_at__isnull=False,
    ).count()
    assert (window, pickups) == (0, 1)
    assert measured["average_visits"] == (Decimal(window + pickups) / len(applications)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    online = sum(1 for a in applications if a.channel in ("web", "mobile"))
    rates = {r["key"]: r for r in row["rates"]}
    expected_fully_online = online - max(0, pickups - window)
    assert rates["fully_online_rate"]["measured"] == (
        Decimal(expected_fully_online * 100) / len(applications)
    ).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert rates["one_visit_rate"]["measured"] == Decimal("100.0")  # min(0 window, 1 pickup) = 0
    # Working days: the average of the decisions' own working days.
    days = _decision_days("TREVIEW01", bundled=False)
    assert days
    assert measured["completed"] == len(days)
    average = (Decimal(sum(days)) / len(days)).quantize(Decimal("0.1"))
    assert measured["average_working_days"] == average
    assert measured["measured_days"] == average
    statutory = row["planned"]["statutory_days"]
    assert statutory == 20
    assert row["planned"]["promised_days"] == 10
    assert rates["time_reduction"]["planned"] == Decimal("50.0")
    assert rates["time_reduction"]["measured"] == (
        (statutory - average) * 100 / Decimal(statutory)
    ).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    assert rates["step_compression"]["measured"] is None  # planned only
    assert rates["material_reduction"]["measured"] == measured["waiver_rate"]


def test_bundle_figures_equal_direct_counts_and_the_catalog_plan(two_days) -> None:
    row = bundle_reform("chain-test", STATS)
    assert row is not None
    view = published_bundle("chain-test")
    planned = plan_metrics(view.plan)
    assert row["planned"]["statutory_days"] == planned.days.before
    assert row["planned"]["promised_days"] == planned.days.after
    assert row["planned"]["materials_before"] == planned.materials.before
    assert row["planned"]["materials_after"] == planned.materials.after
    rates = {r["key"]: r for r in row["rates"]}
    assert rates["time_reduction"]["planned"] == planned.time_reduction
    assert rates["step_compression"]["planned"] == planned.step_compression
    assert rates["material_reduction"]["planned"] == planned.material_reduction
    measured = row["measured"]
    assert measured["applications"] == len(_submitted("chain-test")) == 1
    direct = _provisions_at_submission("chain-test")
    assert measured["materials_waived"] == sum(direct[p] for p in WAIVED)
    assert measured["materials_submitted"] == direct["upload"] + direct["paper"]
    bundle_cases = Case.objects.filter(application__plan_code="chain-test")
    assert measured["received"] == bundle_cases.count() == 4
    assert {m["code"] for m in row["members"]} == set(view.items)
    # Nothing of the bundle was decided: no measured time, and the definitions come along.
    assert measured["measured_days"] is None
    assert rates["time_reduction"]["measured"] is None
    assert set(row["definitions"]) == set(REFORM_DEFINITIONS)


def test_bundle_api_carries_the_reform_figures(two_days, client, api_token) -> None:
    token = api_token("supervisor")
    response = client.get(
        "/api/v1/stats/bundles/chain-test", PERIOD, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.content
    reform = response.json()["reform"]
    assert reform["code"] == "chain-test"
    assert reform["measured"]["applications"] == len(_submitted("chain-test"))
    planned = plan_metrics(published_bundle("chain-test").plan)
    rates = {r["key"]: r for r in reform["rates"]}
    assert Decimal(str(rates["time_reduction"]["planned"])) == planned.time_reduction
    assert reform["definitions"]["one_visit_rate"]["formula"]


def test_reform_page_for_a_supervisor(two_days, logged_in, django_assert_max_num_queries) -> None:
    client = logged_in("supervisor")
    with (
        time_machine.travel(shanghai(2026, 6, 5), tick=True),
        django_assert_max_num_queries(20),
    ):
        response = client.get(reverse("stats:reform"), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="reform-bundle-chain-test"' in html
    assert 'data-testid="reform-items"' in html
    assert 'data-item="TREVIEW01"' in html
    for label in ("时限减少率", "环节压缩率", "材料精简率", "一次办比率", "全程网办率"):
        assert label in html
    assert 'id="def-one_visit_rate"' in html  # definitions one click away
    assert "reform-chart-0" in html
    assert "echarts.min.js" in html
    detail = client.get(reverse("stats:reform_bundle", args=["chain-test"]), PERIOD)
    assert detail.status_code == 200
    assert 'data-testid="reform-members-chain-test"' in detail.content.decode()
    assert client.get(reverse("stats:reform_bundle", args=["nope"])).status_code == 404


def test_reform_scope(two_days, logged_in, client) -> None:
    anonymous = client.get(reverse("stats:reform"))
    assert anonymous.status_code == 302
    assert logged_in("citizen").get(reverse("stats:reform")).status_code == 403
    approver = logged_in("approver-yy-shichang")
    own = approver.get(reverse("stats:reform"), PERIOD)
    assert own.status_code == 200
    html = own.content.decode()
    assert 'data-item="TREVIEW01"' in html  # their item
    assert 'data-item="TINSTANT01"' not in html  # 民政's item
    other = Department.objects.get(code="yy-minzheng")
    refused = approver.get(reverse("stats:reform"), {**PERIOD, "department": str(other.pk)})
    assert refused.status_code == 403
    assert "本部门" in refused.content.decode()


def test_department_scope_counts_only_the_departments_cases(two_days) -> None:
    shichang = Department.objects.get(code="yy-shichang")
    report = reform_report(StatsFilter(STATS.date_from, STATS.date_to, department=shichang.pk))
    codes = {row["code"] for row in report["items"]}
    assert "TREVIEW01" in codes
    assert "TINSTANT01" not in codes
    assert all(
        any(m["department"] == "yy-shichang" for m in row["members"]) for row in report["bundles"]
    )


@pytest.mark.parametrize(
    "params",
    [{"from": "2026-13-01"}, {"from": "2026-06-10", "to": "2026-06-01"}, {"bundle": "nope"}],
)
def test_bad_filters_are_a_chinese_400(params, demo, logged_in) -> None:
    response = logged_in("supervisor").get(reverse("stats:reform"), params)
    assert response.status_code == 400
    assert "请求有误" in response.content.decode()
