"""12345 / 办不成事 工单 vocabulary (国办发〔2020〕53号, 国办函〔2025〕66号;
shared/reference/domain-china.md §5)."""

from __future__ import annotations

from django.db import models


class TicketType(models.TextChoices):
    CONSULT = "consult", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    SUGGESTION = "suggestion", "建议"
    PRAISE = "praise", "表扬"
    EMERGENCY = "emergency", "应急"


class TicketChannel(models.TextChoices):
    PHONE = "phone", "12345热线电话"
    WEB = "web", "网站"
    APP = "app", "移动端"
    WINDOW = "window", "“办不成事”反映窗口"


# Where each kind of account may log a ticket: the public online, the clerk at the
# 办不成事 window, the hotline operator for everything that reaches 12345 remotely.
CITIZEN_CHANNELS = frozenset({TicketChannel.WEB, TicketChannel.APP})
CLERK_CHANNELS = frozenset({TicketChannel.WINDOW})
HOTLINE_CHANNELS = frozenset({TicketChannel.PHONE, TicketChannel.WEB, TicketChannel.APP})


class TicketState(models.TextChoices):
    RECEIVED = "received", "已受理（待派单）"
    DISPATCHED = "dispatched", "已派单（待签收）"
    SIGNED = "signed", "已签收（办理中）"
    RETURNED = "returned", "已退回（待改派）"
    REPLIED = "replied", "已答复（待回访）"
    CLOSED = "closed", "已办结"
    MERGED = "merged", "已并单"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


class ExtensionStatus(models.TextChoices):
    NONE = "", "未申请"
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已同意"
    REFUSED = "refused", "未同意"
