"""Service items (政务服务事项) and the versioned content hanging off them."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from ..enums import (
    ApprovalMode,
    CaseKind,
    CrossRegion,
    FieldKind,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialFormat,
    MaterialSource,
    Necessity,
    OnlineDepth,
    ResultType,
    VersionStatus,
)
from .base import DraftOnlyChild, QuestionBase, VersionedContent

basic_code_validator = RegexValidator(r"^[0-9A-Z]{12}$", "基本编码应为12位数字或大写字母。")
implementation_code_validator = RegexValidator(
    r"^[0-9A-Z-]{1,36}$", "实施编码应为不超过36位的数字、大写字母或连字符。"
)


class ServiceItem(models.Model):
    """The stable identity of an item; its content lives in versions."""

    code = models.CharField(
        "实施编码", max_length=36, unique=True, validators=[implementation_code_validator]
    )
    basic_code = models.CharField("基本编码", max_length=12, validators=[basic_code_validator])
    department = models.ForeignKey(
        "core.Department", verbose_name="实施机关", on_delete=models.PROTECT, related_name="items"
    )
    published = models.OneToOneField(
        "ItemVersion",
        verbose_name="现行版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "政务服务事项"
        verbose_name_plural = "政务服务事项"
        ordering = ["code"]

    def __str__(self) -> str:
        version = self.published
        return f"{version.name if version else self.code}"


class ItemVersion(VersionedContent):
    item = models.ForeignKey(
        ServiceItem, verbose_name="事项", on_delete=models.CASCADE, related_name="versions"
    )
    name = models.CharField("事项名称", max_length=200)
    # Everyday names (俗称/常用说法), a list of short strings: see catalog.spec.check_keywords.
    keywords = models.JSONField("俗称/常用说法", default=list, blank=True)
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    service_objects = models.JSONField("服务对象", default=list)
    statutory_limit = models.PositiveIntegerField("法定办结时限")
    statutory_unit = models.CharField(
        "法定时限单位", max_length=8, choices=LimitUnit.choices, default=LimitUnit.WORKING
    )
    promised_limit = models.PositiveIntegerField("承诺办结时限")
    promised_unit = models.CharField(
        "承诺时限单位", max_length=8, choices=LimitUnit.choices, default=LimitUnit.WORKING
    )
    case_kind = models.CharField("办件类型", max_length=16, choices=CaseKind.choices)
    visits = models.PositiveSmallIntegerField("到办事现场次数", default=0)
    visits_reason = models.CharField("必须现场办理原因", max_length=300, blank=True)
    online_depth = models.PositiveSmallIntegerField(
        "网上办理深度", choices=OnlineDepth.choices, default=OnlineDepth.NONE
    )
    delivery = models.JSONField("送达方式", default=list)
    cross_region = models.CharField(
        "通办范围", max_length=16, choices=CrossRegion.choices, default=CrossRegion.NONE
    )
    legal_basis = models.TextField("设定依据", blank=True)
    accept_conditions = models.TextField("受理条件", blank=True)
    result_type = models.CharField("审批结果类型", max_length=16, choices=ResultType.choices)
    result_name = models.CharField("审批结果名称", max_length=200)
    result_licence_type = models.SlugField("结果证照类型", max_length=64, blank=True)
    approval_mode = models.CharField(
        "审批方式", max_length=16, choices=ApprovalMode.choices, default=ApprovalMode.MANUAL
    )
    approval_rule = models.JSONField("秒批规则（JSONLogic）", null=True, blank=True)
    approval_rule_text = models.CharField("秒批规则说明", max_length=500, blank=True)
    verify_days = models.PositiveSmallIntegerField("事后核查时限（工作日）", default=0)
    location = models.CharField("办理地点", max_length=300, blank=True)
    hours = models.CharField("办理时间", max_length=200, blank=True)
    phone = models.CharField("咨询电话", max_length=64, blank=True)

    class Meta:
        verbose_name = "事项版本"
        verbose_name_plural = "事项版本"
        ordering = ["item_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="item_version_number_unique"),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status=VersionStatus.DRAFT),
                name="item_single_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（第{self.number}版·{self.get_status_display()}）"


class Material(DraftOnlyChild):
    version = models.ForeignKey(
        ItemVersion, verbose_name="事项版本", on_delete=models.CASCADE, related_name="materials"
    )
    key = models.SlugField("材料标识", max_length=64)
    name = models.CharField("材料名称", max_length=200)
    form = models.CharField(
        "材料形式", max_length=16, choices=MaterialForm.choices, default=MaterialForm.ORIGINAL
    )
    format = models.CharField(
        "载体", max_length=16, choices=MaterialFormat.choices, default=MaterialFormat.EITHER
    )
    copies = models.PositiveSmallIntegerField("份数", default=1)
    necessity = models.CharField(
        "必要性", max_length=16, choices=Necessity.choices, default=Necessity.REQUIRED
    )
    source = models.CharField(
        "来源渠道", max_length=16, choices=MaterialSource.choices, default=MaterialSource.UPLOAD
    )
    licence_type = models.SlugField("电子证照类型", max_length=64, blank=True)
    register = models.CharField("核验数据库", max_length=100, blank=True)
    commitment = models.TextField("承诺内容", blank=True)
    standard = models.CharField("受理标准", max_length=300, blank=True)
    blank_form = models.CharField("空白表格", max_length=200, blank=True)
    sample = models.CharField("示例样表", max_length=200, blank=True)
    when = models.JSONField("适用条件（JSONLogic）", null=True, blank=True)

    class Meta(DraftOnlyChild.Meta):
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="material_key_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ItemQuestion(QuestionBase):
    version = models.ForeignKey(
        ItemVersion, verbose_name="事项版本", on_delete=models.CASCADE, related_name="questions"
    )

    class Meta(QuestionBase.Meta):
        verbose_name = "情形问题"
        verbose_name_plural = "情形问题"
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="item_question_key_unique"),
        ]


class FormField(DraftOnlyChild):
    version = models.ForeignKey(
        ItemVersion, verbose_name="事项版本", on_delete=models.CASCADE, related_name="fields"
    )
    key = models.CharField(
        "共享字段标识",
        max_length=64,
        validators=[
            RegexValidator(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", "字段标识格式不正确。")
        ],
    )
    label = models.CharField("字段名称", max_length=100)
    kind = models.CharField("字段类型", max_length=16, choices=FieldKind.choices)
    required = models.BooleanField("必填", default=True)
    options = models.JSONField("选项", default=list, blank=True)
    when = models.JSONField("适用条件（JSONLogic）", null=True, blank=True)
    help = models.CharField("填写说明", max_length=300, blank=True)

    class Meta(DraftOnlyChild.Meta):
        verbose_name = "表单字段"
        verbose_name_plural = "表单字段"
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="form_field_key_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class ReviewStep(DraftOnlyChild):
    version = models.ForeignKey(
        ItemVersion, verbose_name="事项版本", on_delete=models.CASCADE, related_name="steps"
    )
    name = models.CharField("环节名称", max_length=50)
    days = models.PositiveSmallIntegerField("环节时限（工作日）", null=True, blank=True)

    class Meta(DraftOnlyChild.Meta):
        verbose_name = "审批环节"
        verbose_name_plural = "审批环节"

    def __str__(self) -> str:
        return self.name


class Fee(DraftOnlyChild):
    version = models.ForeignKey(
        ItemVersion, verbose_name="事项版本", on_delete=models.CASCADE, related_name="fees"
    )
    name = models.CharField("收费项目", max_length=100)
    standard = models.CharField("收费标准", max_length=200)
    basis = models.CharField("收费依据", max_length=300, blank=True)
    reducible = models.BooleanField("允许减免", default=False)

    class Meta(DraftOnlyChild.Meta):
        verbose_name = "收费项目"
        verbose_name_plural = "收费项目"

    def __str__(self) -> str:
        return self.name
