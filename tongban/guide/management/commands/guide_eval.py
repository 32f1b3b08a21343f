"""Print the guide's top-1 and top-3 accuracy on a labelled query set, and its misses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.catalog.store import published_item_specs
from tongban.guide.evaluation import EVAL_SETS, evaluate, load_cases


class Command(BaseCommand):
    help = (
        "Evaluate smart guidance (智能导办) on tongban/guide/eval/queries.yaml "
        "(--set holdout: the held-out set; --file: any file in the same format)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--set", choices=sorted(EVAL_SETS), default="queries", help="a labelled set"
        )
        parser.add_argument("--file", help="labelled queries in the same format (over --set)")
        parser.add_argument("--misses", type=int, default=3, help="list misses at this depth")

    def handle(self, *args: Any, **options: Any) -> None:
        if not published_item_specs():
            raise CommandError("没有已发布的事项：请先运行 manage.py load_demo")
        path = Path(options["file"]) if options["file"] else EVAL_SETS[options["set"]]
        if not path.is_file():
            raise CommandError(f"找不到评测集文件：{path}")
        cases = load_cases(path)
        report = evaluate(cases)
        write = self.stdout.write
        write(f"set: {path.name}   queries: {len(cases)}")
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
