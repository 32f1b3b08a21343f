"""好差评 over /api/v1: a citizen rates, the department works the rectification, the
supervisor sees what is late; who sees what, and 4xx JSON for bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import time_machine
from django.test import Client

from tongban.cases.models import Case
from tongban.feedback.models import Rating, Rectification

from .case_helpers import approver_of, shanghai
from .conftest import post_json
from .test_feedback import decided

__all__ = ["decided"]
Token = Callable[[str], str]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get(client: Client, path: str, token: str) -> Any:
    return client.get(path, headers=_bearer(token))


def test_rate_and_rectify_through_the_api(decided: Case, client: Client, api_token: Token) -> None:
    citizen = api_token("citizen")
    department = api_token(approver_of(decided).username)
    body = {
        "stage": "complete",
        "case_no": decided.case_no,
        "level": 1,
        "comment": "补正告知不一次说清，跑了三趟",
        "anonymous": True,
        "indicators": {"整体满意度": 1},
    }
    created = post_json(client, "/api/v1/ratings", body, **_bearer(citizen))
    assert created.status_code == 201, created.content
    assert created.json()["level_label"] == "非常不满意"
    assert created.json()["rater_name"] == "李晓梅"  # the rater sees their own name

    listed = _get(client, "/api/v1/rectifications", department).json()
    assert listed["count"] == 1
    item = listed["results"][0]
    assert item["state"] == "open"
    assert item["due_on"] == "2026-10-23"
    assert item["rating"]["rater_name"] == ""  # anonymous towards the department
    pk = item["id"]

    other = api_token("approver-yy-gongan")
    assert _get(client, f"/api/v1/rectifications/{pk}", other).status_code == 404
    assert _get(client, "/api/v1/rectifications", other).json()["count"] == 0

    steps = [
        ("follow_up", {"method": "none", "notes": "匿名评价无法回访，调阅记录核实属实"}),
        ("resolve", {"finding": "immediate", "fix": "一次性告知清单上墙", "reply": "已整改"}),
    ]
    for action, payload in steps:
        response = post_json(
            client, f"/api/v1/rectifications/{pk}/actions/{action}", payload, **_bearer(department)
        )
        assert response.status_code == 200, response.content
    assert response.json()["state"] == "replied"
    # The rater reads the reply and rates again; that closes it.
    mine = _get(client, f"/api/v1/rectifications/{pk}", citizen).json()
    assert mine["reply"] == "已整改"
    closed = post_json(
        client, f"/api/v1/rectifications/{pk}/actions/close", {"re_level": 4}, **_bearer(citizen)
    )
    assert closed.json()["state"] == "closed"
    assert closed.json()["rating"]["re_level"] == 4


def test_bad_input_is_a_4xx_json_error_and_writes_nothing(
    decided: Case, client: Client, api_token: Token
) -> None:
    citizen = api_token("citizen")
    bad = post_json(
        client,
        "/api/v1/ratings",
        {"stage": "complete", "case_no": decided.case_no, "level": 1, "comment": ""},
        **_bearer(citizen),
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_rating"
    assert "差评请说明原因" in bad.json()["detail"][0]
    missing = post_json(
        client,
        "/api/v1/ratings",
        {"stage": "complete", "case_no": "NOPE", "level": 5},
        **_bearer(citizen),
    )
    assert missing.status_code == 404
    assert not Rating.objects.exists()
    unknown = post_json(client, "/api/v1/rectifications/1/actions/explode", {}, **_bearer(citizen))
    assert unknown.status_code == 404


def test_the_supervisor_sees_overdue_rectifications(
    decided: Case, client: Client, api_token: Token
) -> None:
    body = {"stage": "complete", "case_no": decided.case_no, "level": 2, "comment": "办理太慢了"}
    post_json(client, "/api/v1/ratings", body, **_bearer(api_token("citizen")))
    supervisor = api_token("supervisor")
    assert _get(client, "/api/v1/rectifications?overdue=true", supervisor).json()["count"] == 0
    with time_machine.travel(shanghai(2026, 10, 26), tick=False):  # past Fri 23 Oct
        supervisor = api_token("supervisor")  # tokens expire; a fresh one for that day
        late = _get(client, "/api/v1/rectifications?overdue=true", supervisor).json()
    assert late["count"] == 1
    assert late["results"][0]["overdue"] is True
    assert Rectification.objects.get().state == "open"
