"""Cases (办件): one per item of an application, owned by one department."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..enums import (
    OPEN_STATES,
    CaseState,
    DecisionBy,
    DeliveryMethod,
    NoticeKind,
    SpecialKind,
    VerificationStatus,
)


class Case(models.Model):
    case_no = models.CharField("办件编号", max_length=50, unique=True)
    application = models.ForeignKey(
        "cases.Application", verbose_name="申请", on_delete=models.PROTECT, related_name="cases"
    )
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name="事项", on_delete=models.PROTECT, related_name="+"
    )
    # Pinned at submission: a later catalog version never changes a case in progress.
    item_version = models.ForeignKey(
        "catalog.ItemVersion", verbose_name="事项版本", on_delete=models.PROTECT, related_name="+"
    )
    item_code = models.CharField("实施编码", max_length=36)
    item_name = models.CharField("事项名称", max_length=200)
    # The bundle's code when the application is a bundle's ("" for a single item), copied at
    # submission so bundle-scoped warnings stay single-table index scans.
    bundle_code = models.CharField("一件事编码", max_length=64, blank=True, default="")
    department = models.ForeignKey(
        "core.Department", verbose_name="办理部门", on_delete=models.PROTECT, related_name="cases"
    )
    # Copied from the application so the workbench queues are single-table index scans.
    service_centre = models.ForeignKey(
        "core.Department",
        verbose_name="受理服务中心",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人账号",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField("状态", max_length=24, choices=CaseState.choices)
    step_index = models.PositiveSmallIntegerField("当前审批环节序号", default=0)

    received_at = models.DateTimeField("接件时间")
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    statutory_due = models.DateField("法定办结期限", null=True, blank=True)
    promised_due = models.DateField("承诺办结期限", null=True, blank=True)
    due_provisional = models.BooleanField("期限为暂定（日历缺年份）", default=False)
    paused_working_days = models.PositiveIntegerField("特别程序暂停工作日", default=0)
    paused_natural_days = models.PositiveIntegerField("特别程序暂停自然日", default=0)

    decision_by = models.CharField(
        "决定方式", max_length=16, choices=DecisionBy.choices, blank=True
    )
    reason = models.TextField("理由/意见", blank=True)
    legal_basis = models.TextField("法律依据", blank=True)
    deficiency_supply_by = models.DateField("容缺补齐期限", null=True, blank=True)
    deficiency_supplied_at = models.DateTimeField("容缺补齐时间", null=True, blank=True)
    result_name = models.CharField("办理结果", max_length=200, blank=True)
    delivery_method = models.CharField(
        "送达方式", max_length=16, choices=DeliveryMethod.choices, blank=True
    )
    tracking_no = models.CharField("快递单号", max_length=64, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        indexes = [
            # Department queue: open cases in due-date order (keyset on promised_due, id).
            models.Index(
                fields=["department", "state", "promised_due", "id"], name="case_queue_idx"
            ),
            # The queue's default view, every open state at once: a state list breaks the
            # order of case_queue_idx (2,381 rows fetched and sorted for 50 at ten million
            # cases); this one is read in order and holds only the open cases.
            models.Index(
                fields=["department", "promised_due", "id"],
                condition=Q(state__in=sorted(OPEN_STATES)),
                name="case_open_queue_idx",
            ),
            # The queue over every state ("全部状态", the API without a state): in order.
            models.Index(
                fields=["department", "promised_due", "id"], name="case_department_due_idx"
            ),
            # 容缺 follow-up: the few cases with materials still to come, in due-date order.
            models.Index(
                fields=["department", "promised_due", "id"],
                condition=Q(
                    deficiency_supply_by__isnull=False, deficiency_supplied_at__isnull=True
                ),
                name="case_deficiency_idx",
            ),
            models.Index(fields=["service_centre", "state", "id"], name="case_centre_idx"),
            models.Index(fields=["applicant_user", "-id"], name="case_owner_idx"),
            models.Index(fields=["state", "promised_due"], name="case_warning_idx"),
            # Bundle-scoped warnings (the statistics filter's bundle): only cases under review
            # can be warned, so the index holds those alone and stays small.
            models.Index(
                fields=["bundle_code", "promised_due"],
                condition=Q(state=CaseState.IN_REVIEW),
                name="case_bundle_warning_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_no} {self.item_name}"


class CaseLink(models.Model):
    """Downstream waits for upstream (a bundle edge, made concrete for one application)."""

    upstream = models.ForeignKey(
        Case, verbose_name="前置办件", on_delete=models.CASCADE, related_name="downstream_links"
    )
    downstream = models.ForeignKey(
        Case, verbose_name="后置办件", on_delete=models.CASCADE, related_name="upstream_links"
    )
    # Key of the downstream material that the upstream's result replaces ("" if none named).
    satisfies = models.CharField("替代材料", max_length=64, blank=True)

    class Meta:
        verbose_name = "前后置关系"
        verbose_name_plural = "前后置关系"
        constraints = [
            models.UniqueConstraint(fields=["upstream", "downstream"], name="case_link_unique")
        ]

    def __str__(self) -> str:
        return f"{self.upstream_id} → {self.downstream_id}"


class SpecialProcedure(models.Model):
    case = models.ForeignKey(
        Case, verbose_name="办件", on_delete=models.CASCADE, related_name="special_procedures"
    )
    kind = models.CharField("种类", max_length=16, choices=SpecialKind.choices)
    reason = models.TextField("启动理由或依据")
    started_on = models.DateField("开始日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    result = models.TextField("结果", blank=True)
    paused_working_days = models.PositiveIntegerField("暂停工作日", default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="启动人", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "特别程序"
        verbose_name_plural = "特别程序"
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(ended_on__isnull=True), name="one_open_special"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_on}"


class SupplementRequest(models.Model):
    """一次性告知: every missing or defective material with its reason, at once."""

    case = models.ForeignKey(
        Case, verbose_name="办件", on_delete=models.CASCADE, related_name="supplements"
    )
    materials = models.JSONField("需补正材料")  # [{"key", "name", "reason"}]
    note = models.TextField("说明", blank=True)
    issued_at = models.DateTimeField("告知时间")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="告知人", on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField("补正提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "补正告知"
        verbose_name_plural = "补正告知"

    def __str__(self) -> str:
        return f"一次性告知 {self.issued_at:%Y-%m-%d}"


class Notice(models.Model):
    """A written notice as issued; its content is frozen (see notice_data.py)."""

    case = models.ForeignKey(
        Case, verbose_name="办件", on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField("文书种类", max_length=16, choices=NoticeKind.choices)
    number = models.CharField("文书编号", max_length=80, unique=True)
    data = models.JSONField("内容")
    issued_at = models.DateTimeField("出具时间")

    class Meta:
        verbose_name = "文书"
        verbose_name_plural = "文书"
        ordering = ["case_id", "issued_at", "id"]

    def __str__(self) -> str:
        return self.number


class VerificationTask(models.Model):
    """事后核查 of a commitment-approved case, owned by the deciding department."""

    case = models.OneToOneField(
        Case, verbose_name="办件", on_delete=models.CASCADE, related_name="verification"
    )
    department = models.ForeignKey(
        "core.Department", verbose_name="核查部门", on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField("核查期限")
    status = models.CharField(
        "状态", max_length=20, choices=VerificationStatus.choices, default=VerificationStatus.OPEN
    )
    finding = models.TextField("核查结论", blank=True)
    closed_at = models.DateTimeField("完成时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="核查人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "事后核查"
        verbose_name_plural = "事后核查"
        indexes = [models.Index(fields=["department", "status", "due_on"], name="verify_queue_idx")]

    def __str__(self) -> str:
        return f"事后核查 {self.due_on}"


class NumberSequence(models.Model):
    """Daily counters for case, application and notice numbers (see numbering.py)."""

    scope = models.CharField("范围", max_length=64)
    day = models.DateField("日期")
    last = models.PositiveIntegerField("已用序号", default=0)

    class Meta:
        verbose_name = "编号序列"
        verbose_name_plural = "编号序列"
        constraints = [models.UniqueConstraint(fields=["scope", "day"], name="sequence_unique")]

    def __str__(self) -> str:
        return f"{self.scope} {self.day} #{self.last}"
