"""Bundle submissions over real HTTP (issue 9): gunicorn, the API, the newborn bundle's five
cases with their materials and audit events, at a fixed rate for minutes.

    .venv/bin/python bench/bench_submit.py --database postgres --rate 100 --duration 180
    .venv/bin/python bench/bench_submit.py --database sqlite --rate 50 --duration 180

Needs the load generator's own environment (it is not a dependency of the application):
    python3 -m venv .venv-bench && .venv-bench/bin/pip install -r requirements/bench.txt

What it does, all on this machine (application, database and load generator share the cores):
1. a fresh database (PostgreSQL: `tb_bench_submit` on 127.0.0.1, dropped and created; SQLite:
   var/bench-submit.sqlite3 in WAL mode as configured in settings), migrated, the demo loaded,
   and `--accounts` applicants made by bench/submit_fixture.py;
2. gunicorn as `make run` starts it (tongban.wsgi; --workers/--threads), no access log;
3. a 15-second warm-up, then locust (bench/locust/rate.py) for `--duration` seconds at
   `--rate` submissions per second; each submission has its own Idempotency-Key and is
   retried with it on a 5xx or a lost connection;
4. the verdict: achieved rate, p50/p95/p99 (locust's), failures, "database is locked" seen by
   clients or in the server's log, and the database's own count: every acknowledged
   submission exists once with its five cases, and `manage.py audit_verify` passes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / ".venv" / "bin" / "python"
LOCUST = ROOT / ".venv-bench" / "bin" / "locust"
VAR = ROOT / "var"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "tb_bench_submit"
WARM_UP_SECONDS = 15


def database_url(kind: str) -> str:
    if kind == "postgres":
        for command in (["dropdb", "--if-exists"], ["createdb"]):
            subprocess.run([*command, "-h", "127.0.0.1", "-U", "postgres", PG_NAME], check=True)
        return f"{PG_SERVER}/{PG_NAME}"
    path = VAR / "bench-submit.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(PY), "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def start_server(env: dict[str, str], port: int, workers: int, threads: int) -> subprocess.Popen:
    log = open(VAR / "bench-submit-gunicorn.log", "w")  # noqa: SIM115  (closed with the server)
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "tongban.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--forwarded-allow-ips=",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/catalog/", timeout=5).read()
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("gunicorn did not answer within 60 s: see var/bench-submit-gunicorn.log")


def run_locust(port: int, rate: float, users: int, seconds: int, fixture: Path, csv_prefix: Path):
    env = {
        **os.environ,
        "TONGBAN_FIXTURE": str(fixture),
        "TONGBAN_RATE": str(rate),
        "TONGBAN_USERS": str(users),
    }
    subprocess.run(
        [
            str(LOCUST),
            "-f",
            str(ROOT / "bench" / "locust" / "rate.py"),
            "--headless",
            "--only-summary",
            "-u",
            str(users),
            # Spawned at the target rate, the users' fixed cycles (users / rate seconds) are
            # spread evenly over one cycle; spawned all at once they fire together, every
            # cycle, and a burst of `users` requests queues up behind itself.
            "-r",
            str(rate),
            "-t",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(csv_prefix),
            "--exit-code-on-error",
            "0",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with open(f"{csv_prefix}_stats.csv", encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    failures = []
    failures_csv = Path(f"{csv_prefix}_failures.csv")
    if failures_csv.exists():
        with failures_csv.open(encoding="utf-8") as handle:
            failures = list(csv.DictReader(handle))
    return rows["Aggregated"], failures


def verify(env: dict[str, str], before: int) -> dict[str, object]:
    script = (
        "from tongban.cases.models import Application, Case\n"
        "from django.db.models import Count\n"
        "import json\n"
        "apps = Application.objects.filter(created_by__username__startswith='bench-')\n"
        "sizes = apps.annotate(n=Count('cases')).values_list('n', flat=True)\n"
        "keys = apps.values('created_by', 'idempotency_key').annotate(n=Count('id'))\n"
        "print(json.dumps({'applications': apps.count(),\n"
        "  'not_five_cases': sum(1 for n in sizes if n != 5),\n"
        "  'duplicate_keys': keys.filter(n__gt=1).count()}))\n"
    )
    counts = json.loads(manage(env, "shell", "-c", script).strip().splitlines()[-1])
    counts["created_in_run"] = counts["applications"] - before
    audit = subprocess.run(
        [str(PY), "manage.py", "audit_verify"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    counts["audit_verify"] = (audit.stdout + audit.stderr).strip().splitlines()[-1:]
    counts["audit_ok"] = audit.returncode == 0
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--duration", type=int, default=180)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--port", type=int, default=8391)
    args = parser.parse_args()
    if not LOCUST.exists():
        sys.exit(
            "locust is missing: python3 -m venv .venv-bench && "
            ".venv-bench/bin/pip install -r requirements/bench.txt"
        )
    VAR.mkdir(exist_ok=True)
    url = database_url(args.database)
    env = {**os.environ, "DATABASE_URL": url, "TONGBAN_DEMO": "1"}
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "load_demo")
    fixture = VAR / "bench-submit.json"
    subprocess.run(
        [
            str(PY),
            "bench/submit_fixture.py",
            "--accounts",
            str(args.accounts),
            "--out",
            str(fixture),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    server = start_server(env, args.port, args.workers, args.threads)
    try:
        run_locust(
            args.port, args.rate, args.users, WARM_UP_SECONDS, fixture, VAR / "bench-submit-warm"
        )
        before = verify(env, 0)["applications"]
        assert isinstance(before, int)
        started = time.monotonic()
        total, failures = run_locust(
            args.port, args.rate, args.users, args.duration, fixture, VAR / "bench-submit"
        )
        elapsed = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    log = (VAR / "bench-submit-gunicorn.log").read_text(encoding="utf-8", errors="replace")
    counts = verify(env, before)
    requests, failed = int(total["Request Count"]), int(total["Failure Count"])
    print(
        f"database: {args.database}   target: {args.rate:g}/s for {args.duration} s   "
        f"gunicorn: {args.workers} workers × {args.threads} threads   users: {args.users}"
    )
    print(
        f"requests: {requests}   failed: {failed}   achieved: {requests / args.duration:.1f}/s "
        f"(wall {elapsed:.0f} s)"
    )
    print(
        f"latency ms: p50 {total['50%']}   p95 {total['95%']}   p99 {total['99%']}   "
        f"max {float(total['Max Response Time']):.0f}"
    )
    locked_clients = sum(int(f["Occurrences"]) for f in failures if "locked" in f["Error"])
    print(f'"database is locked": clients {locked_clients}, server log {log.count("locked")}')
    for row in failures[:5]:
        print(f"  failure ×{row['Occurrences']}: {row['Error'][:160]}")
    print(f"database: {json.dumps(counts, ensure_ascii=False)}")


if __name__ == "__main__":
    main()
