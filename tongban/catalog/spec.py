"""The catalog as plain, validated data: the one shape shared by the YAML file, the Excel
sheets, the database and the pure functions (checklist, metrics, lint).

Choice values are stored as ASCII codes and written out as their Chinese labels, so the YAML
file reads like the 办事指南 a county clerk knows. Parsing reports the exact place of every
error (line and column in YAML; sheet, row and column in Excel).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.db import models
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from tongban.core.models import DepartmentKind

from .enums import (
    YES_NO_OPTIONS,
    ApprovalMode,
    Audience,
    CaseKind,
    CrossRegion,
    Delivery,
    FieldKind,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialFormat,
    MaterialSource,
    Necessity,
    OnlineDepth,
    QuestionKind,
    ResultType,
    ServiceObject,
)

FORMAT: Literal["tongban-catalog/1"] = "tongban-catalog/1"


def _parser(enum: type[models.Choices]) -> BeforeValidator:
    """Accept a choice's Chinese label (as written in files) or its stored value."""
    by_label = {str(label): value for value, label in enum.choices}
    values = {value for value, _ in enum.choices}

    def parse(raw: Any) -> Any:
        if isinstance(raw, str) and raw.strip() in by_label:
            return by_label[raw.strip()]
        if raw in values:
            return raw
        raise ValueError(f"“{raw}”不是有效选项，可选：{'、'.join(by_label)}")

    return BeforeValidator(parse)


def _label(enum: type[models.Choices]) -> PlainSerializer:
    labels = {value: str(label) for value, label in enum.choices}
    return PlainSerializer(lambda value: labels[value], return_type=str)


ItemTypeChoice = Annotated[str, _parser(ItemType), _label(ItemType)]
ServiceObjectChoice = Annotated[str, _parser(ServiceObject), _label(ServiceObject)]
LimitUnitChoice = Annotated[str, _parser(LimitUnit), _label(LimitUnit)]
CaseKindChoice = Annotated[str, _parser(CaseKind), _label(CaseKind)]
OnlineDepthChoice = Annotated[int, _parser(OnlineDepth), _label(OnlineDepth)]
DeliveryChoice = Annotated[str, _parser(Delivery), _label(Delivery)]
CrossRegionChoice = Annotated[str, _parser(CrossRegion), _label(CrossRegion)]
ApprovalModeChoice = Annotated[str, _parser(ApprovalMode), _label(ApprovalMode)]
ResultTypeChoice = Annotated[str, _parser(ResultType), _label(ResultType)]
MaterialFormChoice = Annotated[str, _parser(MaterialForm), _label(MaterialForm)]
MaterialFormatChoice = Annotated[str, _parser(MaterialFormat), _label(MaterialFormat)]
NecessityChoice = Annotated[str, _parser(Necessity), _label(Necessity)]
SourceChoice = Annotated[str, _parser(MaterialSource), _label(MaterialSource)]
QuestionKindChoice = Annotated[str, _parser(QuestionKind), _label(QuestionKind)]
FieldKindChoice = Annotated[str, _parser(FieldKind), _label(FieldKind)]
AudienceChoice = Annotated[str, _parser(Audience), _label(Audience)]
DepartmentKindChoice = Annotated[str, _parser(DepartmentKind), _label(DepartmentKind)]

Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
FieldKey = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
]
ItemCode = Annotated[str, Field(pattern=r"^[0-9A-Z-]{1,36}$")]
Text = Annotated[str, Field(max_length=4000)]


def _check_condition(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(
            '条件必须是只有一个运算符的 JSONLogic 对象，如 {"==": [{"var": "q"}, "yes"]}'
        )
    return value


Condition = Annotated[dict[str, Any] | None, BeforeValidator(_check_condition)]

# Everyday names (俗称/常用说法) of an item or a bundle: the words people, window clerks and
# hotline operators use for it (疫苗本, 小卖部, 过户), kept with the catalog entry like the
# 关键词/俗称 fields of provincial catalogs. The guide indexes them next to the name.
KEYWORD_MAX_CHARS = 20
MAX_KEYWORDS = 30
KEYWORDS_LABEL = "俗称/常用说法"


def check_keywords(raw: Any) -> Any:
    """Each keyword trimmed, non-empty, at most KEYWORD_MAX_CHARS characters and unique;
    at most MAX_KEYWORDS of them. Raises ValueError with a Chinese message."""
    if raw is None:
        return []
    if isinstance(raw, tuple):
        raw = list(raw)
    if not isinstance(raw, list):
        return raw  # pydantic reports the wrong type
    values = [v.strip() if isinstance(v, str) else v for v in raw]
    for position, value in enumerate(values, start=1):
        if not isinstance(value, str):
            raise ValueError(f"俗称第 {position} 个应为文本")
        if not value:
            raise ValueError(f"俗称第 {position} 个为空")
        if len(value) > KEYWORD_MAX_CHARS:
            raise ValueError(f"俗称“{value}”超过 {KEYWORD_MAX_CHARS} 个字符")
    _unique(values, "俗称")
    if len(values) > MAX_KEYWORDS:
        raise ValueError(f"俗称最多 {MAX_KEYWORDS} 个（现有 {len(values)} 个）")
    return values


Keywords = Annotated[list[str], BeforeValidator(check_keywords)]


class Spec(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, populate_by_name=True, frozen=True
    )


class Limit(Spec):
    days: int = Field(ge=0, le=3650)
    unit: LimitUnitChoice = LimitUnit.WORKING


class Option(Spec):
    value: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    label: Annotated[str, Field(min_length=1, max_length=100)]


def _unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what}“{value}”重复")
        seen.add(value)


