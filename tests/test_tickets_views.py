"""12345 工单 pages: who may open what (another department's approver gets a 404, the
caller only their own tickets, anonymous users go to the login page), that every form goes
through its use case (and on error shows Chinese, keeps what was typed and writes nothing),
the home-page figures, the citizen's progress without staff-only notes, and that the list
pages do not query per row."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from tongban.core.models import AuditEvent, User
from tongban.tickets.actions import (
    ticket_create,
    ticket_dispatch,
    ticket_reassign,
    ticket_reply,
    ticket_return,
    ticket_sign,
)
from tongban.tickets.demo import load_demo_dispatch_rules
from tongban.tickets.enums import ExtensionStatus, TicketState
from tongban.tickets.followup import ticket_follow_up, ticket_request_extension
from tongban.tickets.models import Ticket

from .case_helpers import shanghai
from .test_tickets import MONDAY

pytestmark = pytest.mark.usefixtures("calendar")
Persona = Callable[[str], User]
Login = Callable[[str], Client]
GONGAN = "approver-yy-gongan"
YIBAO = "approver-yy-yibao"
RETURN_REASON = "异地就医备案属医保部门职责，非公安办理事项"
AFTER_DUE = shanghai(2026, 10, 12, 10)  # a 咨询/求助 of MONDAY was due Sat 10 Oct


@pytest.fixture(autouse=True)
def _rules(demo: None) -> None:
    load_demo_dispatch_rules()


def lead_of(ticket: Ticket) -> str | None:
    return ticket.lead_department.code if ticket.lead_department else None


def _text(response: Any) -> str:
    return str(response.content.decode())


def new_ticket(persona: Persona, type: str = "help", **extra: Any) -> Ticket:
    values: dict[str, Any] = {
        "type": type,
        "channel": "phone",
        "title": "补办身份证需要什么材料",
        "content": "来电人身份证丢失，询问补办身份证的材料和地点。",
        "caller_name": "张建国",
        "caller_phone": "13907301234",
    }
    values.update(extra)
    return ticket_create(persona("hotline"), **values)


def dispatched(persona: Persona, **extra: Any) -> Ticket:
    ticket = new_ticket(persona, **extra)
    return ticket_dispatch(ticket.number, persona("hotline"), lead="yy-gongan")


def signed(persona: Persona, **extra: Any) -> Ticket:
    ticket = dispatched(persona, **extra)
    return ticket_sign(ticket.number, persona(GONGAN))


def replied(persona: Persona) -> Ticket:
    ticket = signed(persona)
    return ticket_reply(ticket.number, persona(GONGAN), reply="已电话告知补办流程和材料。")


def events(number: str, action: str) -> int:
    return AuditEvent.objects.filter(object_id=number, action=f"ticket.{action}").count()


# ---------------------------------------------------------------- who may open what


def test_anonymous_users_are_sent_to_the_login_page(client: Client, persona: Persona) -> None:
    ticket = new_ticket(persona)
    for path in (
        "/tickets/desk/",
        "/tickets/queue/",
        "/tickets/new/",
        "/tickets/supervise/",
        "/tickets/mine/",
        "/tickets/mine/new/",
        f"/tickets/mine/{ticket.number}/",
        f"/tickets/{ticket.number}/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path
    response = client.post(f"/tickets/{ticket.number}/do/dispatch/", {"lead": "yy-gongan"})
    assert response.status_code == 302
    assert Ticket.objects.get().state == TicketState.RECEIVED


def test_pages_are_for_their_roles(logged_in: Login, persona: Persona) -> None:
    citizen = logged_in("citizen")
    for path in ("/tickets/desk/", "/tickets/queue/", "/tickets/new/", "/tickets/supervise/"):
        assert citizen.get(path).status_code == 403, path
    approver = logged_in(GONGAN)
    assert approver.get("/tickets/desk/").status_code == 403
    assert approver.get("/tickets/supervise/").status_code == 403
    assert approver.get("/tickets/new/").status_code == 403
    assert approver.get("/tickets/queue/").status_code == 200
    assert approver.get("/tickets/mine/").status_code == 403  # not a caller's page
    hotline = logged_in("hotline")
    assert hotline.get("/tickets/queue/").status_code == 403  # no unit of its own
    assert hotline.get("/tickets/suggest/?title=身份证").status_code == 200


def test_another_departments_approver_gets_404(logged_in: Login, persona: Persona) -> None:
    ticket = signed(persona)
    other = logged_in(YIBAO)
    assert other.get(f"/tickets/{ticket.number}/").status_code == 404
    response = other.post(f"/tickets/{ticket.number}/do/reply/", {"reply": "我来答复一下吧"})
    assert response.status_code == 404
    assert "工单不存在" in _text(response) or "不存在" in _text(response)
    assert Ticket.objects.get().state == TicketState.SIGNED
    queue = other.get("/tickets/queue/?state=all")
    assert ticket.number not in _text(queue)
    assert other.get("/tickets/GD000000000000/").status_code == 404


def test_the_caller_sees_only_their_own_tickets(logged_in: Login, persona: Persona) -> None:
    own = ticket_create(
        persona("citizen"),
        type="consult",
        channel="web",
        title="我的咨询",
        content="社保卡怎么补办",
    )
    other = new_ticket(persona, title="别人的求助")
    client = logged_in("citizen")
    mine = _text(client.get("/tickets/mine/"))
    assert own.number in mine
    assert other.number not in mine
    assert client.get(f"/tickets/mine/{own.number}/").status_code == 200
    assert client.get(f"/tickets/mine/{other.number}/").status_code == 404
    # The staff detail sends the caller to their progress page, and others to a 404.
    response = client.get(f"/tickets/{own.number}/")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/mine/{own.number}/"
    assert client.get(f"/tickets/{other.number}/").status_code == 404
    assert (
        client.post(f"/tickets/{own.number}/do/answer/", {"reply": "自己答复"}).status_code == 404
    )


# ---------------------------------------------------------------- the operator


def test_the_operator_logs_a_ticket_and_sees_the_suggestion(
    logged_in: Login, persona: Persona
) -> None:
    client = logged_in("hotline")
    page = client.get("/tickets/new/")
    assert page.status_code == 200
    assert 'data-testid="ask-suggestion"' in _text(page)
    fragment = client.get("/tickets/suggest/", {"title": "医保异地就医", "content": "怎么报销"})
    assert "岳阳市医疗保障局" in _text(fragment)
    nothing = client.get("/tickets/suggest/", {"title": "天气", "content": "明天下雨吗"})
    assert "没有匹配的承办单位" in _text(nothing)
    response = client.post(
        "/tickets/new/",
        {
            "type": "help",
            "channel": "phone",
            "title": "医保异地就医备案",
            "content": "在外地住院，医保异地就医备案不会办理",
            "caller_name": "张建国",
            "caller_phone": "13907301234",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    detail = _text(client.get(response["Location"]))
    assert 'data-testid="panel-dispatch"' in detail
    assert '<option value="yy-yibao" selected>' in detail  # the suggestion, preselected
    assert "13907301234" in detail  # the operator calls back
    assert events(ticket.number, "view_personal_data") == 1


def test_a_bad_new_ticket_shows_chinese_keeps_what_was_typed_and_writes_nothing(
    logged_in: Login,
) -> None:
    client = logged_in("hotline")
    before = AuditEvent.objects.count()
    response = client.post(
        "/tickets/new/",
        {
            "type": "complaint",
            "channel": "phone",
            "title": "窗口排队太久",
            "content": "政务大厅排队两个小时",
            "caller_name": "张建国",
            "caller_phone": "12345",
        },
    )
    assert response.status_code == 400
    text = _text(response)
    assert "请填写正确的联系电话" in text
    assert 'value="窗口排队太久"' in text
    assert "政务大厅排队两个小时" in text
    # The suggestion shows what the catalogue would do with what was typed.
    assert "岳阳市政务服务中心" in text
    assert not Ticket.objects.exists()
    assert AuditEvent.objects.count() == before
    bad = client.post("/tickets/new/", {"type": "nonsense", "channel": "window"})
    assert bad.status_code == 400
    assert "请选择诉求类型" in _text(bad)
    assert "请选择受理渠道" in _text(bad)
    assert not Ticket.objects.exists()


def test_dispatch_with_the_suggestion_or_an_override(logged_in: Login, persona: Persona) -> None:
    client = logged_in("hotline")
    first = new_ticket(persona)
    second = new_ticket(persona)
    response = client.post(f"/tickets/{first.number}/do/dispatch/", {"lead": "", "co": []})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.state, lead_of(first)) == (TicketState.DISPATCHED, "yy-gongan")
    event = AuditEvent.objects.get(object_id=first.number, action="ticket.dispatch")
    assert (event.after or {})["overridden"] is False
    client.post(
        f"/tickets/{second.number}/do/dispatch/", {"lead": "yy-zhengwu", "co": ["yy-gongan"]}
    )
    second.refresh_from_db()
    assert lead_of(second) == "yy-zhengwu"
    assert [d.code for d in second.co_departments.all()] == ["yy-gongan"]
    event = AuditEvent.objects.get(object_id=second.number, action="ticket.dispatch")
    assert (event.after or {})["overridden"] is True


def test_a_refused_dispatch_shows_why_and_writes_nothing(
    logged_in: Login, persona: Persona
) -> None:
    client = logged_in("hotline")
    ticket = new_ticket(persona, title="问个事", content="明天天气怎么样")  # no rule matches
    response = client.post(f"/tickets/{ticket.number}/do/dispatch/", {"lead": ""})
    assert response.status_code == 400
    assert "派单目录中没有匹配的承办单位" in _text(response)
    same = client.post(
        f"/tickets/{ticket.number}/do/dispatch/", {"lead": "yy-gongan", "co": ["yy-gongan"]}
    )
    assert same.status_code == 400
    assert "协办单位不能与承办单位相同" in _text(same)
    assert 'data-testid="form-dispatch"' in _text(same)
    unknown = client.post(f"/tickets/{ticket.number}/do/dispatch/", {"lead": "no-such"})
    assert unknown.status_code == 400
    assert "请选择承办单位" in _text(unknown)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.RECEIVED
    assert events(ticket.number, "dispatch") == 0
    # An action the state does not allow: 409, in Chinese, the ticket shown as it is.
    conflict = client.post(f"/tickets/{ticket.number}/do/close/", {"note": ""})
    assert conflict.status_code == 409
    assert "不能办结" in _text(conflict)


def test_the_operator_answers_a_consult_on_the_spot(logged_in: Login, persona: Persona) -> None:
    client = logged_in("hotline")
    ticket = new_ticket(persona, type="consult")
    short = client.post(f"/tickets/{ticket.number}/do/answer/", {"reply": "好的"})
    assert short.status_code == 400
    assert "答复内容至少5个字" in _text(short)
    assert "好的</textarea>" in _text(short)
    client.post(f"/tickets/{ticket.number}/do/answer/", {"reply": "携带户口簿到派出所办理。"})
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED
    help_ticket = new_ticket(persona, type="help")
    assert 'data-testid="panel-answer"' not in _text(client.get(f"/tickets/{help_ticket.number}/"))


def test_reassign_after_a_return_follow_up_and_close(logged_in: Login, persona: Persona) -> None:
    ticket = signed(persona)
    ticket_return(ticket.number, persona(GONGAN), reason=RETURN_REASON)
    client = logged_in("hotline")
    detail = _text(client.get(f"/tickets/{ticket.number}/"))
    assert 'data-testid="panel-reassign"' in detail
    assert RETURN_REASON in detail
    client.post(f"/tickets/{ticket.number}/do/reassign/", {"lead": "yy-yibao"})
    ticket.refresh_from_db()
    assert (ticket.state, lead_of(ticket)) == (TicketState.DISPATCHED, "yy-yibao")
    ticket_sign(ticket.number, persona(YIBAO))
    ticket_reply(ticket.number, persona(YIBAO), reply="已指导来电人在线办理异地就医备案。")
    missing = client.post(f"/tickets/{ticket.number}/do/follow_up/", {"notes": "来电人表示满意"})
    assert missing.status_code == 400
    assert "请选择满意度" in _text(missing)
    assert "来电人表示满意" in _text(missing)
    redo = client.post(
        f"/tickets/{ticket.number}/do/follow_up/",
        {"satisfaction": "satisfied", "notes": "来电人表示满意", "redo": "on"},
    )
    assert redo.status_code == 400
    assert "只有回访不满意时才能退回重办" in _text(redo)
    assert events(ticket.number, "follow_up") == 0
    client.post(
        f"/tickets/{ticket.number}/do/follow_up/",
        {"satisfaction": "satisfied", "notes": "来电人表示满意"},
    )
    client.post(f"/tickets/{ticket.number}/do/close/", {"note": ""})
    ticket.refresh_from_db()
    assert (ticket.state, ticket.satisfaction) == (TicketState.CLOSED, "satisfied")


def test_close_when_the_caller_cannot_be_reached(logged_in: Login, persona: Persona) -> None:
    ticket = replied(persona)
    client = logged_in("hotline")
    refused = client.post(f"/tickets/{ticket.number}/do/close/", {"note": ""})
    assert refused.status_code == 409
    assert "请先回访来电人" in _text(refused)
    no_note = client.post(f"/tickets/{ticket.number}/do/close/", {"unreachable": "on"})
    assert no_note.status_code == 400
    assert "请填写无法联系的情况说明" in _text(no_note)
    client.post(
        f"/tickets/{ticket.number}/do/close/",
        {"unreachable": "on", "note": "三次致电均无人接听"},
    )
    ticket.refresh_from_db()
    assert (ticket.state, ticket.close_note) == (TicketState.CLOSED, "三次致电均无人接听")


def test_merge_remind_and_review_an_extension(logged_in: Login, persona: Persona) -> None:
    with time_machine.travel(MONDAY, tick=False):
        master = signed(persona)
        duplicate = new_ticket(persona)
        ticket_request_extension(master.number, persona(GONGAN), days=3, reason="需要调取档案核实")
    client = logged_in("hotline")
    with time_machine.travel(MONDAY + datetime.timedelta(hours=1), tick=False):
        page = _text(client.get(f"/tickets/{master.number}/"))
        assert 'data-testid="panel-review_extension"' in page
        assert 'data-testid="panel-remind"' not in page  # not due yet
        refused = client.post(f"/tickets/{master.number}/do/review_extension/", {"approve": "0"})
        assert refused.status_code == 400
        assert "请填写不同意延期的理由" in _text(refused)
        client.post(f"/tickets/{master.number}/do/review_extension/", {"approve": "1"})
        master.refresh_from_db()
        assert master.extension_status == ExtensionStatus.APPROVED
        assert master.due_on == datetime.date(2026, 10, 14)  # Sat 10 Oct + 3 working days
        unknown = client.post(f"/tickets/{duplicate.number}/do/merge/", {"into": "GD000"})
        assert unknown.status_code == 404
        assert "不存在" in _text(unknown)
        assert 'value="GD000"' in _text(unknown)
        client.post(f"/tickets/{duplicate.number}/do/merge/", {"into": master.number})
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.merged_into_id) == (TicketState.MERGED, master.pk)
    with time_machine.travel(shanghai(2026, 10, 15, 10), tick=False):
        assert 'data-testid="panel-remind"' in _text(client.get(f"/tickets/{master.number}/"))
        client.post(f"/tickets/{master.number}/do/remind/", {"note": "请尽快答复"})
        master.refresh_from_db()
        assert master.remind_count == 1
        desk = _text(client.get("/tickets/desk/?overdue=1"))
        assert 'data-testid="badge-overdue"' in desk
        assert "催办1次" in desk


def test_link_shows_a_missing_number_in_chinese(logged_in: Login, persona: Persona) -> None:
    ticket = new_ticket(persona)
    client = logged_in("hotline")
    response = client.post(f"/tickets/{ticket.number}/do/link/", {"cases": "BJ0000, BJ0001"})
    assert response.status_code == 404
    assert "申请或办件“BJ0000、BJ0001”不存在" in _text(response)
    assert events(ticket.number, "link") == 0


def test_help_and_complaint_tickets_offer_the_proxy_desk(
    logged_in: Login, persona: Persona
) -> None:
    client = logged_in("hotline")
    help_ticket = new_ticket(persona, type="help")
    consult = new_ticket(persona, type="consult")
    link = f'href="/cases/staff/proxy/?ticket={help_ticket.number}"'
    assert link in _text(client.get(f"/tickets/{help_ticket.number}/"))
    assert 'data-testid="to-proxy"' not in _text(client.get(f"/tickets/{consult.number}/"))


# ---------------------------------------------------------------- the department


def test_the_department_signs_returns_replies_and_asks_for_time(
    logged_in: Login, persona: Persona
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        ticket = dispatched(persona)
        other = dispatched(persona, title="户口迁移")
    client = logged_in(GONGAN)
    with time_machine.travel(MONDAY + datetime.timedelta(hours=3), tick=False):
        queue = _text(client.get("/tickets/queue/"))
        assert queue.count('data-testid="ticket-row"') == 2
        assert 'data-testid="badge-signoff"' in queue  # 签收超时 after 2 hours
        page = _text(client.get(f"/tickets/{ticket.number}/"))
        assert 'data-testid="panel-sign"' in page
        assert 'data-testid="panel-return"' in page
        assert 'data-testid="panel-dispatch"' not in page
        assert "13907301234" in page  # the lead department calls back
        client.post(f"/tickets/{ticket.number}/do/sign/")
        ticket.refresh_from_db()
        assert ticket.state == TicketState.SIGNED
        assert ticket.signed_at is not None
        short = client.post(f"/tickets/{other.number}/do/return/", {"reason": "不归我们管"})
        assert short.status_code == 400
        assert "退单理由至少10个字" in _text(short)
        assert "不归我们管</textarea>" in _text(short)
        assert events(other.number, "return") == 0
        client.post(f"/tickets/{other.number}/do/return/", {"reason": RETURN_REASON})
        other.refresh_from_db()
        assert (other.state, other.return_reason) == (TicketState.RETURNED, RETURN_REASON)
        zero = client.post(
            f"/tickets/{ticket.number}/do/request_extension/", {"days": "", "reason": "需要核实"}
        )
        assert zero.status_code == 400
        assert "延期天数须为1至30个工作日" in _text(zero)
        typed = client.post(
            f"/tickets/{ticket.number}/do/request_extension/", {"days": "abc", "reason": "核实"}
        )
        assert "延期天数须为整数" in _text(typed)
        client.post(
            f"/tickets/{ticket.number}/do/request_extension/",
            {"days": "2", "reason": "需要调取档案核实"},
        )
        ticket.refresh_from_db()
        assert ticket.extension_status == ExtensionStatus.PENDING
        empty = client.post(f"/tickets/{ticket.number}/do/reply/", {"reply": ""})
        assert "请填写答复内容" in _text(empty)
        client.post(f"/tickets/{ticket.number}/do/reply/", {"reply": "已电话告知补办流程。"})
        ticket.refresh_from_db()
        assert ticket.state == TicketState.REPLIED


def test_a_co_department_reads_but_does_not_act(logged_in: Login, persona: Persona) -> None:
    ticket = new_ticket(persona)
    ticket_dispatch(ticket.number, persona("hotline"), lead="yy-gongan", co=["yy-yibao"])
    client = logged_in(YIBAO)
    page = _text(client.get(f"/tickets/{ticket.number}/"))
    assert 'data-testid="co-readonly"' in page
    assert 'data-testid="no-actions"' in page
    assert "13907301234" not in page
    assert "139****1234" in page
    queue = _text(client.get("/tickets/queue/"))
    assert 'data-testid="badge-co"' in queue
    response = client.post(f"/tickets/{ticket.number}/do/sign/")
    assert response.status_code == 403
    assert "只有承办单位可以签收" in _text(response)
    assert Ticket.objects.get().state == TicketState.DISPATCHED


# ---------------------------------------------------------------- the caller


def test_the_citizen_files_a_bbcs_ticket_on_the_web(logged_in: Login) -> None:
    client = logged_in("citizen")
    form = _text(client.get("/tickets/mine/new/?bbcs=1"))
    assert 'name="bbcs"' in form
    assert "checked" in form
    short = client.post(
        "/tickets/mine/new/", {"type": "help", "bbcs": "on", "title": "", "content": "跑了三趟"}
    )
    assert short.status_code == 400
    assert "请填写标题" in _text(short)
    assert "跑了三趟" in _text(short)
    emergency = client.post(
        "/tickets/mine/new/", {"type": "emergency", "title": "着火", "content": "着火了"}
    )
    assert emergency.status_code == 400
    assert not Ticket.objects.exists()
    response = client.post(
        "/tickets/mine/new/",
        {
            "type": "help",
            "bbcs": "on",
            "title": "营业执照变更",
            "content": "窗口说材料不全，跑了三趟",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/mine/{ticket.number}/"
    assert ticket.title == "【办不成事】营业执照变更"
    assert (ticket.channel, ticket.citizen and ticket.citizen.username) == ("web", "citizen")
    assert ticket.caller_phone == "13807300001"


def test_the_progress_page_never_shows_the_return_reason(
    logged_in: Login, persona: Persona
) -> None:
    citizen = persona("citizen")
    ticket = ticket_create(
        citizen, type="help", channel="web", title="身份证补办", content="身份证丢失了怎么补办"
    )
    ticket_dispatch(ticket.number, persona("hotline"), lead="yy-gongan")
    ticket_sign(ticket.number, persona(GONGAN))
    ticket_return(ticket.number, persona(GONGAN), reason=RETURN_REASON)
    ticket_reassign(ticket.number, persona("hotline"), lead="yy-zhengwu")
    ticket_sign(ticket.number, persona("approver-yy-zhengwu"))
    ticket_reply(ticket.number, persona("approver-yy-zhengwu"), reply="已安排专人帮您办理。")
    ticket_follow_up(
        ticket.number, persona("hotline"), satisfaction="satisfied", notes="满意，内部备注"
    )
    client = logged_in("citizen")
    page = _text(client.get(f"/tickets/mine/{ticket.number}/"))
    assert "已安排专人帮您办理。" in page
    assert "正在重新确定承办单位" in page
    assert RETURN_REASON not in page
    assert "内部备注" not in page
    assert "刘洋" not in page  # staff appear as 12345热线 or their department


# ---------------------------------------------------------------- homes and query counts


def test_home_pages_show_ticket_figures(logged_in: Login, persona: Persona) -> None:
    with time_machine.travel(MONDAY, tick=False):
        new_ticket(persona)
        returned = signed(persona)
        ticket_return(returned.number, persona(GONGAN), reason=RETURN_REASON)
        replied(persona)
        dispatched(persona)
    with time_machine.travel(AFTER_DUE, tick=False):
        hotline = _text(logged_in("hotline").get("/home/hotline/"))
        assert 'data-testid="count-received">1<' in hotline
        assert 'data-testid="count-returned">1<' in hotline
        assert 'data-testid="count-to-follow-up">1<' in hotline
        assert 'data-testid="count-overdue">3<' in hotline  # received, returned, dispatched
        assert "暂无待派工单" not in hotline
        approver = _text(logged_in(GONGAN).get("/home/approver/"))
        assert 'data-testid="home-tickets-to-sign">待签收 1<' in approver
        supervisor = _text(logged_in("supervisor").get("/home/supervisor/"))
        assert 'data-testid="count-tickets-overdue">3<' in supervisor
    clerk = _text(logged_in("clerk").get("/home/clerk/"))
    assert 'data-testid="home-tickets"' in clerk
    citizen = _text(logged_in("citizen").get("/home/citizen/"))
    assert 'href="/tickets/mine/new/?bbcs=1"' in citizen
    company = _text(logged_in("company").get("/home/company/"))
    assert 'href="/tickets/mine/"' in company


def test_staff_nav_has_the_ticket_entry(logged_in: Login) -> None:
    page = _text(logged_in(GONGAN).get("/tickets/queue/"))
    assert 'data-testid="staff-nav-tickets"' in page
    assert 'href="/tickets/queue/"' in page
    desk = _text(logged_in("hotline").get("/tickets/desk/"))
    assert 'data-testid="staff-nav-tickets"' in desk


def _many(persona: Persona, count: int) -> None:
    """Tickets in every state for 公安 (several with co-departments and reminders)."""
    for index in range(count):
        ticket = new_ticket(persona, title=f"身份证补办{index}")
        ticket_dispatch(
            ticket.number, persona("hotline"), lead="yy-gongan", co=["yy-yibao", "yy-renshe"]
        )
        if index % 2 or index % 3 == 2:
            ticket_sign(ticket.number, persona(GONGAN))
        if index % 3 == 2:
            ticket_reply(ticket.number, persona(GONGAN), reply="已电话告知补办流程。")
            ticket_follow_up(
                ticket.number, persona("hotline"), satisfaction="satisfied", notes="满意"
            )
    for index in range(3):
        other = new_ticket(persona, title=f"医保报销{index}", content="医保报销")
        ticket_dispatch(other.number, persona("hotline"), lead="yy-yibao")


def test_list_pages_do_not_query_per_row(
    logged_in: Login, persona: Persona, django_assert_max_num_queries: Any
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        _many(persona, 9)
    with time_machine.travel(AFTER_DUE, tick=False):
        hotline = logged_in("hotline")
        with django_assert_max_num_queries(10):
            desk = hotline.get("/tickets/desk/?state=all")
        assert _text(desk).count('data-testid="ticket-row"') == 12
        assert 'data-testid="badge-overdue"' in _text(desk)
        with django_assert_max_num_queries(10):
            filtered = hotline.get("/tickets/desk/?overdue=1&signoff=1&q=身份证")
        assert _text(filtered).count('data-testid="ticket-row"') == 3  # 公安's unsigned ones
        with django_assert_max_num_queries(8):
            hotline.get("/home/hotline/")
        approver = logged_in(GONGAN)
        with django_assert_max_num_queries(10):
            queue = approver.get("/tickets/queue/?state=all")
        assert _text(queue).count('data-testid="ticket-row"') == 9
        supervisor = logged_in("supervisor")
        with django_assert_max_num_queries(10):
            figures = supervisor.get("/tickets/supervise/")
        text = _text(figures)
        assert text.count('data-testid="figures-row"') == 2
        assert 'data-testid="fig-undertaken">12<' in text
        assert text.count('data-testid="overdue-row"') == 9  # 3 signed + 6 dispatched, open
        citizen = logged_in("citizen")
        with django_assert_max_num_queries(8):
            assert citizen.get("/tickets/mine/").status_code == 200
