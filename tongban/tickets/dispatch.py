"""派单目录: which department leads (and which assist) for a ticket, suggested from the
catalogue (国办函〔2025〕66号: dispatch by a catalogue built from 三定/权责清单)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tongban.core.models import Department

from .models import DispatchRule


@dataclass(frozen=True)
class DispatchSuggestion:
    rule: DispatchRule
    lead: Department
    co: list[Department] = field(default_factory=list)
    matched_by: str = "keywords"  # "item" or "keywords"
    hits: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule.name,
            "lead": self.lead.code,
            "lead_name": self.lead.name,
            "co": [d.code for d in self.co],
            "co_names": [d.name for d in self.co],
            "matched_by": self.matched_by,
            "hits": self.hits,
        }


def _keyword_hits(rule: DispatchRule, text: str) -> list[str]:
    words = [str(w).strip().lower() for w in rule.keywords or [] if str(w).strip()]
    return sorted({w for w in words if w in text})


def suggest_dispatch(text: str, item_code: str | None = None) -> DispatchSuggestion | None:
    """The best active rule: an item mapping beats any keyword match; otherwise more
    distinct keyword hits win; ties go to the higher priority, then the older rule.
    Two queries however large the catalogue (rules, then their co-departments)."""
    rules = list(
        DispatchRule.objects.filter(is_active=True, lead_department__is_active=True)
        .select_related("lead_department")
        .prefetch_related("co_departments")
        .order_by("-priority", "id")
    )
    code = (item_code or "").strip().upper()
    if code:
        for rule in rules:  # already in tie-break order
            if rule.item_code and rule.item_code.upper() == code:
                return _suggestion(rule, "item", [])
    lowered = (text or "").lower()
    best: tuple[int, DispatchRule, list[str]] | None = None
    for rule in rules:
        hits = _keyword_hits(rule, lowered)
        # Strictly more hits replaces; equal hits keep the earlier (priority, id) rule.
        if hits and (best is None or len(hits) > best[0]):
            best = (len(hits), rule, hits)
    if best is None:
        return None
    return _suggestion(best[1], "keywords", best[2])


def _suggestion(rule: DispatchRule, matched_by: str, hits: list[str]) -> DispatchSuggestion:
    co = sorted(
        (d for d in rule.co_departments.all() if d.is_active and d.pk != rule.lead_department_id),
        key=lambda d: d.code,
    )
    return DispatchSuggestion(rule, rule.lead_department, co, matched_by, hits)