class QuestionSpec(Spec):
    key: Slug
    text: Annotated[str, Field(min_length=1, max_length=200)]
    kind: QuestionKindChoice
    options: list[Option] = []
    when: Condition = None
    help: str = ""

    @model_validator(mode="after")
    def _options_fit_kind(self) -> QuestionSpec:
        values = [o.value for o in self.options]
        _unique(values, "选项")
        if self.kind == QuestionKind.YES_NO:
            if self.options and values != [v for v, _ in YES_NO_OPTIONS]:
                raise ValueError("“是否”题的选项固定为 yes（是）/ no（否），无需填写")
        elif self.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            if len(self.options) < 2:
                raise ValueError("单选、多选题至少需要两个选项")
        elif self.options:
            raise ValueError("数字题不能有选项")
        return self

    def option_values(self) -> list[str]:
        if self.kind == QuestionKind.YES_NO:
            return [v for v, _ in YES_NO_OPTIONS]
        return [o.value for o in self.options]

    def option_pairs(self) -> list[tuple[str, str]]:
        if self.kind == QuestionKind.YES_NO:
            return list(YES_NO_OPTIONS)
        return [(o.value, o.label) for o in self.options]


class MaterialSpec(Spec):
    key: Slug
    name: Annotated[str, Field(min_length=1, max_length=200)]
    form: MaterialFormChoice = MaterialForm.ORIGINAL
    format: MaterialFormatChoice = MaterialFormat.EITHER
    copies: int = Field(default=1, ge=1, le=99)
    necessity: NecessityChoice = Necessity.REQUIRED
    source: SourceChoice = MaterialSource.UPLOAD
    licence_type: str = ""
    data_register: str = Field(default="", alias="register")
    commitment: Text = ""
    standard: str = ""
    blank_form: str = ""
    sample: str = ""
    when: Condition = None


class FieldSpec(Spec):
    key: FieldKey
    label: Annotated[str, Field(min_length=1, max_length=100)]
    kind: FieldKindChoice
    required: bool = True
    options: list[Option] = []
    when: Condition = None
    help: str = ""

    @model_validator(mode="after")
    def _options_fit_kind(self) -> FieldSpec:
        _unique([o.value for o in self.options], "选项")
        if self.kind == FieldKind.CHOICE and len(self.options) < 2:
            raise ValueError("选项字段至少需要两个选项")
        if self.kind != FieldKind.CHOICE and self.options:
            raise ValueError("只有“选项”字段可以有选项")
        return self


def _step_from_name(raw: Any) -> Any:
    return {"name": raw} if isinstance(raw, str) else raw


def _step_to_yaml(step: StepSpec) -> Any:
    return step.name if step.days is None else {"name": step.name, "days": step.days}


class StepSpec(Spec):
    name: Annotated[str, Field(min_length=1, max_length=50)]
    days: int | None = Field(default=None, ge=0, le=3650)


Step = Annotated[StepSpec, BeforeValidator(_step_from_name), PlainSerializer(_step_to_yaml)]


class FeeSpec(Spec):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    standard: Annotated[str, Field(min_length=1, max_length=200)]
    basis: str = ""
    reducible: bool = False


class ResultSpec(Spec):
    type: ResultTypeChoice
    name: Annotated[str, Field(min_length=1, max_length=200)]
    licence_type: str = ""


