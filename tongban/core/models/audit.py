"""The append-only, hash-chained audit trail (办件过程 / 操作日志)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AuditChainHead(models.Model):
    """The tip of one chain. Appending locks this row, so events get a gap-free order."""

    chain = models.CharField(max_length=32, primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"

    def __str__(self) -> str:
        return f"{self.chain} #{self.last_seq}"


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(models.Model):
    chain = models.CharField("链", max_length=32, default="main")
    seq = models.BigIntegerField("序号")
    occurred_at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too: the row must stay readable and verifiable if the account is renamed.
    actor_name = models.CharField("操作人名称", max_length=150, blank=True)
    role = models.CharField("角色", max_length=32, blank=True)
    action = models.CharField("动作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象标识", max_length=128)  # e-licence identifiers run to ~100
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    channel = models.CharField("渠道", max_length=32, blank=True)
    request_id = models.CharField("请求标识", max_length=64, blank=True)
    prev_hash = models.CharField("前一事件哈希", max_length=64)
    hash = models.CharField("本事件哈希", max_length=64)

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique"),
        ]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("审计事件只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计事件只能追加，不能删除")
