"""Enumerations of applications and cases.

Case states are our own short codes; each maps to the national exchange-table state number
(domain-china.md §3: 1 已接件 … 15 撤销) so an export to `up_pro_*` is a lookup, not a rule.
"""

from __future__ import annotations

from django.db import models


class Channel(models.TextChoices):
    WINDOW = "window", "窗口"
    WEB = "web", "网站"
    MOBILE = "mobile", "移动端"
    KIOSK = "kiosk", "自助终端"
    BANK = "bank", "银行网点"
    HOTLINE = "hotline", "热线"


class ApplicantKind(models.TextChoices):
    PERSON = "person", "自然人"
    COMPANY = "company", "法人"


class ActingAs(models.TextChoices):
    SELF = "self", "本人办理"
    AGENT = "agent", "代办人"
    PROXY_STAFF = "proxy_staff", "帮代办人员"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"


class Provision(models.TextChoices):
    """How one material of an application is provided."""

    UPLOAD = "upload", "已上传"
    COMMITMENT = "commitment", "告知承诺"
    DEFERRED = "deferred", "容缺后补"
    LICENCE = "licence", "电子证照免提交"
    DATA_CHECK = "data_check", "数据核验免提交"
    PRODUCED = "produced", "前置办件结果自动获取"
    PAPER = "paper", "窗口收取纸质材料"
    NOT_PROVIDED = "not_provided", "未提供"


class CaseState(models.TextChoices):
    WAITING = "waiting", "待前置"
    RECEIVED = "received", "已接件"
    SUPPLEMENT = "supplement", "待补正"
    IN_REVIEW = "in_review", "审查中"
    SPECIAL = "special", "特别程序中"
    APPROVED = "approved", "办结（准予）"
    APPROVED_DEFICIENT = "approved_deficient", "办结（容缺通过）"
    DENIED = "denied", "办结（不予许可）"
    DELIVERED = "delivered", "已送达"
    REFUSED = "refused", "不予受理"
    WITHDRAWN = "withdrawn", "已撤回"
    REVOKED = "revoked", "已撤销"
    CANCELLED = "cancelled", "已终止"


# National state numbers (domain-china.md §3). WAITING has no national number: the case is
# received by the platform but not yet handed to the department (we report it as 已接件).
NATIONAL_STATE = {
    CaseState.WAITING: 1,
    CaseState.RECEIVED: 1,
    CaseState.SUPPLEMENT: 6,
    CaseState.IN_REVIEW: 8,
    CaseState.SPECIAL: 9,
    CaseState.APPROVED: 11,
    CaseState.APPROVED_DEFICIENT: 12,
    CaseState.DENIED: 13,
    CaseState.DELIVERED: 11,
    CaseState.REFUSED: 5,
    CaseState.WITHDRAWN: 14,
    CaseState.REVOKED: 15,
    CaseState.CANCELLED: 2,
}

# How a state reads to the applicant, in plain words.
PLAIN_WORDS = {
    CaseState.WAITING: "等待前一个事项办结后自动开始，您无需再提交材料",
    CaseState.RECEIVED: "材料已收到，等待窗口审核受理",
    CaseState.SUPPLEMENT: "材料需要补正，请按一次性告知书补齐后重新提交",
    CaseState.IN_REVIEW: "已受理，部门正在审批",
    CaseState.SPECIAL: "正在进行特别程序（如听证、检测），这段时间不计入办理时限",
    CaseState.APPROVED: "已办结，准予办理，等待送达",
    CaseState.APPROVED_DEFICIENT: "已办结（容缺通过），请在规定日期前补齐材料",
    CaseState.DENIED: "已办结，不予许可，理由见决定书",
    CaseState.DELIVERED: "已办结并送达",
    CaseState.REFUSED: "不予受理，理由见不予受理通知书",
    CaseState.WITHDRAWN: "您已撤回申请",
    CaseState.REVOKED: "该办件的决定已被撤销",
    CaseState.CANCELLED: "前一个事项未获办理，本事项随之终止",
}

OPEN_STATES = frozenset(
    {
        CaseState.WAITING,
        CaseState.RECEIVED,
        CaseState.SUPPLEMENT,
        CaseState.IN_REVIEW,
        CaseState.SPECIAL,
    }
)
# Ended without a result in force: nothing more is supplied, checked or waited for.
ENDED_STATES = frozenset(
    {
        CaseState.REFUSED,
        CaseState.DENIED,
        CaseState.WITHDRAWN,
        CaseState.REVOKED,
        CaseState.CANCELLED,
    }
)
DECIDED_STATES = frozenset(
    {CaseState.APPROVED, CaseState.APPROVED_DEFICIENT, CaseState.DENIED, CaseState.DELIVERED}
)


class SpecialKind(models.TextChoices):
    # 行政许可法 §45: time for these is not counted in the statutory period.
    HEARING = "hearing", "听证"
    INSPECTION = "inspection", "检验"
    TESTING = "testing", "检测"
    QUARANTINE = "quarantine", "检疫"
    APPRAISAL = "appraisal", "鉴定"
    EXPERT_REVIEW = "expert_review", "专家评审"
    TENDER = "tender", "招标"
    AUCTION = "auction", "拍卖"


class DeliveryMethod(models.TextChoices):
    MAIL = "mail", "邮寄送达"
    PICKUP = "pickup", "窗口领取"
    ELECTRONIC = "electronic", "电子送达"


class WarningLevel(models.TextChoices):
    NORMAL = "normal", "正常"
    YELLOW = "yellow", "黄牌"
    RED = "red", "红牌"


class NoticeKind(models.TextChoices):
    ACCEPTANCE = "acceptance", "受理通知书"
    SUPPLEMENT = "supplement", "一次性告知书"
    REFUSAL = "refusal", "不予受理通知书"
    APPROVAL = "approval", "准予许可决定书"
    DENIAL = "denial", "不予许可决定书"


class DecisionBy(models.TextChoices):
    PERSON = "person", "人工审批"
    INSTANT = "instant", "即办"
    AUTO_RULE = "auto_rule", "秒批（系统自动审批）"
    COMMITMENT = "commitment", "告知承诺"


class VerificationStatus(models.TextChoices):
    OPEN = "open", "待核查"
    CONFIRMED = "confirmed", "核查属实"
    FALSE_COMMITMENT = "false_commitment", "承诺不实"
