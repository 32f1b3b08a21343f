"""Ratings (好差评) and the rectification a bad one opens (差评整改)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .enums import (
    Finding,
    FollowUpMethod,
    Level,
    RatingChannel,
    RectificationState,
    Stage,
)


class Rating(models.Model):
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="办件",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ratings",
    )
    application = models.ForeignKey(
        "cases.Application", verbose_name="申请", on_delete=models.CASCADE, related_name="ratings"
    )
    stage = models.CharField("评价对象", max_length=16, choices=Stage.choices)
    # Who answers for it (谁办理、谁负责): the case's department, or the service centre.
    department = models.ForeignKey(
        "core.Department", verbose_name="被评价单位", on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField("评价等级", choices=Level.choices)
    indicators = models.JSONField("分项评分", default=dict, blank=True)
    comment = models.TextField("评价内容", blank=True)
    channel = models.CharField("评价渠道", max_length=16, choices=RatingChannel.choices)
    anonymous = models.BooleanField("匿名评价", default=False)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评价人",
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The rater's answer to the department's reply (二次评价); never replaces the first.
    re_level = models.PositiveSmallIntegerField(
        "整改后评价", choices=Level.choices, null=True, blank=True
    )
    created_at = models.DateTimeField("评价时间", auto_now_add=True)

    class Meta:
        verbose_name = "评价"
        verbose_name_plural = "评价"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One rating per case stage, one per window visit (application).
            models.UniqueConstraint(
                fields=["case", "stage"], condition=Q(case__isnull=False), name="rating_case_stage"
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(stage="window"),
                name="rating_window_visit",
            ),
        ]
        indexes = [models.Index(fields=["department", "-created_at"], name="rating_dept_idx")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.get_level_display()}"


class Rectification(models.Model):
    rating = models.OneToOneField(
        Rating, verbose_name="差评", on_delete=models.CASCADE, related_name="rectification"
    )
    department = models.ForeignKey(
        "core.Department", verbose_name="整改单位", on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        "状态",
        max_length=16,
        choices=RectificationState.choices,
        default=RectificationState.OPEN,
    )
    due_on = models.DateField("整改期限")
    due_provisional = models.BooleanField("期限为暂定", default=False)
    follow_up_method = models.CharField(
        "回访方式", max_length=16, choices=FollowUpMethod.choices, blank=True
    )
    follow_up_notes = models.TextField("回访记录", blank=True)
    followed_up_at = models.DateTimeField("回访时间", null=True, blank=True)
    finding = models.CharField("核实结论", max_length=16, choices=Finding.choices, blank=True)
    fix = models.TextField("整改措施", blank=True)
    reply = models.TextField("答复评价人", blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    appeal_reason = models.TextField("申诉理由", blank=True)
    appeal_decision = models.TextField("复核意见", blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = "差评整改"
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["department", "state", "due_on"], name="rectification_queue_idx")
        ]

    def __str__(self) -> str:
        return f"差评整改 {self.pk}（{self.get_state_display()}）"


class RatingInvitation(models.Model):
    """智能邀评: one invitation per unrated case stage, shown to the applicant in the
    platform and sent by SMS by a background task (tongban/feedback/invitations.py)."""

    class Sms(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        NO_PHONE = "no_phone", "无手机号码"

    case = models.ForeignKey(
        "cases.Case",
        verbose_name="办件",
        on_delete=models.CASCADE,
        related_name="rating_invitations",
    )
    stage = models.CharField("评价对象", max_length=16, choices=Stage.choices)
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="受邀人", on_delete=models.CASCADE, related_name="+"
    )
    sms = models.CharField("短信状态", max_length=16, choices=Sms.choices, default=Sms.PENDING)
    sms_reference = models.CharField("短信回执", max_length=64, blank=True)
    sms_error = models.CharField("发送失败原因", max_length=200, blank=True)
    sms_sent_at = models.DateTimeField("短信发送时间", null=True, blank=True)
    created_at = models.DateTimeField("邀评时间", auto_now_add=True)

    class Meta:
        verbose_name = "邀评"
        verbose_name_plural = "邀评"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "stage"], name="rating_invitation_once")
        ]
        indexes = [models.Index(fields=["invitee", "-created_at"], name="invitation_invitee_idx")]

    def __str__(self) -> str:
        return f"邀评 {self.case_id} {self.get_stage_display()}"
