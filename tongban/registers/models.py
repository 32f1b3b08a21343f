"""The built-in register (本地共享库): records of one register per person, kept in this
database. Provincial platforms hold such copies of the registers they are granted (data
pushed by the 数据共享交换平台 into a 前置库); the demo fills it with its own people.

People are found by the keyed digest of their ID number, as elsewhere (core.fieldcrypto):
the number itself is not stored here.
"""

from __future__ import annotations

from django.db import models


class RegisterRecord(models.Model):
    register = models.CharField("数据库名称", max_length=100)
    subject_digest = models.CharField("身份证号码摘要", max_length=64)
    subject_masked = models.CharField("身份证号码（脱敏）", max_length=32)
    subject_name = models.CharField("姓名", max_length=100)
    facts = models.JSONField("登记信息", default=dict)
    source = models.CharField("数据来源", max_length=100, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "共享库记录"
        verbose_name_plural = "共享库记录"
        ordering = ["register", "subject_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "subject_digest"], name="register_record_subject_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.register}：{self.subject_name}（{self.subject_masked}）"
