"""Colloquial knowledge for the guide (智能导办) and the index's freshness token.

A synonym row says: when a query contains `phrase` (as typed by people: 生孩子, 社保卡丢了,
护口), also search for `terms` (the words the catalog uses: 出生 新生儿, 补领, 户口).
Catalog administrators edit the rows through `guide.actions`; nothing is deleted, a row is
switched off, so the audit trail keeps what the engine knew at any time.
"""

from __future__ import annotations

from django.db import models


class Synonym(models.Model):
    phrase = models.CharField(
        "口语说法",
        max_length=50,
        unique=True,
        help_text="群众的说法，查询中包含该词即生效，如“生孩子”“社保卡丢了”“护口”。",
    )
    terms = models.CharField(
        "规范用语",
        max_length=200,
        help_text="事项目录中的用语，多个用空格分隔，如“出生 新生儿”。",
    )
    note = models.CharField("说明", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        "core.User",
        verbose_name="更新人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "同义词"
        verbose_name_plural = "同义词（口语说法）"
        ordering = ["phrase"]

    def __str__(self) -> str:
        return f"{self.phrase} → {self.terms}"

    def term_list(self) -> list[str]:
        return self.terms.split()


class GuideState(models.Model):
    """One row: a random token renewed in the transaction of every catalog publication and
    synonym edit. Each process compares it with the token its in-memory index was built
    from (one primary-key read per search), so every worker rebuilds after a change, and
    a rolled-back change never looks current (a new token is never reused)."""

    token = models.CharField("索引版本标记", max_length=32)
    changed_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "导办索引状态"
        verbose_name_plural = "导办索引状态"

    def __str__(self) -> str:
        return self.token
