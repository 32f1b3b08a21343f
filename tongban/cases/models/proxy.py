"""帮代办: a staff member (帮代办专员) applies and carries applications for a citizen who
asked for help — at a window, or after a "办不成事" ticket — with the citizen's consent
recorded first. Every case event of such an application names the agent."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tongban.core.fieldcrypto import EncryptedTextField


class ConsentMethod(models.TextChoices):
    SIGNED = "signed", "现场签署授权委托书"
    IN_PERSON = "in_person", "现场当面确认"
    CALL = "call", "电话确认（录音留存）"
    SMS = "sms", "短信回复确认"


class MandateState(models.TextChoices):
    ACTIVE = "active", "代办中"
    REVOKED = "revoked", "已撤销委托"


# Read to the citizen and kept with the mandate: what they agreed to.
CONSENT_STATEMENT = (
    "本人自愿委托帮代办专员{agent}代为申请、补正材料、撤回申请及领取结果，"
    "办理范围：{scope}。本人知悉委托可随时撤销。"
)


class ProxyMandate(models.Model):
    principal_name = models.CharField("委托人", max_length=128)
    principal_id = EncryptedTextField("委托人证件号码")
    principal_id_digest = models.CharField("委托人证件号码摘要", max_length=64, db_index=True)
    principal_id_masked = models.CharField("委托人证件号码（脱敏）", max_length=32)
    principal_phone = EncryptedTextField("委托人联系电话", blank=True)
    principal_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="委托人账号",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proxy_mandates",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="帮代办专员",
        on_delete=models.PROTECT,
        related_name="proxy_assignments",
    )
    scope = models.CharField("委托办理事项", max_length=300)
    consent_method = models.CharField("确认方式", max_length=16, choices=ConsentMethod.choices)
    consent_statement = models.TextField("委托声明")
    consent_reference = models.CharField(
        "确认凭证", max_length=128, blank=True, help_text="授权书编号、录音编号或短信回执"
    )
    consented_at = models.DateTimeField("确认时间")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name="来源工单",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proxy_mandates",
    )
    state = models.CharField(
        "状态", max_length=16, choices=MandateState.choices, default=MandateState.ACTIVE
    )
    revoked_reason = models.TextField("撤销原因", blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "帮代办委托"
        verbose_name_plural = "帮代办委托"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agent", "state"], name="mandate_agent_idx")]

    def __str__(self) -> str:
        return f"帮代办委托 {self.pk}（{self.principal_name}）"
