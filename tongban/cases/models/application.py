"""Applications (申请): one applicant, one channel, one set of answers, form and materials."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from tongban.core.fieldcrypto import EncryptedJSONField, EncryptedTextField
from tongban.registers.contract import OUTCOME_LABELS, Outcome

from ..enums import ActingAs, ApplicantKind, ApplicationStatus, Channel, Provision


class Upload(models.Model):
    """A file received from a person, before (and independent of) the application using it.

    Uploading first and referring to the upload by id keeps the application request small and
    retryable; the checksum lets a clerk prove which file was received.
    """

    public_id = models.UUIDField("文件标识", default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField("文件", upload_to="materials/%Y/%m/%d/")
    original_name = models.CharField("原文件名", max_length=255)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    created_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "上传文件"
        verbose_name_plural = "上传文件"

    def __str__(self) -> str:
        return self.original_name


# Every GB/T 36904 licence identifier starts with this OID arc (licences/identifier.py).
LICENCE_ID_PREFIX = "1.2.156.3005.2."


class Application(models.Model):
    number = models.CharField("申请编号", max_length=32, unique=True, null=True, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    # What is applied for: a bundle (一件事) or a single item; the versions are pinned on the
    # cases at submission, and the bundle version here.
    bundle_version = models.ForeignKey(
        "catalog.BundleVersion",
        verbose_name="一件事版本",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    item = models.ForeignKey(
        "catalog.ServiceItem",
        verbose_name="单项事项",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    plan_code = models.CharField("一件事或事项编码", max_length=64)
    plan_name = models.CharField("名称", max_length=200)
    channel = models.CharField("申请渠道", max_length=16, choices=Channel.choices)

    applicant_kind = models.CharField(
        "申请人类型", max_length=16, choices=ApplicantKind.choices, default=ApplicantKind.PERSON
    )
    applicant_name = models.CharField("申请人", max_length=128, blank=True)
    # ID number (person) or credit code (company): encrypted, found through its digest.
    applicant_id = EncryptedTextField("证件号码", blank=True)
    applicant_id_digest = models.CharField("证件号码摘要", max_length=64, blank=True)
    applicant_id_masked = models.CharField("证件号码（脱敏）", max_length=32, blank=True)
    applicant_phone = EncryptedTextField("联系电话", blank=True)
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人账号",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    acting_as = models.CharField(
        "办理方式", max_length=16, choices=ActingAs.choices, default=ActingAs.SELF
    )
    agent_name = models.CharField("代办人", max_length=128, blank=True)
    agent_id = EncryptedTextField("代办人证件号码", blank=True)
    agent_id_masked = models.CharField("代办人证件号码（脱敏）", max_length=32, blank=True)
    proxy_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="帮代办人员",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # 帮代办: the citizen's recorded consent under which proxy_staff acts.
    proxy_mandate = models.ForeignKey(
        "cases.ProxyMandate",
        verbose_name="帮代办委托",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    # 免提交: the applicant agreed that held e-licences replace materials (kept on drafts too).
    licence_consent = models.BooleanField("同意调用电子证照", default=False)
    # The account that created the application (the applicant online, the clerk at a window).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="填报人", on_delete=models.PROTECT, related_name="+"
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接件人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    service_centre = models.ForeignKey(
        "core.Department",
        verbose_name="受理服务中心",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    answers = models.JSONField("情形回答", default=dict)
    form = EncryptedJSONField("表单数据", blank=True, default=dict)
    # NULL, not "": the unique constraint must ignore applications sent without a key.
    idempotency_key = models.CharField(  # noqa: DJ001
        "幂等键", max_length=100, null=True, blank=True
    )
    request_digest = models.CharField("请求摘要", max_length=64, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "申请"
        verbose_name_plural = "申请"
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="application_idempotency_unique",
            ),
            models.CheckConstraint(
                condition=Q(bundle_version__isnull=True) | Q(item__isnull=True),
                name="application_bundle_or_item",
            ),
        ]
        indexes = [
            models.Index(fields=["applicant_user", "-created_at"], name="application_owner_idx"),
            models.Index(fields=["applicant_id_digest"], name="application_id_digest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number or '草稿'} {self.plan_name}"

    @property
    def is_bundle(self) -> bool:
        return self.bundle_version_id is not None


class ApplicationMaterial(models.Model):
    """One material of the merged checklist and how this applicant provided it."""

    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.CASCADE, related_name="materials"
    )
    key = models.SlugField("材料标识", max_length=64)
    name = models.CharField("材料名称", max_length=200)
    necessity = models.CharField("必要性", max_length=16)
    provision = models.CharField("提供方式", max_length=16, choices=Provision.choices)
    upload = models.ForeignKey(
        Upload,
        verbose_name="文件",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="uses",
    )
    commitment_text = models.TextField("承诺内容", blank=True)
    committed_at = models.DateTimeField("承诺时间", null=True, blank=True)
    supply_by = models.DateField("容缺补交期限", null=True, blank=True)
    supplied_at = models.DateTimeField("补交时间", null=True, blank=True)
    # Where a material came from without the applicant: the upstream case, licence or register.
    source_ref = models.CharField("来源", max_length=200, blank=True)
    check_passed = models.BooleanField("核验通过", null=True, blank=True)
    # The registers' answers to a data check, as tongban.cases.data_checks records them
    # (also when a register was unavailable and the material was supplied otherwise).
    # Encrypted: the facts a register returns (marriage, address, insurance) are personal.
    check_answer = EncryptedJSONField("核验结果", default=dict, blank=True)
    items = models.JSONField("所需事项", default=list)
    replaced_at = models.DateTimeField("被替换时间", null=True, blank=True)
    created_at = models.DateTimeField("提交时间", auto_now_add=True)

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["application_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "key"],
                condition=Q(replaced_at__isnull=True),
                name="application_material_current_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def register_answers(self) -> list[dict[str, Any]]:
        """The registers' answers to this material's data check, for the approver."""
        answers = (self.check_answer or {}).get("answers", [])
        return [
            {**a, "label": OUTCOME_LABELS.get(str(a.get("outcome")), "未接入")}
            for a in answers
            if isinstance(a, dict)
        ]

    @property
    def checked_at_text(self) -> str:
        """When the registers were asked, as "2026-11-21 10:05" (stored in ISO format)."""
        return str((self.check_answer or {}).get("checked_at", ""))[:16].replace("T", " ")

    @property
    def register_was_down(self) -> bool:
        return any(a.get("outcome") == Outcome.UNAVAILABLE for a in self.register_answers)

    @property
    def licence_identifier(self) -> str:
        """The e-licence this material was taken from (免提交 or issued upstream), if any."""
        if self.provision == Provision.LICENCE or (
            self.provision == Provision.PRODUCED and self.source_ref.startswith(LICENCE_ID_PREFIX)
        ):
            return self.source_ref
        return ""
