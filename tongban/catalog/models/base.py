"""Shared pieces of versioned catalog models.

A published version is immutable: cases pin the version they were made under, so changing it
afterwards would silently change what an applicant agreed to. The guard below refuses any
write to a non-draft version's content; publishing itself only flips `status` (and the
publication stamps) through `update_fields`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from ..enums import QuestionKind, VersionStatus

STATUS_FIELDS = frozenset({"status", "published_at", "published_by"})


class PublishedVersionIsImmutable(ValidationError):
    def __init__(self) -> None:
        super().__init__("已发布的版本不可修改，请先创建新的草稿版本。", code="immutable")


def stored_status(version: models.Model) -> str | None:
    """The status as stored, not as held in memory (which a caller may have changed)."""
    if version.pk is None:
        return None
    manager = type(version)._default_manager
    return manager.filter(pk=version.pk).values_list("status", flat=True).first()


def _check_draft(version: models.Model) -> None:
    if stored_status(version) not in (None, VersionStatus.DRAFT):
        raise PublishedVersionIsImmutable()


class VersionedContent(models.Model):
    """Abstract base of ItemVersion and BundleVersion."""

    number = models.PositiveIntegerField("版本号")
    status = models.CharField(
        "状态", max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        "core.User",
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        stored = stored_status(self)
        update_fields = kwargs.get("update_fields")
        status_only = update_fields is not None and set(update_fields) <= STATUS_FIELDS
        if stored not in (None, VersionStatus.DRAFT) and not status_only:
            raise PublishedVersionIsImmutable()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if stored_status(self) not in (None, VersionStatus.DRAFT):
            raise PublishedVersionIsImmutable()
        return super().delete(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class DraftOnlyChild(models.Model):
    """Rows that belong to a version; writable only while that version is a draft."""

    position = models.PositiveIntegerField("顺序", default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        _check_draft(self.version)  # type: ignore[attr-defined]
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        _check_draft(self.version)  # type: ignore[attr-defined]
        return super().delete(*args, **kwargs)


class QuestionBase(DraftOnlyChild):
    """A situation question (情形): its answer decides materials, fields and members."""

    key = models.SlugField("问题标识", max_length=64)
    text = models.CharField("问题", max_length=200)
    kind = models.CharField("题型", max_length=16, choices=QuestionKind.choices)
    # [{"value": "local", "label": "本市户籍"}, …]; fixed yes/no options for 是否.
    options = models.JSONField("选项", default=list, blank=True)
    when = models.JSONField("出现条件（JSONLogic）", null=True, blank=True)
    help = models.CharField("说明", max_length=300, blank=True)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text
