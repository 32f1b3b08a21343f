"""Benchmark the statistics endpoints (issue 7) on a generated database.

Run against a database filled by `manage.py stats_generate` (docs/performance.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_bench10m \\
        .venv/bin/python bench/bench_stats.py [--rebuild] [--requests 300]

1. `--rebuild` times a full rollup rebuild (`tongban.stats.fold.rebuild_rollups`) first;
   without it the rollups must already be there (a warning is printed if they are empty).
2. Then, logged in as the demo supervisor (region 岳阳市), it requests each query string of
   `GET /api/v1/stats/overview` and `GET /api/v1/stats/warnings` N times through
   django.test.Client (in process: the figures are the application's and the database's
   time, without HTTP or gunicorn) after a warm-up, and prints p50/p95/p99/max in ms.

Targets (issue 7): overview p99 ≤ 150 ms, warnings p99 ≤ 100 ms, full rebuild ≤ 10 minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TONGBAN_DEMO", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
if "DATABASE_URL" not in os.environ:
    sys.exit("DATABASE_URL must name a database filled by `manage.py stats_generate`.")

import django

django.setup()

from benchlib import approx_rows, percentile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from tongban.stats.fold import REBUILD_CHUNK  # noqa: E402

OVERVIEW = "/api/v1/stats/overview"
WARNINGS = "/api/v1/stats/warnings"
TARGETS = {OVERVIEW: 150.0, WARNINGS: 100.0}
WARM_UP = 5
END = "2026-11-20"  # the generator's default last day
LAST_30 = "from=2026-10-22&to=2026-11-20"
LAST_YEAR = "from=2025-11-21&to=2026-11-20"


def queries() -> list[tuple[str, str]]:
    from tongban.core.models import Department

    department = (
        Department.objects.filter(code="430621-gongan").values_list("pk", flat=True).first()
        or Department.objects.filter(code="yy-gongan").values_list("pk", flat=True).get()
    )
    return [
        (OVERVIEW, ""),
        (OVERVIEW, LAST_30),
        (OVERVIEW, LAST_YEAR),
        (OVERVIEW, "region=430621"),
        (OVERVIEW, f"department={department}"),
        (OVERVIEW, "bundle=newborn"),
        (WARNINGS, ""),
        (WARNINGS, "level=red"),
        (WARNINGS, f"department={department}"),
        (WARNINGS, "region=430621"),
    ]


def measure(client: Client, path: str, query: str, n: int) -> list[float] | str:
    url = f"{path}?{query}" if query else path
    for _ in range(WARM_UP):
        response = client.get(url)
        if response.status_code != 200:
            return f"HTTP {response.status_code}: {response.content[:200].decode(errors='replace')}"
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1e3)
        assert response.status_code == 200, response.content[:200]
    return samples


def rebuild(chunk: int) -> None:
    from tongban.stats.fold import rebuild_rollups

    print("Rebuilding the rollups from the audit chain …", flush=True)
    started = time.perf_counter()
    result = rebuild_rollups(chunk=chunk, progress=lambda line: print(line, flush=True))
    seconds = time.perf_counter() - started
    print(
        f"| full rollup rebuild | {result.events:,} events | {seconds:,.1f} s "
        f"({result.events / max(seconds, 1e-9):,.0f} events/s) | target ≤ 600 s |"
    )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="time a full rollup rebuild first")
    parser.add_argument(
        "--chunk", type=int, default=REBUILD_CHUNK, help="events per fold pass of the rebuild"
    )
    parser.add_argument("--requests", type=int, default=300, help="requests per query string")
    args = parser.parse_args()

    from tongban.cases.models import Case
    from tongban.core.models import AuditChainHead, User

    setup_test_environment()  # lets django.test.Client's "testserver" host in
    # As tongban/wsgi.py does in every serving process: without it, full garbage collections
    # of the whole loaded application (~100 ms) land in a few requests of every 300.
    from tongban.core.startup import settle_process

    settle_process()
    head = AuditChainHead.objects.filter(chain="main").values_list("last_seq", flat=True).first()
    print(
        f"Database {connection.settings_dict['NAME']}: ~{approx_rows(Case):,} cases, "
        f"audit chain at seq {head or 0:,}"
    )
    if args.rebuild:
        rebuild(args.chunk)
    else:
        from tongban.stats.models import FlowRegionDay

        if not FlowRegionDay.objects.exists():
            print("warning: the rollups are empty; run with --rebuild (or manage.py stats_rebuild)")

    client = Client()
    client.force_login(User.objects.get(username="supervisor"))
    print(f"{args.requests} requests per row after {WARM_UP} warm-up requests; times in ms.")
    print()
    print("| endpoint | query | p50 | p95 | p99 | max | target p99 |")
    print("|---|---|---:|---:|---:|---:|---|")
    worst: dict[str, float] = {}
    for path, query in queries():
        result = measure(client, path, query, args.requests)
        name = path.removeprefix("/api/v1")
        if isinstance(result, str):
            print(f"| `{name}` | `{query or '(default)'}` | {result} | | | | |")
            continue
        p99 = percentile(result, 99)
        worst[path] = max(worst.get(path, 0.0), p99)
        print(
            f"| `{name}` | `{query or '(default: last 30 days)'}` | "
            f"{statistics.median(result):.1f} | {percentile(result, 95):.1f} | {p99:.1f} | "
            f"{max(result):.1f} | ≤ {TARGETS[path]:.0f} |",
            flush=True,
        )
    print()
    for path, p99 in worst.items():
        verdict = "meets" if p99 <= TARGETS[path] else "MISSES"
        print(f"{path}: worst p99 {p99:.1f} ms — {verdict} the {TARGETS[path]:.0f} ms target")


if __name__ == "__main__":
    main()
