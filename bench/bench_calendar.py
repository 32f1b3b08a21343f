"""Benchmark the working-day calendar hot path (due dates are computed for every case).

Run: .venv/bin/python bench/bench_calendar.py
Uses a throw-away SQLite database seeded from chinesecalendar (2004–2026).
"""

from __future__ import annotations

import datetime
import os
import sys
import tempfile
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
from django.test.utils import CaptureQueriesContext  # noqa: E402


def measure(label: str, stmt: object, number: int) -> None:
    best = min(timeit.repeat(stmt, number=number, repeat=5)) / number  # type: ignore[arg-type]
    print(f"{label:<48} {best * 1e6:9.1f} µs/call")


def main() -> None:
    call_command("migrate", verbosity=0)
    from tongban.core import workcalendar
    from tongban.core.calendar_actions import seed_calendar_from_chinesecalendar

    seed_calendar_from_chinesecalendar()
    start = datetime.date(2026, 9, 30)
    workcalendar.due_date(start, 20)  # warm the per-process cache
    with CaptureQueriesContext(connection) as queries:
        workcalendar.due_date(start, 20)
    print(f"queries per due_date call (warm): {len(queries)}")
    measure(
        "due_date(+20 working days), incl. revision query",
        lambda: workcalendar.due_date(start, 20),
        2000,
    )
    measure("due_date(+3650 working days)", lambda: workcalendar.due_date(start, 3650), 200)
    calendar = workcalendar.current_calendar()
    measure("WorkCalendar.due_date(+20), no query", lambda: calendar.due_date(start, 20), 20000)
    end = datetime.date(2056, 1, 1)
    measure(
        "WorkCalendar.count_working_days(30 years)",
        lambda: calendar.count_working_days(start, end),
        20000,
    )
    measure(
        "cold load of the calendar (23 years)",
        lambda: (workcalendar.invalidate_calendar_cache(), workcalendar.current_calendar()),
        50,
    )


if __name__ == "__main__":
    main()
