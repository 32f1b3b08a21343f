"""Print the guide's top-1 and top-3 accuracy on the labelled query set, and its misses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.catalog.store import published_item_specs
from tongban.guide.evaluation import QUERIES_FILE, evaluate, load_cases


class Command(BaseCommand):
    help = "Evaluate smart guidance (智能导办) on tongban/guide/eval/queries.yaml."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--file", default=str(QUERIES_FILE), help="the labelled queries")
        parser.add_argument("--misses", type=int, default=3, help="list misses at this depth")

    def handle(self, *args: Any, **options: Any) -> None:
        if not published_item_specs():
            raise CommandError("没有已发布的事项：请先运行 manage.py load_demo")
        cases = load_cases(Path(options["file"]))
        report = evaluate(cases)
        write = self.stdout.write
        write(f"queries: {len(cases)}")
        write(f"top-1: {report.accuracy(1):.1%}   top-3: {report.accuracy(3):.1%}")
        for tag, count in report.tags().items():
            write(
                f"  {tag:<12} {count:>4}   top-1 {report.accuracy(1, tag):6.1%}"
                f"   top-3 {report.accuracy(3, tag):6.1%}"
            )
        depth = options["misses"]
        misses = report.misses(depth)
        if misses:
            write(f"misses at top-{depth} ({len(misses)}):")
        for outcome in misses:
            got = "; ".join(f"{r.kind}:{r.name}" for r in outcome.got[:3]) or "（无结果）"
            write(f"  [{outcome.case.tag}] {outcome.case.query}")
            write(f"      expected {', '.join(sorted(outcome.case.expect))}")
            write(f"      got      {got}")
