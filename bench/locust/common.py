"""What the load profiles share: the applicants of bench/submit_fixture.py and a submission
that retries with its Idempotency-Key, as a careful client does."""

from __future__ import annotations

import itertools
import json
import os
import uuid
from pathlib import Path
from typing import Any

from locust import FastHttpUser

FIXTURE = Path(os.environ.get("TONGBAN_FIXTURE", "var/submit.json"))
_applicants: list[dict[str, Any]] = []
_next = itertools.count()


def applicants() -> list[dict[str, Any]]:
    if not _applicants:
        _applicants.extend(json.loads(FIXTURE.read_text(encoding="utf-8"))["applicants"])
    return _applicants


class Applicant(FastHttpUser):
    """One applicant account per simulated user, handed out in turn. FastHttpUser
    (geventhttpclient): the load generator shares the cores with the server it measures."""

    abstract = True

    def on_start(self) -> None:
        rows = applicants()
        self.row = rows[next(_next) % len(rows)]
        self.auth = {"Authorization": f"Bearer {self.row['token']}"}
        self.numbers: list[str] = []

    def submit(self, bundle: str, attempts: int = 3) -> None:
        """POST the bundle; a connection error or 5xx is retried with the same key."""
        key = uuid.uuid4().hex
        for _ in range(attempts):
            with self.client.post(
                "/api/v1/applications",
                json=self.row["bodies"][bundle],
                headers={**self.auth, "Idempotency-Key": key},
                name=f"POST /applications ({bundle})",
                catch_response=True,
            ) as response:
                if response.status_code == 201:
                    self.numbers.append(response.json()["number"])
                    response.success()
                    return
                response.failure(f"{response.status_code}: {response.text[:200]}")
                if response.status_code and response.status_code < 500:
                    return
