"""Reform metrics (改革成效), computed from the catalog and never typed in.

Formulas follow shared/reference/domain-china.md §9: a reduction rate is
(before − after) / before, so 60 → 7 working days is 53/60 = 88.3 %.

"Before" is the items done one by one under the same catalog: every listed material
(including ones since cancelled or replaced by data sharing), every item's review steps,
each item's visits added up and the statutory limits end to end. "After" is the bundle:
the unique materials the applicant still uploads once shared materials merge and those
produced inside the bundle, fetched as e-licences, checked against a register or covered by
a commitment fall away; the integrated steps; the most visits any one item needs (they
happen at the same window); and the critical path of promised limits. All situations count
(conditions are ignored) so that both sides describe the same scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tongban.core.rates import percentage

from .enums import MaterialSource, OnlineDepth
from .graph import critical_path
from .plan import Plan, promised_working_days, working_days
from .spec import ItemSpec


def reduction_rate(before: int, after: int) -> Decimal | None:
    """(before − after) / before as a percentage with one decimal; None when before is 0."""
    if before <= 0:
        return None
    rate = Decimal(before - after) * 100 / Decimal(before)
    return rate.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def share(part: int, whole: int) -> Decimal | None:
    """A reform share (网上可办率, 免提交率 …) with one decimal."""
    return percentage(part, whole, places=1)


@dataclass(frozen=True)
class BeforeAfter:
    before: int
    after: int

    @property
    def rate(self) -> Decimal | None:
        return reduction_rate(self.before, self.after)


@dataclass(frozen=True)
class PlanMetrics:
    items: int
    visits: BeforeAfter
    materials: BeforeAfter
    steps: BeforeAfter
    days: BeforeAfter  # working days
    critical_path: list[str]

    @property
    def time_reduction(self) -> Decimal | None:  # 时限减少率
        return self.days.rate

    @property
    def step_compression(self) -> Decimal | None:  # 环节压缩率
        return self.steps.rate

    @property
    def material_reduction(self) -> Decimal | None:  # 材料精简率
        return self.materials.rate


def _materials_after(plan: Plan) -> int:
    codes = {item.code for item in plan.items}
    produced: set[tuple[str, str]] = set()
    for edge in plan.edges:
        if edge.upstream in codes and edge.downstream in codes and edge.satisfies:
            produced.add((edge.downstream, edge.satisfies))
    still_uploaded = {
        material.key
        for item in plan.items
        for material in item.materials
        if material.source == MaterialSource.UPLOAD and (item.code, material.key) not in produced
    }
    return len(still_uploaded)


def _steps_after(plan: Plan) -> int:
    if plan.steps:
        return len(plan.steps)
    return len({step.name for item in plan.items for step in item.steps})


def plan_metrics(plan: Plan) -> PlanMetrics:
    durations = {item.code: promised_working_days(item) for item in plan.items}
    path = critical_path(durations, [(e.upstream, e.downstream) for e in plan.edges])
    return PlanMetrics(
        items=len(plan.items),
        visits=BeforeAfter(
            sum(item.visits for item in plan.items),
            max((item.visits for item in plan.items), default=0),
        ),
        materials=BeforeAfter(
            sum(len(item.materials) for item in plan.items), _materials_after(plan)
        ),
        steps=BeforeAfter(sum(len(item.steps) for item in plan.items), _steps_after(plan)),
        days=BeforeAfter(sum(working_days(item.statutory_limit) for item in plan.items), path.days),
        critical_path=path.path,
    )


@dataclass(frozen=True)
class CatalogMetrics:
    items: int
    online: int  # 网上可办: an application can be made online (网上预审 and deeper)
    fully_online: int  # 全程网办
    at_most_one_visit: int  # 一次办: at most one visit
    zero_visits: int
    statutory_days: int
    promised_days: int

    @property
    def online_rate(self) -> Decimal | None:  # 网上可办率
        return share(self.online, self.items)

    @property
    def fully_online_rate(self) -> Decimal | None:  # 全程网办率
        return share(self.fully_online, self.items)

    @property
    def one_visit_rate(self) -> Decimal | None:  # 一次办比率
        return share(self.at_most_one_visit, self.items)

    @property
    def zero_visit_rate(self) -> Decimal | None:  # 零跑动比率
        return share(self.zero_visits, self.items)

    @property
    def time_reduction(self) -> Decimal | None:  # 承诺时限压缩率 over all items
        return reduction_rate(self.statutory_days, self.promised_days)


def catalog_metrics(items: Iterable[ItemSpec]) -> CatalogMetrics:
    items = list(items)
    return CatalogMetrics(
        items=len(items),
        online=sum(1 for i in items if i.online_depth >= OnlineDepth.PRE_REVIEW),
        fully_online=sum(1 for i in items if i.online_depth == OnlineDepth.FULLY_ONLINE),
        at_most_one_visit=sum(1 for i in items if i.visits <= 1),
        zero_visits=sum(1 for i in items if i.visits == 0),
        statutory_days=sum(working_days(i.statutory_limit) for i in items),
        promised_days=sum(promised_working_days(i) for i in items),
    )
