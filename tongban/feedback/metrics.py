"""好差评 figures (shared/reference/domain-china.md §9): 评价数, 满意率, 差评数, 差评整改率,
回访率 — per department, item or month, each grouping one aggregate query.

Definitions:
- 满意率 = satisfied / ratings. Whether 基本满意 counts as satisfied differs between provinces
  (Jiangsu publishes "基本满意以上"), so `TONGBAN_SATISFIED_INCLUDES_BASIC` decides.
- 差评 = a 不满意 or 非常不满意 rating, except one whose appeal the supervisor upheld
  (申诉成立: a mistaken or malicious rating is not counted against the unit).
- 差评整改率 = 差评 the unit has answered (replied or closed) / 差评.
- 回访率 = real-name 差评 followed up / real-name 差评: an anonymous rater cannot be called,
  and the rules require 100 % for real-name ones.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth

from tongban.core.rates import percentage

from .enums import BAD_LEVELS, Level, RectificationState
from .models import Rating

GROUPINGS = ("department", "item", "month")
ANSWERED = [RectificationState.REPLIED, RectificationState.CLOSED]
COUNTED_BAD = [s for s in RectificationState if s != RectificationState.VOIDED]


def satisfied_levels() -> list[int]:
    lowest = (
        Level.BASICALLY_SATISFIED
        if getattr(settings, "TONGBAN_SATISFIED_INCLUDES_BASIC", False)
        else Level.SATISFIED
    )
    return [level for level in Level.values if level >= lowest]


@dataclass(frozen=True)
class RatingFigures:
    key: str
    label: str
    ratings: int
    satisfied: int
    bad: int
    rectified: int
    follow_up_due: int
    followed_up: int

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return percentage(self.satisfied, self.ratings)

    @property
    def rectification_rate(self) -> Decimal | None:
        return percentage(self.rectified, self.bad)

    @property
    def follow_up_rate(self) -> Decimal | None:
        return percentage(self.followed_up, self.follow_up_due)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "ratings": self.ratings,
            "satisfied": self.satisfied,
            "satisfaction_rate": self.satisfaction_rate,
            "bad": self.bad,
            "rectified": self.rectified,
            "rectification_rate": self.rectification_rate,
            "follow_up_due": self.follow_up_due,
            "followed_up": self.followed_up,
            "follow_up_rate": self.follow_up_rate,
        }


def _counts() -> dict[str, Count]:
    bad = Q(level__in=list(BAD_LEVELS), rectification__state__in=COUNTED_BAD)
    real_name_bad = bad & Q(anonymous=False)
    return {
        "n_ratings": Count("id"),
        "n_satisfied": Count("id", filter=Q(level__in=satisfied_levels())),
        "n_bad": Count("id", filter=bad),
        "n_rectified": Count("id", filter=bad & Q(rectification__state__in=ANSWERED)),
        "n_follow_up_due": Count("id", filter=real_name_bad),
        "n_followed_up": Count(
            "id", filter=real_name_bad & Q(rectification__followed_up_at__isnull=False)
        ),
    }


def _figures(key: str, label: str, row: dict[str, Any]) -> RatingFigures:
    return RatingFigures(
        key=key,
        label=label,
        ratings=row["n_ratings"],
        satisfied=row["n_satisfied"],
        bad=row["n_bad"],
        rectified=row["n_rectified"],
        follow_up_due=row["n_follow_up_due"],
        followed_up=row["n_followed_up"],
    )


def rating_totals(ratings: QuerySet[Rating]) -> RatingFigures:
    """The figures over the whole set, in one query."""
    row = ratings.order_by().aggregate(**_counts())
    return _figures("all", "合计", row)


def rating_figures(ratings: QuerySet[Rating], by: str) -> list[RatingFigures]:
    """One row per department (by its code), item (实施编码; window visits together) or
    month (yyyy-mm, local time), in one query."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    ratings = ratings.order_by()
    rows: Any  # three differently typed values() querysets
    if by == "department":
        rows = ratings.values(key=F("department__code"), label=F("department__name"))
    elif by == "item":
        rows = ratings.values(key=F("case__item_code"), label=F("case__item_name"))
    else:
        rows = ratings.annotate(month=TruncMonth("created_at")).values("month")
    figures = []
    for row in rows.annotate(**_counts()):
        if by == "month":
            month: datetime.date = row["month"]
            key = label = f"{month:%Y-%m}"
        else:
            key = row["key"] or "window"
            label = row["label"] or "窗口服务（一次一评）"
        figures.append(_figures(key, label, row))
    return sorted(figures, key=lambda f: f.key, reverse=by == "month")


def in_period(
    ratings: QuerySet[Rating], start: datetime.date | None, end: datetime.date | None
) -> QuerySet[Rating]:
    """Ratings made on [start, end] (local dates)."""
    if start:
        ratings = ratings.filter(created_at__date__gte=start)
    if end:
        ratings = ratings.filter(created_at__date__lte=end)
    return ratings
