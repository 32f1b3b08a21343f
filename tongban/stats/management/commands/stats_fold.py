import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from tongban.stats.fold import fold_pending

# One fold reads at most this many events, so a long backlog is caught up in short
# transactions that never hold the cursor lock for long.
BATCH = 200_000


class Command(BaseCommand):
    help = (
        "Fold the audit events appended since the last fold into the statistics rollups. "
        "With --follow, keep doing it every --interval seconds (what `make run` does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--follow", action="store_true", help="keep folding until stopped")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between folds")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            result = fold_pending(limit=BATCH)
            if result.events or not options["follow"]:
                self.stdout.write(
                    f"统计汇总：{result.events} 条事件（至序号 {result.to_seq}），"
                    f"用时 {result.seconds * 1000:.0f} 毫秒"
                )
            if not options["follow"]:
                if result.events == BATCH:
                    continue  # more waiting: a one-off run catches up completely
                return
            if result.events < BATCH:
                close_old_connections()
                time.sleep(options["interval"])
