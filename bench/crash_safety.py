"""Crash safety and database outage, end to end, against a throwaway PostgreSQL cluster.

    sudo .venv/bin/python bench/crash_safety.py            # as root (or as postgres)

What it does (docs/reliability.md has the results):
1. initdb a cluster in a temporary directory (port 5499, socket in /tmp, trust auth; run as
   the `postgres` OS user, initdb refuses root), migrate, collectstatic, and make applicants
   with bench/submit_fixture.py (newborn bundle: five cases per application).
2. Starts gunicorn as `make run` does (tongban.wsgi, 2 workers × 4 threads) in its own
   process group, and a few client threads submitting at a modest rate. Every submission
   has a fresh Idempotency-Key; on a connection error, a timeout or any 5xx the client
   retries the SAME key with backoff (honouring Retry-After) until it gets a 201. A 4xx is
   a failure and is reported.
3. Kills the server with SIGKILL several times: the whole process group (master and
   workers, as a machine crash would) and, alternately, only the workers (the master
   respawns them). After a group kill the server is started again.
4. Stops the cluster hard (`pg_ctl stop -m immediate`: a database crash) for a few seconds
   under load, then starts it again, without touching the app. A prober reads an API
   endpoint and a page every 0.25 s: while the database is away they must be 503 with
   Retry-After (JSON `database_unavailable` / the Chinese 503 page), never a 500; the
   time to recover is from the cluster being up again to the first 200.
5. Lets every outstanding key converge, stops everything and checks the database: each
   acknowledged submission exists exactly once with the number the client was given, no
   (account, key) has two applications, every application has its five cases, its
   materials and exactly one `application.submit` audit event, keys never acknowledged
   exist completely or not at all, and `manage.py audit_verify` passes.
Prints the figures and PASS/FAIL (exit status 1 on FAIL); removes the cluster at the end.
The shared PostgreSQL server on 5432 is never touched.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
DB_NAME = "crash_safety"
NEWBORN_CASES = 5


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the throwaway cluster -------------------------------------------------------------


class Cluster:
    def __init__(self, base: Path, port: int) -> None:
        self.data = base / "pgdata"
        self.logfile = base / "postgres.log"
        self.port = port

    def _as_postgres(self, *command: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return list(command)

    def _run(self, *command: str) -> None:
        subprocess.run(
            self._as_postgres(*command), check=True, stdout=subprocess.DEVNULL, cwd="/tmp"
        )

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.data.parent, "postgres")
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1"
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.logfile), "-w", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def createdb(self, name: str) -> None:
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), name)


# --- the server ------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …; comm may contain spaces, so split after the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


class Server:
    def __init__(self, base: Path, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.env = env
        self.logfile = base / "gunicorn.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> None:
        with self.logfile.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    GUNICORN, "tongban.wsgi", "--bind", f"127.0.0.1:{self.port}",
                    "--workers", "2", "--threads", "4", "--no-control-socket",
                    "--forwarded-allow-ips=", "--access-logfile", "-",
                ],
                cwd=ROOT, env=self.env, stdout=out, stderr=out,
                start_new_session=True,  # its own process group: killpg takes all of it
            )  # fmt: skip

    def wait_ready(self, timeout: float = 60) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            try:
                if requests.get(self.url + "/api/v1/regions", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not become ready")

    def workers(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def kill_group(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def kill_workers(self) -> int:
        pids = self.workers()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        return len(pids)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


# --- the clients -----------------------------------------------------------------------


@dataclass
class Submission:
    username: str
    key: str
    attempts: int = 0
    outcomes: list[str] = field(default_factory=list)
    number: str | None = None
    failed: str | None = None
    # Wall-clock start of the attempt that got the 201, to compare with submitted_at: an
    # application saved before it was committed by an earlier attempt whose answer was lost.
    acked_attempt_at: float = 0.0


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    submissions: list[Submission] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    outage_503: int = 0
    outage_other: Counter[str] = field(default_factory=Counter)
    bad_503: list[str] = field(default_factory=list)
    acked_times: list[float] = field(default_factory=list)


class Load:
    """Client threads: fresh Idempotency-Key per submission, same key on every retry."""

    def __init__(self, url: str, rows: list[dict[str, Any]], threads: int, rate: float):
        self.url = url
        self.rows = rows
        self.threads = threads
        self.interval = threads / rate
        self.tally = Tally()
        self.stop_new = threading.Event()
        self.drain_deadline = float("inf")
        self.outage = threading.Event()
        self.run_id = uuid.uuid4().hex[:8]
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for index in range(self.threads):
            thread = threading.Thread(target=self._run, args=(index,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    def _run(self, index: int) -> None:
        session = requests.Session()
        next_at = time.monotonic() + index * self.interval / self.threads
        serial = 0
        while not self.stop_new.is_set():
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at = max(next_at + self.interval, time.monotonic() - self.interval)
            row = self.rows[(index + serial * self.threads) % len(self.rows)]
            serial += 1
            item = Submission(row["username"], f"crash-{self.run_id}-{index}-{serial}")
            with self.tally.lock:
                self.tally.submissions.append(item)
            self._submit(session, row, item)

    def _submit(self, session: requests.Session, row: dict[str, Any], item: Submission) -> None:
        headers = {"Authorization": f"Bearer {row['token']}", "Idempotency-Key": item.key}
        delay = 0.2
        while time.monotonic() < self.drain_deadline:
            item.attempts += 1
            wait = delay
            sent_at = time.time()
            try:
                response = session.post(
                    self.url + "/api/v1/applications",
                    json=row["bodies"]["newborn"],
                    headers=headers,
                    timeout=(3, 30),
                )
                outcome = str(response.status_code)
            except requests.Timeout:
                outcome, response = "timeout", None
            except requests.ConnectionError as exc:
                # Refused: the request never reached a server. Lost: it was sent (or being
                # sent) when the server died, so it may or may not have been committed.
                refused = "refused" in str(exc).lower()
                outcome = "connection_refused" if refused else "connection_lost"
                response = None
                session = requests.Session()  # drop pooled sockets of a dead server
            item.outcomes.append(outcome)
            with self.tally.lock:
                self.tally.outcomes[outcome] += 1
                if self.outage.is_set():
                    if outcome == "503":
                        self.tally.outage_503 += 1
                    else:
                        self.tally.outage_other[outcome] += 1
            if response is not None and response.status_code == 201:
                item.number = response.json()["number"]
                item.acked_attempt_at = sent_at
                with self.tally.lock:
                    self.tally.acked_times.append(time.monotonic())
                return
            if response is not None and response.status_code < 500:
                item.failed = f"{response.status_code} {response.text[:200]}"
                return
            if response is not None and response.status_code == 503:
                problem = check_api_503(response)
                if problem:
                    with self.tally.lock:
                        self.tally.bad_503.append(problem)
                wait = min(float(response.headers.get("Retry-After", "1")), 5.0)
            time.sleep(wait)
            delay = min(delay * 2, 2.0)


def check_api_503(response: requests.Response) -> str | None:
    if "Retry-After" not in response.headers:
        return "503 without Retry-After"
    try:
        body = response.json()
    except ValueError:
        return f"503 without a JSON body: {response.text[:100]}"
    if body.get("error") != "database_unavailable" or "数据库" not in str(body.get("detail")):
        return f"503 with an unexpected body: {body}"
    return None


def check_page_503(response: requests.Response) -> str | None:
    if "Retry-After" not in response.headers:
        return "page 503 without Retry-After"
    if "服务暂时不可用" not in response.text or "Traceback" in response.text:
        return "page 503 without the Chinese page"
    return None


class Prober:
    """Reads an API endpoint and a page every 0.25 s while the database goes away."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.samples: list[tuple[float, str, int | str]] = []
        self.problems: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        auth = {"Authorization": f"Bearer {self.token}"}
        while not self.stop.is_set():
            for kind, path, headers in (("api", "/api/v1/me", auth), ("page", "/catalog/", {})):
                try:
                    response = requests.get(self.url + path, headers=headers, timeout=5)
                    status: int | str = response.status_code
                    if status == 503:
                        check = check_api_503 if kind == "api" else check_page_503
                        problem = check(response)
                        if problem:
                            self.problems.append(problem)
                except requests.RequestException as exc:
                    status = type(exc).__name__
                self.samples.append((time.monotonic(), kind, status))
            time.sleep(0.25)


