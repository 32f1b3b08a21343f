"""Reform results (改革成效): the catalog's planned figures beside the measured ones.

Planned figures come from the published catalog (`catalog.metrics.plan_metrics`,
`catalog_metrics`); measured ones from the rollups over the filter's period:

- `ApplicationDay` — applications by plan and channel, and how their materials were provided
  at submission (so applications, visits made to submit, materials on paper vs waived);
- `FlowItemDay` — per bundle × item: receipts, decisions, on-time decisions, working days,
  and deliveries by window pickup (`deliver_pickup`, an extra visit);
- `DurationDay` — the histogram behind the 90th percentile.

Three aggregate queries whatever the number of bundles and items. Every figure has a
definition (label, formula, source) in `REFORM_DEFINITIONS`, served beside the numbers.

Department scope: flows (time, on-time, pickups) are the department's cases only; the
application and material counts have no department (an application may span several), so a
department sees those of every application of a plan that includes one of its items.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum

from tongban.cases.enums import Channel
from tongban.catalog.enums import OnlineDepth
from tongban.catalog.graph import critical_path
from tongban.catalog.metrics import catalog_metrics, plan_metrics
from tongban.catalog.plan import Plan, promised_working_days, working_days
from tongban.catalog.spec import BundleSpec, ItemSpec
from tongban.catalog.store import published_bundle_specs, published_item_specs
from tongban.core.models import Department
from tongban.core.rates import percentage

from .definitions import DEFINITIONS, FLOWS, Definition
from .filters import StatsFilter
from .models import ApplicationDay, DurationDay, FlowItemDay
from .overview import DECISIONS, MEASURES, ONLINE_CHANNELS, average, percentile, scoped_rows

Row = dict[str, Any]

ON_SITE_CHANNELS = (Channel.WINDOW,)  # a submission made in person at the window: one visit
WAIVED = ("licence", "data_check", "commitment", "produced")  # 免提交
SUBMITTED = ("upload", "paper")  # handed in: uploaded online or on paper at the window
PROVISIONS = (*SUBMITTED, *WAIVED, "deferred", "not_provided")
CATALOG = "已发布的事项目录（实施清单、一件事配置），由目录自动计算"
APPLICATIONS = "申请与材料汇总表（按提交日，由审计链增量汇总）"
BOTH = f"计划：{CATALOG}；实测：{APPLICATIONS}、{FLOWS}"


def _d(key: str, label: str, formula: str, source: str) -> Definition:
    return Definition(key, label, formula, source)


REFORM_DEFINITIONS = {
    d.key: d
    for d in [
        _d("applications", "申请数", "期间内提交的申请份数（一件事申请按一份计）", APPLICATIONS),
        _d(
            "planned_visits",
            "跑动次数（计划）",
            "办事指南载明的到办事现场次数；一件事取成员事项中的最大值（同一窗口一并办理）",
            CATALOG,
        ),
        _d(
            "average_visits",
            "平均跑动次数（实测）",
            "（窗口渠道提交的申请数 × 1 + 窗口领取送达次数 × 1）÷ 申请数；网站、移动端提交计 0 次，"
            "一件事的多个结果分别到窗口领取的分别计",
            f"{APPLICATIONS}；{FLOWS}",
        ),
        _d(
            "materials_submitted",
            "提交材料（份）",
            "申请提交时网上上传的份数 + 窗口收取纸质材料的份数",
            APPLICATIONS,
        ),
        _d(
            "materials_waived",
            "免提交材料（份）",
            "申请提交时以电子证照、数据核验（含事后核验未通过的）、告知承诺或前置办件结果"
            "代替提交的份数",
            APPLICATIONS,
        ),
        _d(
            "waiver_rate",
            "材料免提交率（实测）",
            "免提交份数 ÷ 材料总份数 × 100%（总份数含容缺后补与未提供的）",
            APPLICATIONS,
        ),
        _d(
            "statutory_days",
            "法定时限（工作日）",
            "成员事项法定办结时限之和（自然日按 7 天折 5 个工作日向上取整）",
            CATALOG,
        ),
        _d(
            "promised_days",
            "承诺时限（工作日）",
            "单事项为承诺办结时限（即办件为 0）；一件事为按依赖关系排列的成员事项承诺时限的关键路径",
            CATALOG,
        ),
        _d(
            "measured_days",
            "实测办理时限（工作日）",
            "单事项为平均办理用时；一件事为成员事项平均办理用时沿依赖关系的关键路径"
            "（期间内无办结的成员事项按承诺时限计，并注明）",
            FLOWS,
        ),
        _d(
            "average_working_days",
            "平均办理用时（工作日）",
            DEFINITIONS["average_working_days"].formula,
            FLOWS,
        ),
        _d(
            "p90_working_days",
            "90%办件用时（工作日）",
            DEFINITIONS["p90_working_days"].formula + "；一件事按全部成员办件计",
            FLOWS,
        ),
        _d(
            "on_time_rate_promised",
            "按承诺时限办结率",
            DEFINITIONS["on_time_rate_promised"].formula,
            FLOWS,
        ),
        _d(
            "time_reduction",
            "时限减少率",
            "计划 =（法定时限 − 承诺时限）÷ 法定时限 × 100%；"
            "实测 =（法定时限 − 实测办理时限）÷ 法定时限 × 100%",
            BOTH,
        ),
        _d(
            "step_compression",
            "环节压缩率",
            "（逐项办理环节数之和 − 一件事环节数）÷ 逐项办理环节数之和 × 100%；仅有计划值："
            "办理环节由目录配置决定，办件中不另行计量",
            CATALOG,
        ),
        _d(
            "material_reduction",
            "材料精简率",
            "计划 =（逐项办理材料数 − 一件事仍需上传的材料数）÷ 逐项办理材料数 × 100%；"
            "实测 = 材料免提交率（免提交份数 ÷ 材料总份数）",
            BOTH,
        ),
        _d(
            "one_visit_rate",
            "一次办比率",
            "计划 = 到现场不超过 1 次的事项数 ÷ 事项数（一件事按成员事项）；"
            "实测 =（申请数 − min(窗口申请数, 窗口领取次数)）÷ 申请数 —— 汇总表不记每份申请的"
            "跑动，假定窗口领取先对应窗口申请，故为保守估计",
            BOTH,
        ),
        _d(
            "fully_online_rate",
            "全程网办率",
            "计划 = 网上办理深度为“全程网办”的事项数 ÷ 事项数（一件事按成员事项）；"
            "实测 =（网站与移动端申请数 − max(0, 窗口领取次数 − 窗口申请数)）÷ 申请数，"
            "即网上提交且未到窗口领取的申请（估计）",
            BOTH,
        ),
        _d(
            "online_rate",
            "网上申请率（实测）",
            "网站与移动端提交的申请数 ÷ 申请数 × 100%",
            APPLICATIONS,
        ),
    ]
}

HEADLINE = (
    "time_reduction",
    "step_compression",
    "material_reduction",
    "one_visit_rate",
    "fully_online_rate",
)


def reform_definitions() -> dict[str, dict[str, str]]:
    return {key: asdict(d) for key, d in REFORM_DEFINITIONS.items()}


def _rate(part: int | Decimal, whole: int) -> Decimal | None:
    """A reform share, one decimal (as the catalog's reform figures)."""
    if whole <= 0:
        return None
    value = Decimal(part) * 100 / Decimal(whole)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _ratio(total: int, count: int) -> Decimal | None:
    if count <= 0:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- measured data


@dataclass
class Flows:
    """Summed flows of some cases (one item in one bundle, or a whole bundle)."""

    flows: Counter[str] = field(default_factory=Counter)
    measures: Counter[str] = field(default_factory=Counter)
    histogram: Counter[int] = field(default_factory=Counter)

    def add(self, other: Flows) -> None:
        self.flows.update(other.flows)
        self.measures.update(other.measures)
        self.histogram.update(other.histogram)

    @property
    def completed(self) -> int:
        return sum(self.flows[d] for d in DECISIONS)

    @property
    def pickups(self) -> int:
        return self.flows["deliver_pickup"]

    @property
    def average_days(self) -> Decimal | None:
        return average(self.measures["working_days"], self.measures["timed"])

    def as_dict(self) -> Row:
        completed = self.completed
        return {
            "received": self.flows["receive"],
            "completed": completed,
            "pickups": self.pickups,
            "average_working_days": self.average_days,
            "p90_working_days": percentile(dict(self.histogram), 90),
            "on_time_rate_promised": percentage(self.measures["on_time_promised"], completed),
        }


@dataclass
class Submissions:
    """ApplicationDay summed for one plan."""

    applications: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)
    materials: Counter[str] = field(default_factory=Counter)


