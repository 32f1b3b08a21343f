"""电子证照: licence types, issued licences (one row per version) and every use of one."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from tongban.core.fieldcrypto import EncryptedTextField


class HolderKind(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANISATION = "organisation", "法人或其他组织"


class LicenceStatus(models.TextChoices):
    VALID = "valid", "有效"
    REVOKED = "revoked", "已撤销"
    SUPERSEDED = "superseded", "已被新版本替代"
    # Expiry is not stored: it follows from expires_on and today (see Licence.status_on).
    EXPIRED = "expired", "已过期"


class LicenceType(models.Model):
    """证照类型. `key` is what the catalog names (result.licence_type, material.licence_type);
    `code` is the national type code (issuing ministry's USCC + 3 digits, GB/T 36904)."""

    key = models.SlugField("类型标识", max_length=64, unique=True)
    code = models.CharField("证照类型代码", max_length=21, unique=True)
    name = models.CharField("证照名称", max_length=100)
    holder_kind = models.CharField("持证主体类型", max_length=16, choices=HolderKind.choices)
    # [{"key", "label", "source"}]: source is a form field key of the application, or
    # applicant.name / applicant.id / case.case_no / case.decided_on.
    fields = models.JSONField("照面信息项", default=list, blank=True)
    validity_years = models.PositiveSmallIntegerField("有效期（年）", null=True, blank=True)
    # The holder is the applicant unless the form names another person (e.g. the newborn's
    # parent applies: the certificate is the child's, kept in the parent's wallet).
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "证照类型"
        verbose_name_plural = "证照类型"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Licence(models.Model):
    """One version of an electronic licence, signed over its canonical record."""

    identifier = models.CharField("电子证照标识", max_length=120, unique=True)
    base = models.CharField("标识（不含版本）", max_length=110, db_index=True)
    version = models.PositiveSmallIntegerField("版本号", default=1)
    licence_type = models.ForeignKey(
        LicenceType, verbose_name="证照类型", on_delete=models.PROTECT, related_name="licences"
    )
    number = models.CharField("证照编号", max_length=64)
    holder_name = models.CharField("持证主体", max_length=200)
    holder_id = EncryptedTextField("持证主体代码")
    holder_id_digest = models.CharField("持证主体代码摘要", max_length=64, db_index=True)
    holder_id_masked = models.CharField("持证主体代码（脱敏）", max_length=32)
    holder_kind = models.CharField("持证主体类型", max_length=16, choices=HolderKind.choices)
    holder_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="证照夹账户",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="licences",
    )
    issuer = models.ForeignKey(
        "core.Department", verbose_name="颁发机构", on_delete=models.PROTECT, related_name="+"
    )
    issuer_code = models.CharField("颁发机构代码", max_length=18)
    issuer_name = models.CharField("颁发机构名称", max_length=200)
    issued_on = models.DateField("颁发日期")
    expires_on = models.DateField("有效期至", null=True, blank=True)
    data = models.JSONField("照面信息", default=dict)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="来源办件",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="licences",
    )
    status = models.CharField(
        "状态", max_length=16, choices=LicenceStatus.choices, default=LicenceStatus.VALID
    )
    status_reason = models.TextField("撤销或更正原因", blank=True)
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    key_id = models.CharField("签名密钥", max_length=64)
    algorithm = models.CharField("签名算法", max_length=16)
    signature = models.TextField("签名（Base64）")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "电子证照"
        verbose_name_plural = "电子证照"
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["base", "version"], name="licence_version_unique"),
            models.UniqueConstraint(
                fields=["base"],
                condition=Q(status="valid"),
                name="licence_one_valid_version",
            ),
        ]
        indexes = [
            models.Index(
                fields=["holder_id_digest", "licence_type", "status"], name="licence_holder_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.licence_type.name} {self.number}"

    def status_on(self, day: datetime.date) -> str:
        if self.status == LicenceStatus.VALID and self.expires_on and self.expires_on < day:
            return LicenceStatus.EXPIRED
        return self.status


class LicenceUse(models.Model):
    """A department used a licence in place of a material (无证明: never asked again)."""

    licence = models.ForeignKey(
        Licence, verbose_name="电子证照", on_delete=models.PROTECT, related_name="uses"
    )
    application = models.ForeignKey(
        "cases.Application", verbose_name="申请", on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name="办件",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    department = models.ForeignKey(
        "core.Department", verbose_name="用证部门", on_delete=models.PROTECT, related_name="+"
    )
    material_key = models.SlugField("替代材料", max_length=64)
    material_name = models.CharField("替代材料名称", max_length=200)
    used_at = models.DateTimeField("用证时间", auto_now_add=True)

    class Meta:
        verbose_name = "用证记录"
        verbose_name_plural = "用证记录"
        ordering = ["-used_at", "-id"]

    def __str__(self) -> str:
        return f"{self.material_name} ← {self.licence_id}"
