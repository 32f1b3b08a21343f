"""好差评 vocabulary (国办发〔2019〕51号; shared/reference/domain-china.md §4)."""

from __future__ import annotations

from django.db import models


class Level(models.IntegerChoices):
    """Five levels; the platform interfaces map 5 = 非常满意 … 1 = 非常不满意."""

    VERY_SATISFIED = 5, "非常满意"
    SATISFIED = 4, "满意"
    BASICALLY_SATISFIED = 3, "基本满意"
    DISSATISFIED = 2, "不满意"
    VERY_DISSATISFIED = 1, "非常不满意"


BAD_LEVELS = frozenset({Level.DISSATISFIED, Level.VERY_DISSATISFIED})  # 差评


class Stage(models.TextChoices):
    """What is rated: a case at 受理 or 办结 (网上"一事一评", the evalProcess 1/2 of the
    provincial interfaces), or one visit to a window (现场"一次一评")."""

    ACCEPT = "accept", "受理阶段"
    COMPLETE = "complete", "办结阶段"
    WINDOW = "window", "窗口服务"


class RatingChannel(models.TextChoices):
    WEB = "web", "网上办事大厅"
    APP = "app", "移动端"
    WINDOW_PAD = "window_pad", "窗口评价器"
    SMS = "sms", "短信邀评"
    HOTLINE = "hotline", "12345热线"


# The indicators asked per channel kind (online platform vs. in person).
ONLINE_INDICATORS = ("整体满意度", "办事效率", "办事指南精确度", "办事便捷度", "平台操作性")
OFFLINE_INDICATORS = ("整体满意度", "服务效率", "服务水平", "服务态度")
OFFLINE_CHANNELS = frozenset({RatingChannel.WINDOW_PAD})


class RectificationState(models.TextChoices):
    OPEN = "open", "待回访"
    FOLLOWED_UP = "followed_up", "整改中"
    REPLIED = "replied", "已答复"
    APPEALED = "appealed", "申诉复核中"
    VOIDED = "voided", "申诉成立（不计差评）"
    CLOSED = "closed", "已办结"


class Finding(models.TextChoices):
    """谁办理、谁负责: what the department found after the follow-up call."""

    IMMEDIATE = "immediate", "情况属实，立行立改"
    DEADLINE = "deadline", "情况复杂，限期整改"
    EXPLAIN = "explain", "无法定依据，解释说明"


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", "电话回访"
    VISIT = "visit", "上门回访"
    SMS = "sms", "短信回访"
    NONE = "none", "无法回访（匿名评价）"