@dataclass
class Measured:
    flows: dict[tuple[str, str], Flows]  # (bundle_code, item_code) → flows
    submissions: dict[str, Submissions]  # plan code → applications and materials

    def item(self, bundle_code: str, item_code: str) -> Flows:
        return self.flows.get((bundle_code, item_code)) or Flows()

    def plan(self, code: str) -> Submissions:
        return self.submissions.get(code) or Submissions()


def load_measured(stats: StatsFilter, plan_codes: Iterable[str] | None = None) -> Measured:
    """Three aggregate queries: flows, durations, applications (for `plan_codes` if given)."""
    period = (stats.date_from, stats.date_to)
    flows: dict[tuple[str, str], Flows] = defaultdict(Flows)
    grouped = (
        scoped_rows(FlowItemDay.objects.filter(day__range=period), stats)
        .order_by()
        .values("bundle_code", "item_code", "flow")
        .annotate(**{m: Sum(m) for m in MEASURES})
    )
    for row in grouped:
        entry = flows[(row["bundle_code"], row["item_code"])]
        entry.flows[row["flow"]] += row["n"] or 0
        entry.measures.update({m: row[m] or 0 for m in MEASURES if m != "n"})
    durations = (
        scoped_rows(DurationDay.objects.filter(day__range=period), stats)
        .order_by()
        .values("bundle_code", "item_code", "working_days")
        .annotate(t=Sum("n"))
    )
    for row in durations:
        flows[(row["bundle_code"], row["item_code"])].histogram[row["working_days"]] += row["t"]
    applications = ApplicationDay.objects.filter(day__range=period).filter(stats.region_q())
    if stats.bundle is not None:
        applications = applications.filter(plan_code=stats.bundle)
    if plan_codes is not None:
        applications = applications.filter(plan_code__in=list(plan_codes))
    submissions: dict[str, Submissions] = defaultdict(Submissions)
    sums = ("applications", *PROVISIONS)
    for row in (
        applications.order_by()
        .values("plan_code", "channel")
        .annotate(**{name: Sum(name) for name in sums})
    ):
        plan = submissions[row["plan_code"]]
        plan.applications += row["applications"] or 0
        plan.by_channel[row["channel"]] += row["applications"] or 0
        plan.materials.update({p: row[p] or 0 for p in PROVISIONS})
    return Measured(dict(flows), dict(submissions))


