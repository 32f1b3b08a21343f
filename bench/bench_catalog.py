"""Benchmark the catalog hot paths: the situational checklist (every answer on the Q&A page
calls it) and the bundle metrics, on the demo catalog.

Run: .venv/bin/python bench/bench_catalog.py
Uses a throw-away SQLite database with the demo catalog imported.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TONGBAN_DEMO", "1")
os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def measure(label: str, stmt: object, number: int) -> None:
    best = min(timeit.repeat(stmt, number=number, repeat=5)) / number  # type: ignore[arg-type]
    print(f"| {label} | {best * 1e3:.2f} ms |")


def main() -> None:
    call_command("migrate", verbosity=0)
    from tongban.catalog.checklist import build_checklist
    from tongban.catalog.demo import load_demo_catalog
    from tongban.catalog.metrics import plan_metrics
    from tongban.catalog.queries import published_bundle
    from tongban.catalog.store import clear_spec_cache
    from tongban.core.demo import load_demo_data

    load_demo_data()
    started = time.perf_counter()
    report = load_demo_catalog()
    print(
        f"| import + publish the demo catalog ({report.count('added')} objects) | "
        f"{(time.perf_counter() - started) * 1e3:.0f} ms |"
    )

    view = published_bundle("after_death")  # the largest bundle: 9 items, 9 questions
    measure(
        "`build_checklist` 身后一件事 (pure, no query)", lambda: build_checklist(view.plan, {}), 200
    )
    measure("`plan_metrics` 身后一件事 (pure)", lambda: plan_metrics(view.plan), 200)

    client = Client(HTTP_HOST="127.0.0.1")
    body = json.dumps({"answers": {}})

    def post() -> None:
        response = client.post(
            "/api/v1/catalog/bundles/after_death/checklist", body, content_type="application/json"
        )
        assert response.status_code == 200, response.content

    post()
    with CaptureQueriesContext(connection) as queries:
        post()
    print(f"| queries per warm checklist request | {len(queries)} |")
    measure("POST /api/v1/catalog/bundles/after_death/checklist (warm)", post, 50)

    def cold() -> None:
        clear_spec_cache()
        post()

    measure("same request with an empty spec cache (cold)", cold, 10)


if __name__ == "__main__":
    main()
