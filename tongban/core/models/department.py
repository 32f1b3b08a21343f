"""Departments (部门 / 实施机关) that own items and cases."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from tongban.core.identifiers import validate_uscc

from .region import Region


def _validate_uscc_field(value: str) -> None:
    result = validate_uscc(value)
    if not result.valid:
        raise ValidationError(result.reason or "统一社会信用代码无效")


class DepartmentKind(models.TextChoices):
    GOVERNMENT = "government", "政府工作部门"
    APPROVAL_BUREAU = "approval_bureau", "行政审批服务局"
    SERVICE_CENTER = "service_center", "政务服务中心"
    PUBLIC_INSTITUTION = "public_institution", "事业单位"
    MASS_ORGANISATION = "mass_organisation", "人民团体"
    VERTICAL = "vertical", "垂直管理部门"
    PUBLIC_UTILITY = "public_utility", "公共服务企业"


class Department(models.Model):
    code = models.SlugField("部门标识", max_length=64, unique=True)
    name = models.CharField("部门名称", max_length=128)
    short_name = models.CharField("简称", max_length=32, blank=True)
    region = models.ForeignKey(
        Region, verbose_name="所属区划", on_delete=models.PROTECT, related_name="departments"
    )
    uscc = models.CharField(
        "统一社会信用代码", max_length=18, unique=True, validators=[_validate_uscc_field]
    )
    kind = models.CharField("部门类型", max_length=32, choices=DepartmentKind.choices)
    phone = models.CharField("咨询电话", max_length=32, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["region_id", "name"]

    def __str__(self) -> str:
        return self.name
