"""Accounts and role assignments scoped to a department and/or a region."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from tongban.core.fieldcrypto import EncryptedTextField, lookup_digest

from .department import Department
from .region import Region


class Role(models.TextChoices):
    CITIZEN = "citizen", "自然人"
    COMPANY = "company", "法人"
    CLERK = "clerk", "综合窗口受理人员"
    APPROVER = "approver", "部门审批人员"
    CATALOG_ADMIN = "catalog_admin", "事项管理员"
    SUPERVISOR = "supervisor", "效能监督人员"
    HOTLINE = "hotline", "12345话务员"
    SYSADMIN = "sysadmin", "系统管理员"


# Staff roles act for the government; the other two are the people served.
STAFF_ROLES = frozenset(Role) - {Role.CITIZEN, Role.COMPANY}
# Roles whose work belongs to one department; an assignment without one is meaningless.
DEPARTMENT_ROLES = frozenset({Role.APPROVER})


class User(AbstractUser):
    full_name = models.CharField("姓名/名称", max_length=128, blank=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    # Encrypted at rest; found by its keyed digest (fieldcrypto.py).
    id_number = EncryptedTextField("公民身份号码", blank=True)
    id_number_digest = models.CharField(
        "公民身份号码摘要", max_length=64, blank=True, db_index=True, editable=False
    )
    uscc = models.CharField("统一社会信用代码", max_length=18, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.id_number_digest = lookup_digest(self.id_number or "")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "id_number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "id_number_digest"}
        super().save(*args, **kwargs)

    def assignments_by_role(self) -> dict[str, list[RoleAssignment]]:
        """This user's role assignments, loaded once per instance (i.e. once per request)."""
        cached: dict[str, list[RoleAssignment]] | None = getattr(self, "_assignments", None)
        if cached is None:
            cached = {}
            for assignment in self.role_assignments.select_related("department__region", "region"):
                cached.setdefault(assignment.role, []).append(assignment)
            self._assignments = cached
        return cached

    def role_codes(self) -> set[str]:
        return set(self.assignments_by_role())

    def has_role(self, role: str) -> bool:
        return role in self.role_codes()


class RoleAssignment(models.Model):
    user = models.ForeignKey(
        User, verbose_name="用户", on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    department = models.ForeignKey(
        Department,
        verbose_name="所属部门",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
    )
    region = models.ForeignKey(
        Region,
        verbose_name="管辖区划",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
    )

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "department", "region"],
                name="unique_role_assignment",
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.APPROVER) | models.Q(department__isnull=False),
                name="approver_needs_department",
            ),
        ]

    def __str__(self) -> str:
        scope = self.department or self.region or "全局"
        return f"{self.user} · {self.get_role_display()} · {scope}"

    def clean(self) -> None:
        if self.role in DEPARTMENT_ROLES and self.department_id is None:
            raise ValidationError({"department": "部门审批人员必须指定所属部门"})
