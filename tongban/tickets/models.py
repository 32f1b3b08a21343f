"""12345 / 办不成事 tickets (工单) and the dispatch catalogue (派单目录)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tongban.core.fieldcrypto import EncryptedTextField

from .enums import ExtensionStatus, Satisfaction, TicketChannel, TicketState, TicketType


class Ticket(models.Model):
    number = models.CharField("工单编号", max_length=32, unique=True)
    type = models.CharField("诉求类型", max_length=16, choices=TicketType.choices)
    channel = models.CharField("受理渠道", max_length=16, choices=TicketChannel.choices)
    title = models.CharField("标题", max_length=200)
    content = models.TextField("诉求内容")
    # The catalog basic code the caller's problem is about, when known: the dispatch
    # catalogue maps items to departments more reliably than keywords do.
    item_code = models.CharField("相关事项基本编码", max_length=12, blank=True)
    caller_name = models.CharField("来电人", max_length=64)
    caller_phone = EncryptedTextField("联系电话")  # personal data: encrypted at rest
    # The caller's own account, when they have one: they then follow the ticket online.
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="来电人账号",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    received_at = models.DateTimeField("受理时间")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受理人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        "状态", max_length=16, choices=TicketState.choices, default=TicketState.RECEIVED
    )
    due_on = models.DateField("办理期限")
    due_provisional = models.BooleanField("期限为暂定", default=False)

    lead_department = models.ForeignKey(
        "core.Department",
        verbose_name="承办单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_tickets",
    )
    co_departments = models.ManyToManyField(
        "core.Department", verbose_name="协办单位", blank=True, related_name="co_tickets"
    )
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    reply = models.TextField("答复内容", blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    return_reason = models.TextField("退单理由", blank=True)
    returned_at = models.DateTimeField("退单时间", null=True, blank=True)

    extension_status = models.CharField(
        "延期申请", max_length=16, choices=ExtensionStatus.choices, blank=True, default=""
    )
    extension_days = models.PositiveSmallIntegerField("申请延期工作日", null=True, blank=True)
    extension_reason = models.TextField("延期理由", blank=True)
    extension_requested_at = models.DateTimeField("延期申请时间", null=True, blank=True)
    extension_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="延期审核人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    extension_decided_at = models.DateTimeField("延期审核时间", null=True, blank=True)
    extension_note = models.TextField("延期审核意见", blank=True)

    remind_count = models.PositiveSmallIntegerField("催办次数", default=0)
    last_reminded_at = models.DateTimeField("最近催办时间", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入工单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    follow_up_notes = models.TextField("回访记录", blank=True)
    satisfaction = models.CharField(
        "满意度", max_length=16, choices=Satisfaction.choices, blank=True
    )
    followed_up_at = models.DateTimeField("回访时间", null=True, blank=True)
    redo_count = models.PositiveSmallIntegerField("重办次数", default=0)
    close_note = models.TextField("办结说明", blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    applications = models.ManyToManyField(
        "cases.Application", verbose_name="关联申请", blank=True, related_name="+"
    )
    cases = models.ManyToManyField(
        "cases.Case", verbose_name="关联办件", blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "12345工单"
        verbose_name_plural = "12345工单"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["lead_department", "state", "due_on"], name="ticket_queue_idx"),
            models.Index(fields=["state", "due_on"], name="ticket_state_due_idx"),
            models.Index(fields=["citizen", "-received_at"], name="ticket_citizen_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class DispatchRule(models.Model):
    """One entry of the 派单目录: what (an item, or words in the complaint) goes to whom."""

    name = models.CharField("名称", max_length=100)
    keywords = models.JSONField("关键词", default=list, blank=True)
    item_code = models.CharField("事项基本编码", max_length=12, blank=True, db_index=True)
    lead_department = models.ForeignKey(
        "core.Department", verbose_name="承办单位", on_delete=models.PROTECT, related_name="+"
    )
    co_departments = models.ManyToManyField(
        "core.Department", verbose_name="协办单位", blank=True, related_name="+"
    )
    priority = models.IntegerField("优先级", default=0, help_text="数值大者优先")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "派单目录"
        verbose_name_plural = "派单目录"
        ordering = ["-priority", "id"]

    def __str__(self) -> str:
        return self.name
