"""Critical path, cycle naming and the reform metrics on hand-worked examples."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from tongban.catalog.graph import DependencyCycle, critical_path, topological_order
from tongban.catalog.metrics import catalog_metrics, plan_metrics, reduction_rate
from tongban.catalog.plan import Plan
from tongban.catalog.store import published_bundle_specs, published_item_specs

from .catalog_factories import make_bundle, make_item


def test_the_reference_example_60_to_7_days_is_88_3_percent() -> None:
    # domain-china.md §9: 不动产交易登记 60 → 7 working days "提速88.3%".
    assert reduction_rate(60, 7) == Decimal("88.3")
    assert reduction_rate(19, 2) == Decimal("89.5")  # Yueyang 1160: materials 19 → 2
    assert reduction_rate(0, 0) is None


def test_critical_path_takes_the_heaviest_chain_not_the_sum() -> None:
    #   a(3) → b(2) → d(1)
    #   c(5) ───────↗
    path = critical_path({"a": 3, "b": 2, "c": 5, "d": 1}, [("a", "b"), ("b", "d"), ("c", "d")])
    assert path.days == 6
    # a→b and c both finish on day 5; a tie goes to the first upstream in edge order.
    assert path.path == ["a", "b", "d"]
    assert path.finish == {"a": 3, "b": 5, "c": 5, "d": 6}


def test_independent_items_run_in_parallel() -> None:
    assert critical_path({"a": 3, "b": 7, "c": 2}, []).days == 7
    heavier = critical_path({"a": 3, "b": 2, "c": 6, "d": 1}, [("a", "b"), ("b", "d"), ("c", "d")])
    assert (heavier.days, heavier.path) == (7, ["c", "d"])


def test_topological_order_keeps_the_given_order_for_ties() -> None:
    assert topological_order(["x", "b", "a"], [("a", "x")]) == ["b", "a", "x"]


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ([("a", "b"), ("b", "a")], ["a", "b", "a"]),
        ([("a", "b"), ("b", "c"), ("c", "a")], ["a", "b", "c", "a"]),
        ([("x", "b"), ("b", "c"), ("c", "b")], ["b", "c", "b"]),
    ],
)
def test_a_cycle_is_named_in_edge_direction(edges: list[tuple[str, str]], cycle: list[str]) -> None:
    with pytest.raises(DependencyCycle) as caught:
        topological_order(["a", "b", "c", "x"], edges)
    assert caught.value.cycle == cycle
    # Every consecutive pair of the named cycle is a real edge.
    assert all(pair in edges for pair in itertools.pairwise(cycle))


def test_bundle_metrics_worked_by_hand() -> None:
    first = make_item(
        "T1",
        statutory_limit={"days": 20},
        promised_limit={"days": 3},
        online_depth="网上预审",
        visits=1,
        visits_reason="核验",
        steps=["受理", "审核", "决定"],
        result={"type": "出证办结", "name": "证", "licence_type": "cert"},
        materials=[
            {"key": "id_card", "name": "身份证"},
            {"key": "form", "name": "申请表"},
        ],
    )
    second = make_item(
        "T2",
        statutory_limit={"days": 28, "unit": "自然日"},  # = 20 working days
        promised_limit={"days": 5},
        steps=["受理", "决定"],
        materials=[
            {"key": "id_card", "name": "身份证"},  # shared: counted once after
            {"key": "cert", "name": "证", "source": "电子证照", "licence_type": "cert"},
            {"key": "old", "name": "已取消的证明", "source": "已取消"},
            {"key": "promise", "name": "承诺书", "source": "告知承诺", "commitment": "承诺"},
        ],
    )
    third = make_item(
        "T3",
        statutory_limit={"days": 10},
        promised_limit={"days": 0},
        case_kind="即办件",
        steps=["受理"],
        materials=[{"key": "photo", "name": "照片"}],
    )
    bundle = make_bundle(["T1", "T2", "T3"], [("T1", "T2")], steps=["一窗受理", "统一出件"])
    metrics = plan_metrics(Plan.for_bundle(bundle, {i.code: i for i in (first, second, third)}))
    assert (metrics.visits.before, metrics.visits.after) == (1, 1)
    # Before: 2 + 4 + 1 listed materials. After: id_card, form, photo are still uploaded.
    assert (metrics.materials.before, metrics.materials.after) == (7, 3)
    assert metrics.material_reduction == Decimal("57.1")
    assert (metrics.steps.before, metrics.steps.after) == (6, 2)
    assert metrics.step_compression == Decimal("66.7")
    # Before: 20 + 20 + 10 statutory; after: T1 (3) then T2 (5); T3 is instant.
    assert (metrics.days.before, metrics.days.after) == (50, 8)
    assert metrics.time_reduction == Decimal("84.0")
    assert metrics.critical_path == ["T1", "T2"]


def test_without_integrated_steps_the_distinct_item_steps_count() -> None:
    items = {
        c: make_item(c, steps=s) for c, s in [("T1", ["受理", "审核"]), ("T2", ["受理", "决定"])]
    }
    metrics = plan_metrics(Plan.for_bundle(make_bundle(["T1", "T2"]), items))
    assert (metrics.steps.before, metrics.steps.after) == (4, 3)


def test_an_edge_satisfying_a_material_removes_it_from_after() -> None:
    upstream = make_item("T1", materials=[])
    downstream = make_item("T2", materials=[{"key": "permit", "name": "许可证"}])
    items = {"T1": upstream, "T2": downstream}
    plain = plan_metrics(Plan.for_bundle(make_bundle(["T1", "T2"], [("T1", "T2")]), items))
    linked = make_bundle(["T1", "T2"], edges=[{"from": "T1", "to": "T2", "satisfies": "permit"}])
    assert plain.materials.after == 1
    assert plan_metrics(Plan.for_bundle(linked, items)).materials.after == 0


def test_catalog_metrics_rates() -> None:
    items = [
        make_item("T1"),  # 全程网办, 0 visits
        make_item("T2", online_depth="网上预审", visits=1, visits_reason="核验"),
        make_item("T3", online_depth="不可网办", visits=2, visits_reason="核验", delivery=["邮寄"]),
        make_item("T4", online_depth="表格下载", visits=0, delivery=["邮寄"]),
    ]
    metrics = catalog_metrics(items)
    assert metrics.online_rate == Decimal("50.0")
    assert metrics.fully_online_rate == Decimal("25.0")
    assert metrics.one_visit_rate == Decimal("75.0")
    assert metrics.zero_visit_rate == Decimal("50.0")
    assert metrics.time_reduction == Decimal("75.0")  # 80 statutory → 20 promised days


def test_mini_catalog_newborn_metrics(mini_catalog: None) -> None:
    """tests/data/mini-catalog.yaml, worked by hand (see the comment at its top)."""
    bundle = published_bundle_specs(["newborn-mini"])["newborn-mini"]
    metrics = plan_metrics(Plan.for_bundle(bundle, published_item_specs()))
    # Statutory: 20 + 30 + 10 + 20 natural (= 15 working) = 75; critical path A(3)→B(5)→D(5).
    assert (metrics.days.before, metrics.days.after, metrics.time_reduction) == (
        75,
        13,
        Decimal("82.7"),
    )
    # Listed: 3 + 5 + 2 + 2 = 12; still uploaded: birth_record, application,
    # marriage_certificate, paternity_statement, id_card, photo.
    assert (metrics.materials.before, metrics.materials.after) == (12, 6)
    assert (metrics.steps.before, metrics.steps.after) == (11, 3)
    assert (metrics.visits.before, metrics.visits.after) == (2, 1)
