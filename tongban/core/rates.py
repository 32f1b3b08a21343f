"""One way to state a rate: a percentage, half up, or None when there is nothing to count —
never 0 % or 100 % made up from an empty base.

Service figures (满意率, 办结率, 整改率 …) keep two decimals, as they are published (Yueyang
12345: 办结率 99.88 %; near 100 % one decimal would round 99.96 up to 100.0). Reform figures
in the catalog keep one (材料精简率 89.5 %).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def percentage(part: int, whole: int, *, places: int = 2) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def percent_text(value: Decimal | None) -> str:
    """99.88 → "99.88%"; None → "—"."""
    return "—" if value is None else f"{value}%"
