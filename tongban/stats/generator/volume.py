"""How much arrives when, where, for what and through which channel.

- Days: working days carry the volume, Mondays most; weekends ≈ 10 % of a working day
  (online only), statutory holidays ≈ 5 %; mild growth (+30 % over the period).
- Items and bundles: Zipf-like, with household registration and social security on top.
- Channels: window ≈ 45 %, web ≈ 25 %, mobile ≈ 25 %, kiosk ≈ 5 % overall, the online
  share growing over the period.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate
from typing import Generic, TypeVar

from .calendar import FastCalendar
from .world import World

T = TypeVar("T")

WEEKDAY_FACTOR = (1.25, 1.05, 1.0, 0.95, 0.9, 0.9, 0.9)  # Mon … Sun (make-up working days)
WEEKEND_FACTOR = 0.10
HOLIDAY_FACTOR = 0.05
GROWTH = 0.30
BUNDLE_SHARE = 0.40

# Most-demanded first (by demo item id order is not meaningful, so by name keywords).
TOP_ITEM_WORDS = [
    "社会保障卡补领",
    "居住证",
    "社会保障卡申领",
    "职工基本医疗保险参保登记",
    "基本医疗保险参保人员信息变更",
    "居民身份证换领",
    "出生登记",
    "社会保障卡持卡人信息变更",
    "住房公积金个人信息变更",
    "个体工商户设立登记",
    "机动车驾驶证换证",
    "不动产转移登记（存量房买卖）",
    "存量房交易税费申报",
    "企业设立登记",
    "死亡登记",
    "姓名变更登记",
]
TOP_BUNDLES = [
    "newborn",
    "social_card",
    "real_estate_1160",
    "company_setup",
    "personal_info_change",
    "after_death",
    "retirement",
    "school_enrolment",
    "enterprise_change",
    "civil_servant_onboarding",
]


def day_weights(fc: FastCalendar, first: int, last: int) -> list[float]:
    span = max(1, last - first)
    weights = []
    for o in range(first, last + 1):
        weekday = (o + 6) % 7  # date.fromordinal(o).weekday()
        if fc.is_working(o):
            factor = WEEKDAY_FACTOR[weekday]
        elif fc.is_holiday(o):
            factor = HOLIDAY_FACTOR
        else:
            factor = WEEKEND_FACTOR
        weights.append(factor * (1 + GROWTH * (o - first) / span))
    return weights


def zipf(n: int, s: float = 1.0) -> list[float]:
    return [1 / (rank + 1) ** s for rank in range(n)]


class Picker(Generic[T]):
    """Weighted choice with precomputed cumulative weights (random.choices without setup)."""

    def __init__(self, rng: random.Random, values: list[T], weights: list[float]) -> None:
        self.rng = rng
        self.values = values
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def __call__(self) -> T:
        return self.values[bisect(self.cum, self.rng.random() * self.total)]


def item_order(world: World, rng: random.Random, names: dict[int, str]) -> list[int]:
    """Demo item ids from most to least demanded."""
    top: list[int] = []
    for word in TOP_ITEM_WORDS:
        for item_id in world.demo_items:
            if word in names[item_id] and item_id not in top:
                top.append(item_id)
                break
    rest = [i for i in world.demo_items if i not in top]
    rng.shuffle(rest)
    return top + rest


def bundle_order(world: World, rng: random.Random) -> list[int]:
    codes = [b.code for b in world.bundles]
    top = [codes.index(c) for c in TOP_BUNDLES if c in codes]
    rest = [i for i in range(len(codes)) if i not in top]
    rng.shuffle(rest)
    return top + rest


def channel_weights(progress: float, working: bool) -> list[float]:
    """(window, web, mobile, kiosk) at a point of the period; online only on rest days."""
    if not working:
        return [0.0, 0.45, 0.55, 0.0]
    window = 0.52 - 0.14 * progress
    kiosk = 0.05
    mobile = 0.20 + 0.10 * progress
    return [window, 1 - window - kiosk - mobile, mobile, kiosk]


CHANNELS = ["window", "web", "mobile", "kiosk"]