# ---------------------------------------------------------------- figures


def _figure(key: str, planned: Any, measured: Any) -> Row:
    return {
        "key": key,
        "label": REFORM_DEFINITIONS[key].label,
        "planned": planned,
        "measured": measured,
    }


def _submission_figures(sub: Submissions, pickups: int) -> Row:
    """Applications, visits and materials measured for one plan."""
    apps = sub.applications
    on_site = sum(sub.by_channel[c] for c in ON_SITE_CHANNELS)
    online = sum(sub.by_channel[c] for c in ONLINE_CHANNELS)
    materials = sub.materials
    total = sum(materials[p] for p in PROVISIONS)
    waived = sum(materials[p] for p in WAIVED)
    multi_visit = min(on_site, pickups)
    fully_online = max(0, online - max(0, pickups - on_site))
    return {
        "applications": apps,
        "window_applications": on_site,
        "online_applications": online,
        "pickups": pickups,
        "average_visits": _ratio(on_site + pickups, apps),
        "materials": {p: materials[p] for p in PROVISIONS},
        "materials_total": total,
        "materials_submitted": sum(materials[p] for p in SUBMITTED),
        "materials_waived": waived,
        "waiver_rate": _rate(waived, total),
        "one_visit_rate": _rate(apps - multi_visit, apps),
        "fully_online_rate": _rate(fully_online, apps),
        "online_rate": _rate(online, apps),
    }


