"""A working day: people search the guide and read checklists, some submit, applicants
check on their applications, and department staff work through their queues.

    TONGBAN_FIXTURE=var/submit.json locust -f bench/locust/steady.py --headless \
        -u 60 -r 5 -t 30m --host https://your-installation.example

Staff tokens come from the fixture's "staff" entry (bench/submit_fixture.py --staff …).
"""

from __future__ import annotations

import json
import random

from common import FIXTURE, Applicant
from locust import FastHttpUser, between, task

QUESTIONS = ["孩子刚出生要办什么", "开个奶茶店要哪些证", "老人走了后事怎么办", "社保卡丢了", "户口"]


class Citizen(Applicant):
    weight = 5
    wait_time = between(5, 30)

    @task(4)
    def ask_the_guide(self) -> None:
        self.client.post(
            "/api/v1/guide", json={"query": random.choice(QUESTIONS)}, name="POST /guide"
        )

    @task(3)
    def read_a_checklist(self) -> None:
        self.client.get("/catalog/bundles/newborn/", name="GET 办事指南")

    @task(1)
    def submit_newborn(self) -> None:
        self.submit("newborn")

    @task(4)
    def check_my_application(self) -> None:
        if self.numbers:
            self.client.get(
                f"/api/v1/applications/{random.choice(self.numbers)}",
                headers=self.auth,
                name="GET /applications/<number>",
            )


class Approver(FastHttpUser):
    weight = 1
    wait_time = between(10, 40)

    def on_start(self) -> None:
        staff = json.loads(FIXTURE.read_text(encoding="utf-8")).get("staff") or {}
        if not staff:
            raise RuntimeError("the fixture has no staff tokens: submit_fixture.py --staff …")
        self.auth = {"Authorization": f"Bearer {random.choice(list(staff.values()))}"}

    @task(3)
    def open_the_queue(self) -> None:
        self.client.get("/api/v1/cases?state=open", headers=self.auth, name="GET /cases (queue)")

    @task(1)
    def read_a_case(self) -> None:
        page = self.client.get(
            "/api/v1/cases?limit=20", headers=self.auth, name="GET /cases (queue)"
        ).json()
        if page.get("results"):
            case_no = random.choice(page["results"])["case_no"]
            self.client.get(
                f"/api/v1/cases/{case_no}", headers=self.auth, name="GET /cases/<case_no>"
            )
