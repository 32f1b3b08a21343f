"""Rollups of the case events (统计汇总表).

The tables are folded from the audit chain by one job (`fold.py`) — never by the request that
submits or decides a case — so no submission waits on a shared counter row. Each table keeps
the same measures at a different grain; a query reads the coarsest table that still has the
dimensions it filters or groups by. `manage.py stats_rebuild` recomputes all of them from the
events and gives the same totals as the incremental fold (tested).

Foreign keys carry no database constraint: a rollup row is history and must never block or
cascade from a change to the organisation tables. Nor do they get Django's default index:
every query reads a rollup by its day range first (the unique key and the `(…, day)`
indexes), and three needless indexes per table made a rebuild's inserts cost three times as
much at ten million cases.
"""

from __future__ import annotations

from django.db import models


def _region() -> models.ForeignKey:
    return models.ForeignKey(
        "core.Region",
        verbose_name="区划",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


def _department() -> models.ForeignKey:
    return models.ForeignKey(
        "core.Department",
        verbose_name="部门",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class FoldCursor(models.Model):
    """How far the rollups have read the audit chain. Only the folding job writes it."""

    chain = models.CharField("审计链", max_length=32, primary_key=True)
    last_seq = models.BigIntegerField("已汇总至序号", default=0)
    folded_at = models.DateTimeField("最近汇总时间", null=True, blank=True)
    rebuilt_at = models.DateTimeField("最近重建时间", null=True, blank=True)

    class Meta:
        verbose_name = "汇总游标"
        verbose_name_plural = "汇总游标"

    def __str__(self) -> str:
        return f"{self.chain}@{self.last_seq}"


class FlowMeasures(models.Model):
    """Counts of one kind of case event (flow) on one day, with the decision measures."""

    day = models.DateField("日期")
    region = _region()
    bundle_code = models.CharField("一件事", max_length=64, blank=True)  # "" = 单事项申请
    channel = models.CharField("渠道", max_length=16)
    flow = models.CharField("业务动作", max_length=24)
    n = models.IntegerField("次数", default=0)
    # Decisions only (approve, approve_deficient, deny): measured when the case was decided.
    on_time_promised = models.IntegerField("按承诺时限办结", default=0)
    on_time_statutory = models.IntegerField("按法定时限办结", default=0)
    timed = models.IntegerField("有用时记录的办结", default=0)
    working_days = models.BigIntegerField("办理用时合计（工作日）", default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.flow} {self.n}"


class FlowRegionDay(FlowMeasures):
    class Meta:
        verbose_name = "办件流量（区划·日）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "bundle_code", "channel", "flow"],
                name="flow_region_day_key",
            )
        ]
        indexes = [models.Index(fields=["bundle_code", "day"], name="flow_region_bundle_idx")]


class FlowRegionMonth(FlowMeasures):
    """FlowRegionDay summed by month (`day` is the month's first day): long periods read
    twelve rows a year instead of 365."""

    class Meta:
        verbose_name = "办件流量（区划·月）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "bundle_code", "channel", "flow"],
                name="flow_region_month_key",
            )
        ]
        indexes = [models.Index(fields=["bundle_code", "day"], name="flow_rmonth_bundle_idx")]


class FlowDepartmentMonth(FlowMeasures):
    department = _department()

    class Meta:
        verbose_name = "办件流量（部门·月）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "department", "bundle_code", "channel", "flow"],
                name="flow_department_month_key",
            )
        ]
        indexes = [models.Index(fields=["department", "day"], name="flow_dmonth_department_idx")]


class FlowItemDay(FlowMeasures):
    """The finest grain: day × region × department × item × bundle × channel × flow."""

    department = _department()
    item_code = models.CharField("实施编码", max_length=36)

    class Meta:
        verbose_name = "办件流量（事项·日）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "day",
                    "region",
                    "department",
                    "item_code",
                    "bundle_code",
                    "channel",
                    "flow",
                ],
                name="flow_item_day_key",
            )
        ]
        indexes = [
            models.Index(fields=["department", "day"], name="flow_item_department_idx"),
            models.Index(fields=["bundle_code", "day"], name="flow_item_bundle_idx"),
        ]


class FlowSummaryDay(FlowMeasures):
    """FlowRegionDay without the bundle: what a whole city's overview sums. Twenty bundles
    and the single-item applications make that table about ten times as many rows a day."""

    bundle_code = None  # type: ignore[assignment]

    class Meta:
        verbose_name = "办件流量（汇总·日）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "channel", "flow"], name="flow_summary_day_key"
            )
        ]


class FlowSummaryMonth(FlowMeasures):
    """FlowSummaryDay summed by month (`day` is the month's first day)."""

    bundle_code = None  # type: ignore[assignment]

    class Meta:
        verbose_name = "办件流量（汇总·月）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "channel", "flow"], name="flow_summary_month_key"
            )
        ]


