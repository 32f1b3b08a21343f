"""Bundles (一件事): items across departments with dependency edges and shared questions."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ..enums import Audience, VersionStatus
from .base import DraftOnlyChild, QuestionBase, VersionedContent


class Bundle(models.Model):
    code = models.SlugField("一件事标识", max_length=64, unique=True)
    published = models.OneToOneField(
        "BundleVersion",
        verbose_name="现行版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "一件事"
        verbose_name_plural = "一件事"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.published.name if self.published else self.code


class BundleVersion(VersionedContent):
    bundle = models.ForeignKey(
        Bundle, verbose_name="一件事", on_delete=models.CASCADE, related_name="versions"
    )
    name = models.CharField("名称", max_length=100)
    # Everyday names (俗称/常用说法), a list of short strings: see catalog.spec.check_keywords.
    keywords = models.JSONField("俗称/常用说法", default=list, blank=True)
    audience = models.CharField("服务对象", max_length=16, choices=Audience.choices)
    theme = models.CharField("主题", max_length=50, blank=True)
    lead_department = models.ForeignKey(
        "core.Department", verbose_name="牵头部门", on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField("简介", blank=True)
    # The integrated flow (e.g. 一窗受理 → 并联审批 → 统一出件); empty = distinct item steps.
    steps = models.JSONField("联办环节", default=list, blank=True)

    class Meta:
        verbose_name = "一件事版本"
        verbose_name_plural = "一件事版本"
        ordering = ["bundle_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["bundle", "number"], name="bundle_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["bundle"],
                condition=Q(status=VersionStatus.DRAFT),
                name="bundle_single_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（第{self.number}版·{self.get_status_display()}）"


class BundleMember(DraftOnlyChild):
    version = models.ForeignKey(
        BundleVersion, verbose_name="一件事版本", on_delete=models.CASCADE, related_name="members"
    )
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name="事项", on_delete=models.PROTECT, related_name="+"
    )
    when = models.JSONField("纳入条件（JSONLogic）", null=True, blank=True)

    class Meta(DraftOnlyChild.Meta):
        verbose_name = "包含事项"
        verbose_name_plural = "包含事项"
        constraints = [
            models.UniqueConstraint(fields=["version", "item"], name="bundle_member_unique"),
        ]

    def __str__(self) -> str:
        return str(self.item)


class BundleEdge(DraftOnlyChild):
    version = models.ForeignKey(
        BundleVersion, verbose_name="一件事版本", on_delete=models.CASCADE, related_name="edges"
    )
    upstream = models.ForeignKey(
        "catalog.ServiceItem", verbose_name="前置事项", on_delete=models.PROTECT, related_name="+"
    )
    downstream = models.ForeignKey(
        "catalog.ServiceItem", verbose_name="后续事项", on_delete=models.PROTECT, related_name="+"
    )
    # Material key of the downstream item that the upstream's issued licence replaces.
    satisfies = models.SlugField("替代材料标识", max_length=64, blank=True)

    class Meta(DraftOnlyChild.Meta):
        verbose_name = "前后置关系"
        verbose_name_plural = "前后置关系"
        constraints = [
            models.UniqueConstraint(
                fields=["version", "upstream", "downstream"], name="bundle_edge_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.upstream} → {self.downstream}"


class BundleQuestion(QuestionBase):
    version = models.ForeignKey(
        BundleVersion, verbose_name="一件事版本", on_delete=models.CASCADE, related_name="questions"
    )

    class Meta(QuestionBase.Meta):
        verbose_name = "共享情形问题"
        verbose_name_plural = "共享情形问题"
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="bundle_question_key_unique"),
        ]
