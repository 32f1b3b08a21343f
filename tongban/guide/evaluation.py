"""The labelled query sets (eval/queries.yaml, eval/holdout.yaml) and their top-1 / top-3
accuracy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .search import GuideAnswer, GuideResult, guide_search

EVAL_DIR = Path(__file__).resolve().parent / "eval"
QUERIES_FILE = EVAL_DIR / "queries.yaml"
# Written before the second round of tuning; since round 3 a development set like
# queries.yaml. The honest measure is a blind set scored by someone else (docs/guide.md).
HOLDOUT_FILE = EVAL_DIR / "holdout.yaml"
# Written by someone who saw neither the engine, its synonyms nor the other sets, after the
# third round of tuning; scored once. The honest measure of generalisation.
BLIND_FILE = EVAL_DIR / "blind.yaml"
# The second blind set, written from the catalog alone before round 4 and scored once after
# it (docs/guide.md); a development set since.
BLIND2_FILE = EVAL_DIR / "blind2.yaml"
EVAL_SETS = {
    "queries": QUERIES_FILE,
    "holdout": HOLDOUT_FILE,
    "blind": BLIND_FILE,
    "blind2": BLIND2_FILE,
}


@dataclass(frozen=True)
class EvalCase:
    query: str
    expect: frozenset[str]  # "bundle:<code>" | "item:<code>"
    tag: str


@dataclass(frozen=True)
class EvalOutcome:
    case: EvalCase
    got: list[GuideResult]

    @property
    def rank(self) -> int | None:
        """1-based position of the first acceptable answer, None if not in the list."""
        for position, result in enumerate(self.got, start=1):
            if f"{result.kind}:{result.code}" in self.case.expect:
                return position
        return None


@dataclass
class EvalReport:
    outcomes: list[EvalOutcome]

    def accuracy(self, k: int, tag: str | None = None) -> float:
        chosen = [o for o in self.outcomes if tag is None or o.case.tag == tag]
        hits = sum(1 for o in chosen if o.rank is not None and o.rank <= k)
        return hits / len(chosen) if chosen else 0.0

    def tags(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for outcome in self.outcomes:
            counts[outcome.case.tag] += 1
        return dict(sorted(counts.items()))

    def misses(self, k: int) -> list[EvalOutcome]:
        return [o for o in self.outcomes if o.rank is None or o.rank > k]


def load_cases(path: Path = QUERIES_FILE) -> list[EvalCase]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        EvalCase(str(row["q"]), frozenset(row["expect"]), str(row.get("tag", "")))
        for row in data["queries"]
    ]


def evaluate(
    cases: list[EvalCase],
    depth: int = 10,
    search: Callable[[str, int], GuideAnswer] = guide_search,
) -> EvalReport:
    return EvalReport([EvalOutcome(case, search(case.query, depth).results) for case in cases])
