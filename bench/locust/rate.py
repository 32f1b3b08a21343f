"""The benchmark's load: newborn-bundle submissions at a fixed total rate (bench_submit.py).

    TONGBAN_FIXTURE=var/submit.json TONGBAN_RATE=100 locust -f bench/locust/rate.py \
        --headless -u 100 -r 100 -t 180s --host http://127.0.0.1:8000

Each of the -u users submits once per cycle of users / TONGBAN_RATE seconds, on a fixed
schedule: a user whose request takes longer than its cycle sends its next one at once, so a
server that cannot keep up shows as a lower achieved rate, never as hidden queueing.

Each user's schedule starts at a random point of its cycle. Locust starts a second's worth
of users (-r) at one instant, and locust's own constant_throughput counts from that instant,
so with it every second's submissions arrived within the same 0.1 s (measured: inter-arrival
p50 0.2 ms at 20/s): the latency measured was that burst's queue, not the rate's.
"""

from __future__ import annotations

import os
import random
import time

import gevent
from common import Applicant
from locust import task

RATE = float(os.environ.get("TONGBAN_RATE", "100"))
USERS = int(os.environ.get("TONGBAN_USERS", "100"))
CYCLE = USERS / RATE


class NewbornSubmitter(Applicant):
    def on_start(self) -> None:
        super().on_start()
        self.next_at = time.perf_counter() + random.uniform(0, CYCLE)
        gevent.sleep(self.next_at - time.perf_counter())

    def wait_time(self) -> float:
        self.next_at += CYCLE
        return max(0.0, self.next_at - time.perf_counter())

    @task
    def submit_newborn(self) -> None:
        self.submit("newborn")