class FlowBundleDay(FlowMeasures):
    """FlowRegionDay with `region` the prefecture (地市, e.g. 430600) of the row's region: a
    bundle's overview for a whole city (or province) reads a tenth of the rows. A county
    filter with a bundle still reads FlowRegionDay."""

    class Meta:
        verbose_name = "办件流量（一件事·地市·日）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["bundle_code", "day", "region", "channel", "flow"],
                name="flow_bundle_day_key",
            )
        ]


class FlowBundleMonth(FlowMeasures):
    """FlowBundleDay summed by month (`day` is the month's first day)."""

    class Meta:
        verbose_name = "办件流量（一件事·地市·月）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["bundle_code", "day", "region", "channel", "flow"],
                name="flow_bundle_month_key",
            )
        ]


class DurationDay(models.Model):
    """How many decisions took exactly `working_days` — the histogram behind the percentiles."""

    day = models.DateField("日期")
    region = _region()
    department = _department()
    item_code = models.CharField("实施编码", max_length=36)
    bundle_code = models.CharField("一件事", max_length=64, blank=True)
    working_days = models.IntegerField("办理用时（工作日）")
    n = models.IntegerField("办结数", default=0)

    class Meta:
        verbose_name = "办理用时分布（日）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "department", "item_code", "bundle_code", "working_days"],
                name="duration_day_key",
            )
        ]
        indexes = [
            models.Index(fields=["department", "day"], name="duration_department_idx"),
            models.Index(fields=["bundle_code", "day"], name="duration_bundle_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.item_code} {self.working_days}d×{self.n}"


class DurationSummary(models.Model):
    """DurationDay summed over departments, items and bundles: the histogram of a whole
    region's decisions, for the unfiltered overview's percentile."""

    day = models.DateField("日期")
    region = _region()
    working_days = models.IntegerField("办理用时（工作日）")
    n = models.IntegerField("办结数", default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.region_id} {self.working_days}d×{self.n}"


class DurationSummaryDay(DurationSummary):
    class Meta:
        verbose_name = "办理用时分布（汇总·日）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "working_days"], name="duration_summary_day_key"
            )
        ]


class DurationSummaryMonth(DurationSummary):
    """`day` is the month's first day."""

    class Meta:
        verbose_name = "办理用时分布（汇总·月）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "working_days"], name="duration_summary_month_key"
            )
        ]


class DurationBundle(models.Model):
    """DurationDay summed over departments and items, by prefecture (`region`, as in
    FlowBundleDay): one bundle's histogram for a whole city."""

    day = models.DateField("日期")
    region = _region()
    bundle_code = models.CharField("一件事", max_length=64, blank=True)
    working_days = models.IntegerField("办理用时（工作日）")
    n = models.IntegerField("办结数", default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.bundle_code} {self.working_days}d×{self.n}"


class DurationBundleDay(DurationBundle):
    class Meta:
        verbose_name = "办理用时分布（一件事·地市·日）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["bundle_code", "day", "region", "working_days"],
                name="duration_bundle_day_key",
            )
        ]


class DurationBundleMonth(DurationBundle):
    """`day` is the month's first day."""

    class Meta:
        verbose_name = "办理用时分布（一件事·地市·月）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["bundle_code", "day", "region", "working_days"],
                name="duration_bundle_month_key",
            )
        ]


class Backlog(models.Model):
    """Open cases now, by state: +1 when a case enters an open state, −1 when it leaves."""

    region = _region()
    department = _department()
    item_code = models.CharField("实施编码", max_length=36)
    bundle_code = models.CharField("一件事", max_length=64, blank=True)
    channel = models.CharField("渠道", max_length=16)
    state = models.CharField("状态", max_length=24)
    n = models.IntegerField("在办数", default=0)

    class Meta:
        verbose_name = "在办积压"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["region", "department", "item_code", "bundle_code", "channel", "state"],
                name="backlog_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_code} {self.state} {self.n}"


class ApplicationDay(models.Model):
    """Applications submitted, with how each of their materials was provided (材料实际提交)."""

    day = models.DateField("日期")
    region = _region()  # the receiving service centre's region
    plan_code = models.CharField("一件事或事项编码", max_length=64)
    is_bundle = models.BooleanField("一件事申请")
    channel = models.CharField("渠道", max_length=16)
    applications = models.IntegerField("申请数", default=0)
    cases = models.IntegerField("办件数", default=0)
    # Material counts by provision (cases.enums.Provision).
    upload = models.IntegerField("网上上传", default=0)
    paper = models.IntegerField("窗口纸质", default=0)
    licence = models.IntegerField("电子证照免提交", default=0)
    data_check = models.IntegerField("数据核验免提交", default=0)
    commitment = models.IntegerField("告知承诺", default=0)
    deferred = models.IntegerField("容缺后补", default=0)
    produced = models.IntegerField("前置结果自动获取", default=0)
    not_provided = models.IntegerField("未提供", default=0)

    class Meta:
        verbose_name = "申请与材料（日）"
        verbose_name_plural = verbose_name
        constraints = [
            models.UniqueConstraint(
                fields=["day", "region", "plan_code", "channel"], name="application_day_key"
            )
        ]
        indexes = [models.Index(fields=["plan_code", "day"], name="application_plan_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.plan_code} {self.applications}"