def _time_reduction(statutory: int, measured: Decimal | None) -> Decimal | None:
    if measured is None or statutory <= 0:
        return None
    value = (Decimal(statutory) - measured) * 100 / Decimal(statutory)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _plan_row(plan: Plan, measured_days: Decimal | None, sub: Row, flows: Flows) -> Row:
    """Planned beside measured for a plan (a bundle or a single item)."""
    planned = plan_metrics(plan)
    members = catalog_metrics(plan.items)
    time = flows.as_dict()
    return {
        "code": plan.code,
        "name": plan.name,
        "is_bundle": plan.is_bundle,
        "planned": {
            "items": planned.items,
            "statutory_days": planned.days.before,
            "promised_days": planned.days.after,
            "steps_before": planned.steps.before,
            "steps_after": planned.steps.after,
            "materials_before": planned.materials.before,
            "materials_after": planned.materials.after,
            "visits": planned.visits.after,
            "visits_before": planned.visits.before,
            "online_depth": [
                {"code": i.code, "depth": int(i.online_depth), "label": _depth_label(i)}
                for i in plan.items
            ],
        },
        "measured": {**sub, **time, "measured_days": measured_days},
        "rates": [
            _figure(
                "time_reduction",
                planned.time_reduction,
                _time_reduction(planned.days.before, measured_days),
            ),
            _figure("step_compression", planned.step_compression, None),
            _figure("material_reduction", planned.material_reduction, sub["waiver_rate"]),
            _figure("one_visit_rate", members.one_visit_rate, sub["one_visit_rate"]),
            _figure("fully_online_rate", members.fully_online_rate, sub["fully_online_rate"]),
        ],
    }


def _depth_label(item: ItemSpec) -> str:
    return str(OnlineDepth(item.online_depth).label)


def _member_row(bundle_code: str, item: ItemSpec, measured: Measured) -> Row:
    flows = measured.item(bundle_code, item.code)
    time = flows.as_dict()
    statutory = working_days(item.statutory_limit)
    return {
        "code": item.code,
        "name": item.name,
        "department": item.department,
        "statutory_days": statutory,
        "promised_days": promised_working_days(item),
        "visits": item.visits,
        "online_depth": _depth_label(item),
        "materials": len(item.materials),
        **time,
        "time_reduction_planned": _rate(statutory - promised_working_days(item), statutory),
        "time_reduction_measured": _time_reduction(statutory, time["average_working_days"]),
    }


def _bundle_days(plan: Plan, measured: Measured) -> tuple[Decimal | None, list[str]]:
    """The critical path of the members' measured average days (in tenths, so the integer
    graph code applies); members without a timed decision count their promised days."""
    tenths: dict[str, int] = {}
    estimated = []
    any_measured = False
    for item in plan.items:
        m = measured.item(plan.code, item.code).measures
        if m["timed"]:
            any_measured = True
            tenths[item.code] = int(
                (Decimal(m["working_days"] * 10) / m["timed"]).quantize(
                    Decimal(1), rounding=ROUND_HALF_UP
                )
            )
        else:
            estimated.append(item.code)
            tenths[item.code] = promised_working_days(item) * 10
    if not any_measured:
        return None, []
    path = critical_path(tenths, [(e.upstream, e.downstream) for e in plan.edges])
    return Decimal(path.days) / 10, estimated


