"""Enrolment morning (入学报名日 8:00): parents arrive all at once, read the checklist and
submit the 教育入学一件事, then check their application again and again.

    TONGBAN_FIXTURE=var/submit.json locust -f bench/locust/surge.py --headless \
        --host https://your-installation.example

The shape: 20 % of the peak at 7:55, the peak reached within the first minute after 8:00,
held for ten minutes, then tailing off; TONGBAN_PEAK_USERS sets the peak (default 300).
"""

from __future__ import annotations

import os

from common import Applicant
from locust import LoadTestShape, between, task

PEAK = int(os.environ.get("TONGBAN_PEAK_USERS", "300"))


class Parent(Applicant):
    wait_time = between(2, 8)  # reading, filling in, hesitating

    @task(2)
    def read_the_checklist(self) -> None:
        self.client.get("/catalog/bundles/school_enrolment/", name="GET 办事指南")

    @task(3)
    def submit(self) -> None:  # type: ignore[override]
        if not self.numbers:
            super().submit("school_enrolment")

    @task(5)
    def check_my_application(self) -> None:
        if self.numbers:
            self.client.get(
                f"/api/v1/applications/{self.numbers[-1]}",
                headers=self.auth,
                name="GET /applications/<number>",
            )


class EnrolmentMorning(LoadTestShape):
    # (seconds from start, users, spawn rate per second)
    stages = [
        (60, PEAK // 5, PEAK // 50 or 1),
        (120, PEAK, PEAK // 10 or 1),
        (720, PEAK, PEAK // 10 or 1),
        (900, PEAK // 4, PEAK // 10 or 1),
    ]

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        for until, users, rate in self.stages:
            if elapsed < until:
                return users, rate
        return None