# --- verification ----------------------------------------------------------------------


def verify(load: Load, env: dict[str, str]) -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count

    from tongban.cases.models import Application, ApplicationMaterial, Case
    from tongban.core.models import AuditEvent

    connection.close()  # opened before the outage, if ever
    prefix = f"crash-{load.run_id}-"
    apps = list(
        Application.objects.filter(idempotency_key__startswith=prefix).values(
            "pk", "number", "idempotency_key", "created_by__username", "submitted_at"
        )
    )
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for app in apps:
        by_key.setdefault((app["created_by__username"], app["idempotency_key"]), []).append(app)
    duplicates = Application.objects.filter(idempotency_key__isnull=False).values(
        "created_by", "idempotency_key"
    ).annotate(n=Count("pk")).filter(n__gt=1).count() + sum(
        1 for rows in by_key.values() if len(rows) > 1
    )
    pks = [app["pk"] for app in apps]
    cases = Counter(
        Case.objects.filter(application_id__in=pks).values_list("application_id", flat=True)
    )
    materials = Counter(
        ApplicationMaterial.objects.filter(application_id__in=pks).values_list(
            "application_id", flat=True
        )
    )
    events = Counter(
        AuditEvent.objects.filter(
            action="application.submit", object_id__in=[app["number"] for app in apps]
        ).values_list("object_id", flat=True)
    )
    expected_materials = Counter(materials.values()).most_common(1)[0][0] if materials else 0
    half_created = [
        app["number"]
        for app in apps
        if cases[app["pk"]] != NEWBORN_CASES
        or materials[app["pk"]] != expected_materials
        or materials[app["pk"]] == 0
        or events[app["number"]] != 1
    ]
    acked = [s for s in load.tally.submissions if s.number]
    missing = [s.key for s in acked if not by_key.get((s.username, s.key))]
    mismatched = [
        s.key
        for s in acked
        if by_key.get((s.username, s.key)) and by_key[(s.username, s.key)][0]["number"] != s.number
    ]
    sent_keys = {(s.username, s.key) for s in load.tally.submissions}
    unknown = [key for key in by_key if key not in sent_keys]
    # Committed by an attempt whose answer never arrived; a later retry got it replayed.
    replayed = [
        s.key
        for s in acked
        if s.attempts > 1
        and by_key.get((s.username, s.key))
        and by_key[(s.username, s.key)][0]["submitted_at"].timestamp() < s.acked_attempt_at
    ]
    unacked = [s for s in load.tally.submissions if not s.number]
    unacked_present = sum(1 for s in unacked if by_key.get((s.username, s.key)))
    audit = subprocess.run(
        [PY, "manage.py", "audit_verify"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return {
        "applications_in_db": len(apps),
        "cases_in_db": sum(cases.values()),
        "materials_per_application": expected_materials,
        "acknowledged_missing": len(missing),
        "acknowledged_number_mismatch": len(mismatched),
        "committed_before_answer_lost_then_replayed": len(replayed),
        "duplicates": duplicates,
        "half_created": len(half_created),
        "half_created_examples": half_created[:5],
        "unknown_keys_in_db": len(unknown),
        "unacknowledged": len(unacked),
        "unacknowledged_present_complete": unacked_present,
        "audit_verify_ok": audit.returncode == 0,
        "audit_verify": (audit.stdout + audit.stderr).strip(),
    }


# --- the run ---------------------------------------------------------------------------


def prepare(base: Path, env: dict[str, str], accounts: int) -> list[dict[str, Any]]:
    fixture = base / "fixture.json"
    static = subprocess.Popen(
        [PY, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env
    )
    subprocess.run(
        [PY, "manage.py", "migrate", "--noinput", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(
        [PY, "bench/submit_fixture.py", "--accounts", str(accounts), "--bundles", "newborn",
         "--out", str(fixture)],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    if static.wait() != 0:
        raise SystemExit("collectstatic failed")
    data = json.loads(fixture.read_text(encoding="utf-8"))
    # {"applicants": [...], "staff": {...}}; older fixtures were the bare list.
    rows: list[dict[str, Any]] = data["applicants"] if isinstance(data, dict) else data
    return rows


def phase_kills(server: Server, kills: int, every: float) -> list[dict[str, Any]]:
    done = []
    for number in range(kills):
        time.sleep(every)
        if number % 2 == 0:
            server.kill_group()
            log(f"kill {number + 1}: SIGKILL to the process group (master and workers)")
            time.sleep(1.0)  # the machine is down for a moment
            server.start()
            ready = server.wait_ready()
            done.append({"kind": "group", "restart_to_ready_s": round(ready + 1.0, 2)})
        else:
            count = server.kill_workers()
            log(f"kill {number + 1}: SIGKILL to {count} workers (master respawns them)")
            ready = server.wait_ready()
            done.append({"kind": "workers", "restart_to_ready_s": round(ready, 2)})
    return done


def phase_outage(
    cluster: Cluster, server: Server, load: Load, token: str, seconds: float
) -> dict[str, Any]:
    prober = Prober(server.url, token)
    prober.thread.start()
    time.sleep(3)
    cluster.stop("immediate")
    down_at = time.monotonic()
    load.outage.set()
    log(f"database stopped (pg_ctl stop -m immediate) for {seconds:.0f} s")
    time.sleep(seconds)
    load.outage.clear()
    starting_at = time.monotonic()
    cluster.start()
    up_at = time.monotonic()
    log("database started again")
    time.sleep(5)
    prober.stop.set()
    prober.thread.join()
    during = [s for s in prober.samples if down_at <= s[0] <= starting_at]
    after = [s for s in prober.samples if s[0] > up_at]
    first_ok = next((t for t, _, status in after if status == 200), None)
    first_ack = min((t for t in load.tally.acked_times if t > up_at), default=None)
    statuses = Counter(f"{kind} {status}" for _, kind, status in during)
    return {
        "outage_s": round(up_at - down_at, 1),
        "pg_start_s": round(up_at - starting_at, 1),
        "probe_statuses_during_outage": dict(statuses),
        "probe_503": sum(n for key, n in statuses.items() if key.endswith(" 503")),
        "probe_500": sum(n for key, n in statuses.items() if key.endswith(" 500")),
        "probe_not_503": sum(n for key, n in statuses.items() if not key.endswith(" 503")),
        "probe_problems": prober.problems[:5],
        "recover_s": round(first_ok - up_at, 2) if first_ok else None,
        "first_201_after_up_s": round(first_ack - up_at, 2) if first_ack else None,
        "after_up_non_200": sum(1 for _, _, status in after if status != 200),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--rate", type=float, default=20.0, help="submissions offered per s")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--kill-every", type=float, default=5.0, help="seconds between kills")
    parser.add_argument("--outage", type=float, default=8.0, help="seconds the DB is away")
    parser.add_argument("--port", type=int, default=8599)
    parser.add_argument("--pg-port", type=int, default=5499)
    parser.add_argument("--keep", action="store_true", help="keep the cluster directory")
    args = parser.parse_args()

    began = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="tongban-crash-"))
    env = {
        **os.environ,
        "TONGBAN_DEMO": "1",
        "DEBUG": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{args.pg_port}/{DB_NAME}",
        "TONGBAN_KEY_DIR": str(base / "keys"),
        "TONGBAN_STORAGE_DIR": str(base / "storage"),
        "TONGBAN_STATIC_ROOT": str(base / "static"),
        "TONGBAN_LOG_LEVEL": "WARNING",
    }
    os.environ.update({k: v for k, v in env.items() if k != "DEBUG"})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    cluster = Cluster(base, args.pg_port)
    server = Server(base, args.port, env)
    try:
        cluster.init()
        cluster.start()
        cluster.createdb(DB_NAME)
        log(f"cluster on 127.0.0.1:{args.pg_port} in {base}; migrating and making the fixture")
        rows = prepare(base, env, args.accounts)
        server.start()
        server.wait_ready()
        setup_s = time.monotonic() - began
        log(f"ready after {setup_s:.0f} s; load: {args.threads} threads, {args.rate}/s offered")
        load = Load(server.url, rows, args.threads, args.rate)
        load_began = time.monotonic()
        load.start()
        kills = phase_kills(server, args.kills, args.kill_every)
        time.sleep(2)
        outage = phase_outage(cluster, server, load, rows[0]["token"], args.outage)
        load.drain_deadline = time.monotonic() + 45
        load.stop_new.set()
        log("no new submissions; letting retries converge")
        load.join()
        load_s = time.monotonic() - load_began
        server.stop()
        figures = verify(load, env)
    finally:
        server.stop()
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.stop("fast")
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    tally = load.tally
    acked = [s for s in tally.submissions if s.number]
    retried = [s for s in acked if s.attempts > 1]
    failures = [s for s in tally.submissions if s.failed]
    five_hundreds = sum(n for outcome, n in tally.outcomes.items() if outcome == "500")
    report = {
        "setup_s": round(setup_s, 1),
        "load_s": round(load_s, 1),
        "total_s": round(time.monotonic() - began, 1),
        "attempted": len(tally.submissions),
        "acknowledged": len(acked),
        "acknowledged_per_s": round(len(acked) / load_s, 1),
        "retried": len(retried),
        "interrupted_in_flight": sum(
            1 for s in tally.submissions if "connection_lost" in s.outcomes
        ),
        "max_attempts": max((s.attempts for s in tally.submissions), default=0),
        "failed_4xx": len(failures),
        "failed_examples": [s.failed for s in failures[:3]],
        "requests_by_outcome": dict(tally.outcomes),
        "http_500_seen": five_hundreds,
        "kills": kills,
        "client_503_during_outage": tally.outage_503,
        "client_other_during_outage": dict(tally.outage_other),
        "bad_503_bodies": tally.bad_503[:3],
        **outage,
        **figures,
    }
    checks = {
        "every acknowledged submission exists once": report["acknowledged_missing"] == 0
        and report["acknowledged_number_mismatch"] == 0,
        "no duplicates": report["duplicates"] == 0 and report["unknown_keys_in_db"] == 0,
        "nothing half-created": report["half_created"] == 0,
        "every key converged": report["unacknowledged"] == 0,
        "no 4xx failures": report["failed_4xx"] == 0,
        "no 500 ever": five_hundreds == 0 and report["probe_500"] == 0,
        "503 + Retry-After + JSON/page while the database was away": report["probe_503"] > 0
        and report["probe_not_503"] == 0
        and not report["probe_problems"]
        and not report["bad_503_bodies"],
        "recovered without restarting the app": report["recover_s"] is not None,
        "audit_verify passes": report["audit_verify_ok"],
        f"{args.kills} kills done": len(kills) == args.kills,
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    for name, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    verdict = all(checks.values())
    print(f"VERDICT: {'PASS' if verdict else 'FAIL'}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