def _bundle_row(spec: BundleSpec, items: Mapping[str, ItemSpec], measured: Measured) -> Row:
    plan = Plan.for_bundle(spec, items)
    total = Flows()
    for item in plan.items:
        total.add(measured.item(spec.code, item.code))
    days, estimated = _bundle_days(plan, measured)
    row = _plan_row(plan, days, _submission_figures(measured.plan(spec.code), total.pickups), total)
    row["members"] = [_member_row(spec.code, item, measured) for item in plan.items]
    names = {item.code: item.name for item in plan.items}
    row["estimated_members"] = [names[code] for code in estimated]
    return row


def _item_row(item: ItemSpec, measured: Measured) -> Row:
    flows = measured.item("", item.code)
    sub = _submission_figures(measured.plan(item.code), flows.pickups)
    return _plan_row(Plan.for_item(item), flows.average_days, sub, flows)


def _department_code(stats: StatsFilter) -> str | None:
    if stats.department is None:
        return None
    return Department.objects.filter(pk=stats.department).values_list("code", flat=True).first()


def _in_department(items: Iterable[ItemSpec], code: str | None) -> bool:
    return code is None or any(item.department == code for item in items)


def bundle_reform(code: str, stats: StatsFilter) -> Row | None:
    """One bundle's planned and measured figures (with its members) for the API and detail;
    None when the bundle has no published version (nothing planned to compare with)."""
    spec = published_bundle_specs([code]).get(code)
    if spec is None:
        return None
    items = published_item_specs(spec.member_codes())
    stats = replace(stats, bundle=code)
    # A department sees the applications of plans that include one of its items only.
    ours = _in_department(items.values(), _department_code(stats))
    row = _bundle_row(spec, items, load_measured(stats, [code] if ours else []))
    row["definitions"] = reform_definitions()
    return row


def reform_report(stats: StatsFilter, item_limit: int = 200) -> Row:
    """Every published bundle in scope, and the single items applied for in the period."""
    department = _department_code(stats)
    items = published_item_specs()
    bundles = sorted(published_bundle_specs().values(), key=lambda b: (b.audience, b.code))
    if stats.bundle is not None:
        bundles = [b for b in bundles if b.code == stats.bundle]
    bundles = [
        b
        for b in bundles
        if _in_department((items[c] for c in b.member_codes() if c in items), department)
    ]
    singles = [i for i in items.values() if _in_department([i], department)]
    plan_codes = [b.code for b in bundles] + ([] if stats.bundle else [i.code for i in singles])
    measured = load_measured(stats, plan_codes if department is not None else None)
    bundle_rows = [_bundle_row(b, items, measured) for b in bundles]
    item_rows = []
    if stats.bundle is None:
        active = [
            i
            for i in singles
            if measured.plan(i.code).applications or (("", i.code) in measured.flows)
        ]
        active.sort(key=lambda i: (-measured.plan(i.code).applications, i.code))
        item_rows = [_item_row(i, measured) for i in active[:item_limit]]
    return {
        "filter": stats.as_params(),
        "bundles": bundle_rows,
        "items": item_rows,
        "definitions": reform_definitions(),
    }


def rate_chart(row: Row) -> Row:
    """Planned vs measured headline rates of one plan, for an ECharts bar chart."""
    shown = row["rates"]  # 环节压缩率 has no measured bar
    return {
        "categories": [r["label"] for r in shown],
        "planned": [None if r["planned"] is None else float(r["planned"]) for r in shown],
        "measured": [None if r["measured"] is None else float(r["measured"]) for r in shown],
    }
