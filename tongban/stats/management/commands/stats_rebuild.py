from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tongban.stats.fold import REBUILD_CHUNK, rebuild_rollups


class Command(BaseCommand):
    help = (
        "Rebuild every statistics rollup from the audit chain (after a definition changed or "
        "to check the incremental totals). Runs in one transaction: dashboards keep showing "
        "the old figures until it commits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--chunk", type=int, default=REBUILD_CHUNK, help="events folded per SQL pass"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 1
        progress = self.stdout.write if verbose else None
        result = rebuild_rollups(chunk=options["chunk"], progress=progress)
        self.stdout.write(f"统计汇总已重建：{result.events} 条事件，用时 {result.seconds:.1f} 秒")
