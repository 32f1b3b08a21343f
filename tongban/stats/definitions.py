"""Every figure's definition — label, formula, source — shown one click from the figure and
served by the API, so a number on the dashboard is never without its meaning.

Formulas follow the reference definitions (domain-china.md §9: 办结率 = 已办结/已受理,
按期办结率 = 按期办结/办结, 网上办理率, 满意率 …).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

FLOWS = "办件事件汇总表（由审计链增量汇总，可用 manage.py stats_rebuild 重建）"
LIVE = "办件表实时查询（不经汇总表）"


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    formula: str
    source: str


DEFINITIONS = {
    d.key: d
    for d in [
        Definition("received", "收件量", "期间内提交的申请所生成的办件数（一件事按事项计）", FLOWS),
        Definition("accepted", "受理量", "期间内受理的办件数", FLOWS),
        Definition(
            "completed", "办结量", "期间内作出决定的办件数：准予 + 容缺通过 + 不予许可", FLOWS
        ),
        Definition("completion_rate", "办结率", "办结量 ÷ 受理量 × 100%（同一期间）", FLOWS),
        Definition(
            "on_time_rate_promised",
            "按承诺时限办结率",
            "在承诺办结期限当日或之前办结的办件数 ÷ 办结量 × 100%",
            FLOWS,
        ),
        Definition(
            "on_time_rate_statutory",
            "按法定时限办结率",
            "在法定办结期限当日或之前办结的办件数 ÷ 办结量 × 100%",
            FLOWS,
        ),
        Definition(
            "average_working_days",
            "平均办理用时",
            "受理次日至办结日的工作日数（扣除特别程序）之和 ÷ 有用时记录的办结量",
            FLOWS,
        ),
        Definition(
            "p90_working_days",
            "90%办件用时",
            "按办理用时从短到长排列，第 90% 位（最近秩法）办件的工作日数",
            FLOWS,
        ),
        Definition(
            "online_rate", "网上办理率", "网站与移动端收件量 ÷ 全部渠道收件量 × 100%", FLOWS
        ),
        Definition(
            "supplement_rate",
            "补正率",
            "期间内一次性告知补正的次数 ÷ 收件量 × 100%（偏高说明办事指南不清楚）",
            FLOWS,
        ),
        Definition(
            "refusal_rate",
            "不予受理率",
            "不予受理数 ÷（受理量 + 不予受理数）× 100%",
            FLOWS,
        ),
        Definition("denial_rate", "不予许可率", "不予许可数 ÷ 办结量 × 100%", FLOWS),
        Definition(
            "backlog",
            "在办量",
            "当前处于待前置、已接件、待补正、审查中、特别程序中的办件数（不受期间影响）",
            FLOWS,
        ),
        Definition(
            "red",
            "红牌",
            "审查中且已超过承诺办结期限的办件（特别程序中暂停计时的不计）",
            LIVE,
        ),
        Definition(
            "yellow",
            "黄牌",
            "审查中且距承诺办结期限不超过 TONGBAN_YELLOW_DAYS 个工作日（默认 2）的办件",
            LIVE,
        ),
    ]
}


def definitions_payload() -> dict[str, dict[str, str]]:
    return {key: asdict(d) for key, d in DEFINITIONS.items()}
