"""12345 工单 over /api/v1/tickets: the loop through the API, the citizen's progress (no
staff-only notes), scoping (another department gets 404), masking of the caller's phone,
list filters, and 4xx JSON for bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from tongban.core.models import AuditEvent
from tongban.tickets.demo import load_demo_dispatch_rules
from tongban.tickets.models import Ticket

from .case_helpers import shanghai
from .conftest import post_json
from .test_tickets import MONDAY

Token = Callable[[str], str]
pytestmark = pytest.mark.usefixtures("calendar")
RETURN_REASON = "异地就医备案属医保部门职责，非公安办理事项"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get(client: Client, path: str, token: str) -> Any:
    return client.get(path, headers=_bearer(token))


def _act(client: Client, number: str, action: str, token: str, **body: Any) -> Any:
    path = f"/api/v1/tickets/{number}/actions/{action}"
    return post_json(client, path, body, **_bearer(token))


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def test_the_loop_through_the_api(client: Client, api_token: Token, demo: None) -> None:
    load_demo_dispatch_rules()
    with time_machine.travel(MONDAY, tick=False):
        citizen, hotline = api_token("citizen"), api_token("hotline")
        gongan, yibao = api_token("approver-yy-gongan"), api_token("approver-yy-yibao")
        supervisor = api_token("supervisor")
        body = {
            "type": "help",
            "channel": "web",
            "title": "异地就医",
            "content": "身份证丢了怎么办理异地就医",
        }
        created = _ok(post_json(client, "/api/v1/tickets", body, **_bearer(citizen)), 201)
        number = created["number"]
        assert created["caller_phone"] == "13807300001"  # the caller sees their own number
        assert created["due_on"] == "2026-10-10"
        assert "return_reason" not in created
        assert "follow_up_notes" not in created

        hint = _ok(_get(client, "/api/v1/tickets/dispatch/suggest?text=身份证补办", hotline))
        assert hint["suggestion"]["lead"] == "yy-gongan"
        assert _get(client, "/api/v1/tickets/dispatch/suggest?text=x", citizen).status_code == 403

        dispatched = _ok(_act(client, number, "dispatch", hotline))  # the suggestion: 公安
        assert (dispatched["state"], dispatched["lead_department"]) == ("dispatched", "yy-gongan")
        seen = _ok(_get(client, f"/api/v1/tickets/{number}", gongan))
        assert seen["caller_phone"] == "13807300001"  # the lead unit must call back
        assert seen["actions"] == ["sign", "return", "link"]
        assert AuditEvent.objects.filter(
            action="ticket.view_personal_data", object_id=number, actor_name="approver-yy-gongan"
        ).exists()
        watched = _ok(_get(client, f"/api/v1/tickets/{number}", supervisor))
        assert watched["caller_phone"] == "138****0001"
        assert watched["actions"] == []  # not due: no 催办 yet

        _ok(_act(client, number, "return", gongan, reason=RETURN_REASON))
        _ok(_act(client, number, "reassign", hotline, lead="yy-yibao"))
        assert _get(client, f"/api/v1/tickets/{number}", gongan).status_code == 404
        assert _act(client, number, "sign", gongan).status_code == 404
        _ok(_act(client, number, "sign", yibao))
        _ok(_act(client, number, "reply", yibao, reply="已为您办理异地就医备案，可直接结算。"))
        _ok(
            _act(client, number, "follow_up", hotline, satisfaction="satisfied", notes="来电人满意")
        )
        closed = _ok(_act(client, number, "close", hotline))
        assert closed["state"] == "closed"
        assert closed["return_reason"] == RETURN_REASON  # staff see it

        progress = _ok(_get(client, f"/api/v1/tickets/{number}/progress", citizen))
        mine = _ok(_get(client, f"/api/v1/tickets/{number}", citizen))
        assert (
            _get(client, f"/api/v1/tickets/{number}/progress", api_token("company")).status_code
            == 404
        )
    assert progress["state_label"] == "已办结"
    assert [step["text"] for step in progress["steps"]] == [
        "您的诉求已受理，请在2026-10-10前留意答复",
        "已转交岳阳市公安局办理",
        "正在重新确定承办单位",
        "已转交岳阳市医疗保障局办理",
        "岳阳市医疗保障局已签收，正在办理",
        "岳阳市医疗保障局已答复：已为您办理异地就医备案，可直接结算。",
        "已回访，您的评价：满意",
        "已办结",
    ]
    public = json.dumps([progress, mine], ensure_ascii=False)
    assert RETURN_REASON not in public
    assert "来电人满意" not in public
    assert "approver-" not in public
    assert "刘洋" not in public


def test_another_department_gets_404(client: Client, api_token: Token, demo: None) -> None:
    with time_machine.travel(MONDAY, tick=False):
        hotline, renshe = api_token("hotline"), api_token("approver-yy-renshe")
        body = {
            "type": "complaint",
            "channel": "phone",
            "title": "户口迁移",
            "content": "户口迁移太慢",
            "caller_name": "张三",
            "caller_phone": "13907301234",
        }
        number = _ok(post_json(client, "/api/v1/tickets", body, **_bearer(hotline)), 201)["number"]
        _ok(_act(client, number, "dispatch", hotline, lead="yy-gongan"))
        assert _get(client, "/api/v1/tickets", renshe).json() == {"count": 0, "results": []}
        assert _get(client, f"/api/v1/tickets/{number}", renshe).status_code == 404
        assert _get(client, f"/api/v1/tickets/{number}/progress", renshe).status_code == 404
        refused = _act(client, number, "sign", renshe)
    assert refused.status_code == 404
    assert refused.json() == {"error": "not_found", "detail": f"工单“{number}”不存在"}
    assert Ticket.objects.get(number=number).state == "dispatched"


def test_list_filters(client: Client, api_token: Token, demo: None) -> None:
    def create(token: str, **extra: Any) -> str:
        body = {
            "type": "complaint",
            "channel": "phone",
            "title": "噪音扰民",
            "content": "夜间施工",
            "caller_name": "张三",
            "caller_phone": "13907301234",
        } | extra
        return str(_ok(post_json(client, "/api/v1/tickets", body, **_bearer(token)), 201)["number"])

    with time_machine.travel(MONDAY, tick=False):
        hotline = api_token("hotline")
        complaint = create(hotline)
        emergency = create(hotline, type="emergency", title="燃气泄漏")
        _ok(_act(client, complaint, "dispatch", hotline, lead="yy-zhujian"))
    with time_machine.travel(shanghai(2026, 9, 29, 9), tick=False):
        hotline = api_token("hotline")  # tokens expire; a fresh one for that day

        def numbers(query: str) -> list[str]:
            listed = _ok(_get(client, f"/api/v1/tickets?{query}", hotline))
            return [row["number"] for row in listed["results"]]

        assert numbers("") == [emergency, complaint]  # due-date order
        assert numbers("overdue=true") == [emergency]  # 应急 was due yesterday
        assert numbers("type=complaint") == [complaint]
        assert numbers("department=yy-zhujian") == [complaint]
        assert numbers("signoff_overdue=true") == [complaint]
        assert numbers("state=received") == [emergency]
        assert numbers("q=燃气") == [emergency]
        assert numbers("mine=true") == [emergency, complaint]
        listed = _ok(_get(client, "/api/v1/tickets", hotline))["results"][1]
        assert listed["caller_phone"] == "139****1234"  # lists are always masked
        assert listed["signoff_overdue"] is True
        assert _get(client, "/api/v1/tickets?state=bogus", hotline).status_code == 400
        assert _ok(_get(client, "/api/v1/tickets?mine=true", api_token("supervisor")))["count"] == 0


def test_bad_input_is_a_4xx_json_error_and_writes_nothing(
    client: Client, api_token: Token, demo: None
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        hotline = api_token("hotline")
        missing = post_json(client, "/api/v1/tickets", {"type": "consult"}, **_bearer(hotline))
        assert missing.status_code == 422
        assert missing.json()["error"] == "validation_error"
        body = {
            "type": "gossip",
            "channel": "phone",
            "title": "问",
            "content": "问",
            "caller_name": "张三",
            "caller_phone": "13907301234",
        }
        bad_type = post_json(client, "/api/v1/tickets", body, **_bearer(hotline))
        assert bad_type.json() == {"error": "invalid", "detail": "不支持的诉求类型“gossip”"}
        not_json = client.post(
            "/api/v1/tickets", data="{", content_type="application/json", headers=_bearer(hotline)
        )
        assert not_json.status_code == 400
        assert not Ticket.objects.exists()
        number = _ok(
            post_json(client, "/api/v1/tickets", body | {"type": "complaint"}, **_bearer(hotline)),
            201,
        )["number"]
        assert _act(client, number, "explode", hotline).status_code == 404
        assert _act(client, "GD000", "dispatch", hotline).status_code == 404
        _ok(_act(client, number, "dispatch", hotline, lead="yy-gongan"))
        gongan = api_token("approver-yy-gongan")
        _ok(_act(client, number, "sign", gongan))
        no_days = _act(client, number, "request_extension", gongan, reason="需要现场核查")
        assert no_days.json() == {"error": "required", "detail": "请填写延期天数"}
        _ok(_act(client, number, "request_extension", gongan, days=3, reason="需要现场核查"))
        no_choice = _act(client, number, "review_extension", hotline)
        assert (no_choice.status_code, no_choice.json()["detail"]) == (400, "请选择是否同意延期")
        wrong = _act(client, number, "reply", hotline, reply="话务员不能答复")
        assert (wrong.status_code, wrong.json()["error"]) == (403, "forbidden")
        early = _act(client, number, "close", hotline)
        assert early.status_code == 409
        assert early.json()["detail"] == "工单当前为“已签收（办理中）”，不能办结"
        ticket = Ticket.objects.get(number=number)
    assert (ticket.state, ticket.extension_status) == ("signed", "pending")


def test_a_merged_ticket_shows_its_master_to_the_caller(
    client: Client, api_token: Token, persona: Any
) -> None:
    from tongban.tickets.followup import ticket_merge

    from .test_tickets import new_ticket, replied_ticket

    with time_machine.travel(MONDAY, tick=False):
        master = replied_ticket(persona).number
        own = new_ticket(persona, caller_id_number=persona("citizen").id_number).number
        ticket_merge(own, persona("hotline"), into=master)
        progress = _ok(_get(client, f"/api/v1/tickets/{own}/progress", api_token("citizen")))
        assert _get(client, f"/api/v1/tickets/{master}", api_token("citizen")).status_code == 404
    assert progress["state_label"] == "已并单"
    assert progress["steps"][-1]["text"] == f"与相同诉求的工单{master}合并办理"
    assert progress["master"] == {
        "number": master,
        "state_label": "已答复（待回访）",
        "reply": "已电话联系来电人，说明补办流程。",
    }


def test_the_admin_shows_tickets_read_only(
    logged_in: Callable[[str], Client], persona: Any
) -> None:
    from .test_tickets import signed_ticket

    with time_machine.travel(MONDAY, tick=False):
        ticket = signed_ticket(persona)
    load_demo_dispatch_rules()
    admin = logged_in("sysadmin")
    assert admin.get("/admin/tickets/ticket/").status_code == 200
    page = admin.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert page.status_code == 200
    assert "13907301234" not in page.content.decode()  # the phone is not shown there
    assert admin.get("/admin/tickets/dispatchrule/").status_code == 200
    assert admin.get("/admin/tickets/ticket/add/").status_code == 403
