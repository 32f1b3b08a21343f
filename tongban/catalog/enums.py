"""Enumerations of the service catalog.

Values are short ASCII codes (national numeric codes where the exchange tables define them);
labels are the Chinese terms used in the UI and in the YAML catalog file.
"""

from django.db import models


class ItemType(models.TextChoices):
    # National 事项类型 codes (domain-china.md §2): 01 许可 … 20 公共服务.
    PERMIT = "01", "行政许可"
    PAYMENT = "05", "行政给付"
    CONFIRMATION = "07", "行政确认"
    AWARD = "08", "行政奖励"
    RULING = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    PUBLIC_SERVICE = "20", "公共服务"


class ServiceObject(models.TextChoices):
    PERSON = "1", "自然人"
    ENTERPRISE = "2", "企业法人"
    INSTITUTION = "3", "事业法人"
    SOCIAL_ORG = "4", "社会组织法人"
    UNINCORPORATED = "5", "非法人企业"
    AUTHORITY = "6", "行政机关"
    OTHER = "9", "其他组织"


class LimitUnit(models.TextChoices):
    WORKING = "working", "工作日"
    NATURAL = "natural", "自然日"


class CaseKind(models.TextChoices):
    IMMEDIATE = "immediate", "即办件"
    PROMISED = "promised", "承诺件"


class OnlineDepth(models.IntegerChoices):
    # 网上办理深度, national levels; 3 and above means an application can be made online.
    NONE = 0, "不可网办"
    GUIDE = 1, "网上咨询"
    FORMS = 2, "表格下载"
    PRE_REVIEW = 3, "网上预审"
    FULLY_ONLINE = 4, "全程网办"


class Delivery(models.TextChoices):
    WINDOW = "window", "窗口领取"
    MAIL = "mail", "邮寄"
    ELECTRONIC = "electronic", "电子送达"


class CrossRegion(models.TextChoices):
    NONE = "none", "不通办"
    CITY = "city", "全市通办"
    PROVINCE = "province", "全省通办"
    NATIONWIDE = "nationwide", "跨省通办"


class ApprovalMode(models.TextChoices):
    MANUAL = "manual", "人工审批"
    # 秒批: decided by the system on a published rule over the form and data checks.
    AUTO_RULE = "auto_rule", "秒批"
    # 告知承诺制审批: approved on the applicant's written commitment, verified afterwards.
    COMMITMENT = "commitment", "告知承诺"


class ResultType(models.TextChoices):
    CERTIFICATE = "certificate", "出证办结"
    DOCUMENT = "document", "出文办结"
    APPROVAL = "approval", "审批办结"


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", "原件"
    COPY = "copy", "复印件"
    BOTH = "both", "原件和复印件"


class MaterialFormat(models.TextChoices):
    PAPER = "paper", "纸质"
    ELECTRONIC = "electronic", "电子"
    EITHER = "either", "纸质或电子"


class Necessity(models.TextChoices):
    REQUIRED = "required", "必须"
    OPTIONAL = "optional", "非必须"
    DEFERRABLE = "deferrable", "容缺后补"


class MaterialSource(models.TextChoices):
    UPLOAD = "upload", "申请人提供"
    LICENCE = "licence", "电子证照"
    DATA_CHECK = "data_check", "数据核验"
    COMMITMENT = "commitment", "告知承诺"
    CANCELLED = "cancelled", "已取消"


# Sources the applicant does not hand anything in for: the platform fetches or checks it.
SOURCES_NOT_PROVIDED = frozenset(
    {MaterialSource.LICENCE, MaterialSource.DATA_CHECK, MaterialSource.CANCELLED}
)


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", "是否"
    SINGLE = "single", "单选"
    MULTIPLE = "multiple", "多选"
    NUMBER = "number", "数字"


YES_NO_OPTIONS = (("yes", "是"), ("no", "否"))


class FieldKind(models.TextChoices):
    TEXT = "text", "文本"
    DATE = "date", "日期"
    NUMBER = "number", "数字"
    CHOICE = "choice", "选项"
    RESIDENT_ID = "resident_id", "居民身份证号码"
    USCC = "uscc", "统一社会信用代码"
    PHONE = "phone", "手机号码"
    ADDRESS = "address", "地址"
    FILE = "file", "文件"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已被新版本取代"


class Audience(models.TextChoices):
    PERSON = "person", "个人"
    COMPANY = "company", "法人"
