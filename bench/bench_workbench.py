"""Benchmark the workbench reads (issue 9) on a generated database.

Run against a database filled by `manage.py stats_generate` (docs/performance.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_bench10m \\
        .venv/bin/python bench/bench_workbench.py [--requests 300] [--queries]

1. It makes sure the data has what the reads need, idempotently, and says what it did:
   - generated applications have no applicant account, so nobody has "my applications".
     The applications of the first three generated persons (the first 200 of them, over the whole
     period, each with its cases) are given to the demo citizen (`citizen`) as
     `applicant_user`; every other application keeps NULL;
   - the demo approver of 岳阳市人社局 (`approver-yy-renshe`) must hold the approver role on
     a department with a big queue. The generator keeps the demo's city-level departments
     (yy-*) and clones them per county, so it does; if it did not, the role would be granted
     on the generated department with the most open cases.
2. Then, logged in through django.test.Client (in process: the figures are the
   application's and the database's time, without HTTP or gunicorn), it requests each URL
   N times after a warm-up and prints p50/p95/p99/max in ms. Rows with several URLs rotate
   through them (50 different open cases for the case detail) so that one cached row does
   not flatter the figure. The case detail records an audited read per request
   (`case.view_personal_data`): those events are appended to the database's chain.

`--queries` prints, per row, the number of queries of one request and its slowest
statements (for EXPLAIN); it measures nothing.

Targets (issue 9): department queue p99 ≤ 100 ms, case detail p99 ≤ 50 ms, the citizen's
"my applications" p99 ≤ 50 ms (the matching API endpoints are held to the same figures).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TONGBAN_DEMO", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
if "DATABASE_URL" not in os.environ:
    sys.exit("DATABASE_URL must name a database filled by `manage.py stats_generate`.")

import django

django.setup()

from benchlib import approx_rows, percentile  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

WARM_UP = 5
CITIZEN = "citizen"
APPROVER = "approver-yy-renshe"
APPROVER_DEPARTMENT = "yy-renshe"
MY_APPLICATIONS = 200  # a heavy user: a citizen in real life has at most a few hundred
DETAIL_CASES = 50  # open cases the detail rows rotate through
MINE_DETAILS = 20  # the citizen's applications the detail row rotates through
QUEUE, DETAIL, MINE = 100.0, 50.0, 50.0
TOO_SLOW = 2.0  # seconds for one warm-up request


@dataclass
class Row:
    group: str  # "queue", "detail" or "mine": which target applies
    label: str
    user: str
    urls: list[str]

    @property
    def target(self) -> float:
        return {"queue": QUEUE, "detail": DETAIL, "mine": MINE}[self.group]


# --------------------------------------------------------------------------- the data


def give_citizen_applications() -> None:
    """The first three generated persons' applications (by first application id) become the
    demo citizen's, with their cases; run again, it changes nothing."""
    from tongban.core.models import User

    citizen = User.objects.get(username=CITIZEN)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH persons AS (
                SELECT applicant_id_digest FROM cases_application
                WHERE id <= 10000 AND applicant_kind = 'person' AND status = 'submitted'
                GROUP BY applicant_id_digest ORDER BY min(id) LIMIT 3
            )
            SELECT id FROM cases_application
            WHERE applicant_id_digest IN (SELECT applicant_id_digest FROM persons)
              AND status = 'submitted'
            ORDER BY id LIMIT %s
            """,
            [MY_APPLICATIONS],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "UPDATE cases_application SET applicant_user_id = %s "
            "WHERE id = ANY(%s) AND applicant_user_id IS DISTINCT FROM %s",
            [citizen.pk, ids, citizen.pk],
        )
        applications = cursor.rowcount
        # Earlier selections of the script, if it changed since: generated rows only.
        cursor.execute(
            "UPDATE cases_application SET applicant_user_id = NULL WHERE applicant_user_id = %s "
            "AND created_by_id <> %s AND NOT id = ANY(%s)",
            [citizen.pk, citizen.pk, ids],
        )
        cursor.execute(
            "UPDATE cases_case c SET applicant_user_id = NULL FROM cases_application a "
            "WHERE c.applicant_user_id = %s AND a.id = c.application_id "
            "AND a.created_by_id <> %s AND NOT a.id = ANY(%s)",
            [citizen.pk, citizen.pk, ids],
        )
        cursor.execute(
            "UPDATE cases_case SET applicant_user_id = %s "
            "WHERE application_id = ANY(%s) AND applicant_user_id IS DISTINCT FROM %s",
            [citizen.pk, ids, citizen.pk],
        )
        cases = cursor.rowcount
        cursor.execute("SELECT count(*) FROM cases_case WHERE applicant_user_id = %s", [citizen.pk])
        owned = cursor.fetchone()[0]
    print(
        f"Data: `{CITIZEN}` is applicant_user of {len(ids)} generated applications "
        f"({owned} cases); this run set {applications} applications and {cases} cases."
    )


def approver_department() -> list[int]:
    """The demo approver's departments; a role on the busiest generated department is
    granted only if none of them has an open queue."""
    from django.db.models import Count

    from tongban.cases.enums import OPEN_STATES
    from tongban.cases.models import Case
    from tongban.core.models import Department, Role, RoleAssignment, User

    approver = User.objects.get(username=APPROVER)
    ids = list(
        RoleAssignment.objects.filter(
            user=approver, role=Role.APPROVER, department__isnull=False
        ).values_list("department_id", flat=True)
    )
    open_cases = Case.objects.filter(department_id__in=ids, state__in=OPEN_STATES).count()
    if open_cases < 1000:
        busiest = (
            Case.objects.filter(state__in=OPEN_STATES)
            .values("department_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()
        )
        assert busiest is not None, "the database has no open cases"
        department = Department.objects.get(pk=busiest["department_id"])
        if department.pk in ids:  # a small database: the busiest queue is already the role's
            print(
                f"Data: `{APPROVER}` approves for {department.code}, the busiest queue "
                f"({open_cases:,} open cases; nothing added)."
            )
            return ids
        RoleAssignment.objects.get_or_create(
            user=approver, role=Role.APPROVER, department=department, region=None
        )
        print(f"Data: granted `{APPROVER}` the approver role on {department.code}.")
        return approver_department()
    total = Case.objects.filter(department_id__in=ids).count()
    codes = ", ".join(Department.objects.filter(pk__in=ids).values_list("code", flat=True))
    print(
        f"Data: `{APPROVER}` approves for {codes}: {total:,} cases, {open_cases:,} open "
        "(nothing added)."
    )
    return ids


# --------------------------------------------------------------------------- the URLs


def rows(departments: list[int]) -> list[Row]:
    from django.db.models import Count

    from tongban.cases.enums import OPEN_STATES
    from tongban.cases.models import Application, Case
    from tongban.cases.queries import case_page

    queue_base = Case.objects.filter(department_id__in=departments)
    cursor = None
    cursors = []
    for _ in range(20):  # the cursors of pages 2 and 21, as the "next page" link gives them
        following = case_page(queue_base, state="open", after=cursor, limit=50).next_cursor
        if following is None:  # a small database has fewer pages: its last one stands in
            break
        cursor = following
        cursors.append(cursor)
    if not cursors:
        cursors.append("")
    top_item = (
        queue_base.filter(state__in=OPEN_STATES)
        .values("item_code")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("item_code", flat=True)
        .first()
    )
    # Open cases spread over the queue (every k-th in due-date order), not its first page.
    open_cases = list(
        queue_base.filter(state__in=OPEN_STATES)
        .order_by("promised_due", "pk")
        .values_list("case_no", flat=True)
    )
    step = max(1, len(open_cases) // DETAIL_CASES)
    details = open_cases[::step][:DETAIL_CASES]
    numbers = list(
        Application.objects.filter(applicant_user__username=CITIZEN)
        .order_by("-submitted_at", "-pk")
        .values_list("number", flat=True)
    )
    mine_step = max(1, len(numbers) // MINE_DETAILS)
    mine = numbers[::mine_step][:MINE_DETAILS]
    queue = "/cases/staff/queue/"
    cases_api = "/api/v1/cases"
    return [
        Row("queue", "queue, first page (open cases)", APPROVER, [queue]),
        Row("queue", "queue, page 2 (keyset cursor)", APPROVER, [f"{queue}?after={cursors[0]}"]),
        Row("queue", "queue, page 21 (keyset cursor)", APPROVER, [f"{queue}?after={cursors[-1]}"]),
        Row("queue", "queue `state=in_review`", APPROVER, [f"{queue}?state=in_review"]),
        Row("queue", "queue `warning=red`", APPROVER, [f"{queue}?warning=red"]),
        Row("queue", "queue `item=<busiest item>`", APPROVER, [f"{queue}?item={top_item}"]),
        Row("queue", "queue `deficiency=open`", APPROVER, [f"{queue}?deficiency=open"]),
        Row("queue", "queue `state=all`", APPROVER, [f"{queue}?state=all"]),
        Row(
            "detail",
            f"case detail ({len(details)} open cases)",
            APPROVER,
            [f"/cases/staff/case/{n}/" for n in details],
        ),
        Row("mine", "my applications, page 1", CITIZEN, ["/cases/mine/"]),
        Row("mine", "my applications, page 10", CITIZEN, ["/cases/mine/?page=10"]),
        Row(
            "mine",
            f"my application detail ({len(mine)} applications)",
            CITIZEN,
            [f"/cases/mine/{n}/" for n in mine],
        ),
        Row("queue", "API `GET /cases?state=open`", APPROVER, [f"{cases_api}?state=open"]),
        Row(
            "queue",
            "API `GET /cases?state=open&after=<page 21>`",
            APPROVER,
            [f"{cases_api}?state=open&after={cursors[-1]}"],
        ),
        Row(
            "detail",
            f"API `GET /cases/<case_no>` ({len(details)} open cases)",
            APPROVER,
            [f"{cases_api}/{n}" for n in details],
        ),
        Row("mine", "API `GET /cases` (citizen: own cases)", CITIZEN, [cases_api]),
        Row(
            "mine",
            f"API `GET /applications/<number>` ({len(mine)} applications)",
            CITIZEN,
            [f"/api/v1/applications/{n}" for n in mine],
        ),
    ]


# --------------------------------------------------------------------------- measuring


def measure(client: Client, urls: list[str], n: int) -> list[float] | str:
    rotation = itertools.cycle(urls)
    for attempt in range(WARM_UP):
        started = time.perf_counter()
        response = client.get(next(rotation))
        took = time.perf_counter() - started
        # Slow twice (the first request of a process loads templates and caches): hundreds
        # of requests would take hours, so the row is reported, not measured.
        if attempt > 0 and took > TOO_SLOW:
            return f"not measured: one warm-up request took {took:,.1f} s"
        if response.status_code != 200:
            return f"HTTP {response.status_code}: {response.content[:200].decode(errors='replace')}"
    samples = []
    for _ in range(n):
        url = next(rotation)
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1e3)
        assert response.status_code == 200, (url, response.content[:200])
    return samples


def show_queries(client: Client, row: Row) -> None:
    """One request of the row: its query count and its three slowest statements."""
    client.get(row.urls[0])  # warm caches
    with CaptureQueriesContext(connection) as captured:
        status = client.get(row.urls[-1]).status_code
    found = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
    print(f"### {row.label}: HTTP {status}, {len(found)} queries")
    for query in found[:3]:
        print(f"- {float(query['time']) * 1e3:.1f} ms: {query['sql'][:1500]}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per row")
    parser.add_argument(
        "--queries", action="store_true", help="print each row's queries instead of timing"
    )
    args = parser.parse_args()

    from tongban.cases.models import Case
    from tongban.core.models import User

    # django.test.Client's host. Not setup_test_environment(): it instruments every template
    # render (and every include) to copy the context for the test client, a cost that no
    # served request has.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # As tongban/wsgi.py does in every serving process: without it, full garbage collections
    # of the whole loaded application (~100 ms) land in a few requests of every 300.
    from tongban.core.startup import settle_process

    settle_process()
    static_storage()
    print(f"Database {connection.settings_dict['NAME']}: ~{approx_rows(Case):,} cases")
    give_citizen_applications()
    departments = approver_department()
    clients: dict[str, Client] = {}
    for username in (APPROVER, CITIZEN):
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    table = rows(departments)
    if args.queries:
        connection.force_debug_cursor = False
        for row in table:
            show_queries(clients[row.user], row)
        return
    print(f"{args.requests} requests per row after {WARM_UP} warm-up requests; times in ms.")
    print()
    print("| read | p50 | p95 | p99 | max | target p99 |")
    print("|---|---:|---:|---:|---:|---|")
    worst: dict[str, float] = {}
    for row in table:
        result = measure(clients[row.user], row.urls, args.requests)
        if isinstance(result, str):
            print(f"| {row.label} | {result} | | | | |")
            continue
        p99 = percentile(result, 99)
        worst[row.group] = max(worst.get(row.group, 0.0), p99)
        print(
            f"| {row.label} | {statistics.median(result):.1f} | {percentile(result, 95):.1f} | "
            f"{p99:.1f} | {max(result):.1f} | ≤ {row.target:.0f} |",
            flush=True,
        )
    print()
    targets = {"queue": QUEUE, "detail": DETAIL, "mine": MINE}
    for group, p99 in worst.items():
        verdict = "meets" if p99 <= targets[group] else "MISSES"
        print(f"{group}: worst p99 {p99:.1f} ms — {verdict} the {targets[group]:.0f} ms target")


def static_storage() -> None:
    """The pages need the collectstatic manifest; without one, plain static URLs (the
    difference is a dictionary lookup per `{% static %}`)."""
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        settings.STORAGES = {**settings.STORAGES, "staticfiles": plain}
        print("Static files: no collectstatic manifest, plain StaticFilesStorage URLs.")


if __name__ == "__main__":
    main()
