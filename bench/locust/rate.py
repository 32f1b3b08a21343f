"""The benchmark's load: newborn-bundle submissions at a fixed total rate (bench_submit.py).

    TONGBAN_FIXTURE=var/submit.json TONGBAN_RATE=100 locust -f bench/locust/rate.py \
        --headless -u 100 -r 100 -t 180s --host http://127.0.0.1:8000

Each of the -u users submits at TONGBAN_RATE / users per second (locust's
constant_throughput: a user whose request takes longer simply sends its next one at once,
so a server that cannot keep up shows as a lower achieved rate, never as hidden queueing).
"""

from __future__ import annotations

import os

from common import Applicant
from locust import constant_throughput, task

RATE = float(os.environ.get("TONGBAN_RATE", "100"))
USERS = int(os.environ.get("TONGBAN_USERS", "100"))


class NewbornSubmitter(Applicant):
    wait_time = constant_throughput(RATE / USERS)

    @task
    def submit_newborn(self) -> None:
        self.submit("newborn")