class ApprovalSpec(Spec):
    """How the decision is made: by a person, by a published rule (秒批) or on commitment."""

    mode: ApprovalModeChoice = ApprovalMode.MANUAL
    # 秒批: JSONLogic over {"form": {<field key>: value}, "checks": {<material key>: bool}}.
    rule: Condition = None
    rule_text: Annotated[str, Field(max_length=500)] = ""  # the rule in words, shown to people
    # 告知承诺: the department verifies the commitment within this many working days.
    verify_days: int = Field(default=0, ge=0, le=365)

    @model_validator(mode="after")
    def _fits_mode(self) -> ApprovalSpec:
        if self.mode == ApprovalMode.AUTO_RULE and (self.rule is None or not self.rule_text):
            raise ValueError("秒批事项须填写审批规则及其文字说明")
        if self.mode != ApprovalMode.AUTO_RULE and self.rule is not None:
            raise ValueError("只有秒批事项可以填写审批规则")
        if self.mode == ApprovalMode.COMMITMENT and self.verify_days == 0:
            raise ValueError("告知承诺事项须填写事后核查时限（工作日）")
        return self


class ItemSpec(Spec):
    code: ItemCode
    basic_code: Annotated[str, Field(pattern=r"^[0-9A-Z]{12}$")]
    department: Slug
    name: Annotated[str, Field(min_length=1, max_length=200)]
    keywords: Keywords = []
    type: ItemTypeChoice
    service_objects: list[ServiceObjectChoice] = Field(min_length=1)
    statutory_limit: Limit
    promised_limit: Limit
    case_kind: CaseKindChoice
    visits: int = Field(ge=0, le=10)
    visits_reason: str = ""
    online_depth: OnlineDepthChoice = OnlineDepth.NONE
    delivery: list[DeliveryChoice] = []
    cross_region: CrossRegionChoice = CrossRegion.NONE
    legal_basis: Text = ""
    accept_conditions: Text = ""
    result: ResultSpec
    approval: ApprovalSpec = ApprovalSpec()
    location: str = ""
    hours: str = ""
    phone: str = ""
    steps: list[Step] = []
    fees: list[FeeSpec] = []
    questions: list[QuestionSpec] = []
    materials: list[MaterialSpec] = []
    fields: list[FieldSpec] = []

    @model_validator(mode="after")
    def _keys_unique(self) -> ItemSpec:
        _unique([q.key for q in self.questions], "问题标识")
        _unique([m.key for m in self.materials], "材料标识")
        _unique([f.key for f in self.fields], "字段标识")
        return self

    def material(self, key: str) -> MaterialSpec | None:
        return next((m for m in self.materials if m.key == key), None)


class MemberSpec(Spec):
    item: ItemCode
    when: Condition = None


def _member_from_code(raw: Any) -> Any:
    return {"item": raw} if isinstance(raw, str) else raw


Member = Annotated[MemberSpec, BeforeValidator(_member_from_code)]


class EdgeSpec(Spec):
    upstream: ItemCode = Field(alias="from")
    downstream: ItemCode = Field(alias="to")
    satisfies: str = ""


class BundleSpec(Spec):
    code: Slug
    name: Annotated[str, Field(min_length=1, max_length=100)]
    keywords: Keywords = []
    audience: AudienceChoice
    theme: str = ""
    lead_department: Slug
    description: Text = ""
    steps: list[Annotated[str, Field(min_length=1, max_length=50)]] = []
    questions: list[QuestionSpec] = []
    items: list[Member] = Field(min_length=1)
    edges: list[EdgeSpec] = []

    @model_validator(mode="after")
    def _keys_unique(self) -> BundleSpec:
        _unique([q.key for q in self.questions], "问题标识")
        _unique([m.item for m in self.items], "事项")
        _unique([f"{e.upstream}→{e.downstream}" for e in self.edges], "前后置关系")
        return self

    def member_codes(self) -> list[str]:
        return [m.item for m in self.items]


class DepartmentSpec(Spec):
    code: Slug
    name: Annotated[str, Field(min_length=1, max_length=128)]
    short_name: str = ""
    region: Annotated[str, Field(pattern=r"^\d{6}(\d{6})?$")]
    uscc: Annotated[str, Field(min_length=18, max_length=18)]
    kind: DepartmentKindChoice
    phone: str = ""

    @field_validator("uscc")
    @classmethod
    def _uscc_valid(cls, value: str) -> str:
        from tongban.core.identifiers import validate_uscc

        check = validate_uscc(value)
        if not check.valid:
            raise ValueError(check.reason)
        return check.normalized


class CatalogSpec(Spec):
    format: Literal["tongban-catalog/1"]
    note: Text = ""
    departments: list[DepartmentSpec] = []
    items: list[ItemSpec] = []
    bundles: list[BundleSpec] = []

    @model_validator(mode="after")
    def _codes_unique(self) -> CatalogSpec:
        _unique([d.code for d in self.departments], "部门标识")
        _unique([i.code for i in self.items], "事项编码")
        _unique([b.code for b in self.bundles], "一件事标识")
        return self

    def items_by_code(self) -> dict[str, ItemSpec]:
        return {item.code: item for item in self.items}
