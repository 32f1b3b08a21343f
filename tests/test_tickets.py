"""12345 工单: per-type limits on the work calendar, the transition table (and the 409s it
gives), who may act, extensions, 退单/改派, 并单, 催办, 回访/重办/办结, and the audit trail."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from tongban.core.errors import DomainError
from tongban.core.models import AuditEvent, User
from tongban.tickets.actions import (
    ticket_answer,
    ticket_create,
    ticket_dispatch,
    ticket_reassign,
    ticket_reply,
    ticket_sign,
)
from tongban.tickets.enums import TicketState
from tongban.tickets.followup import (
    ticket_close,
    ticket_follow_up,
    ticket_remind,
)
from tongban.tickets.models import Ticket

from .case_helpers import shanghai

Persona = Callable[[str], User]
pytestmark = pytest.mark.usefixtures("calendar")
MONDAY = shanghai(2026, 9, 28, 9)  # Mon 28 Sep 2026, the week before 国庆
GONGAN = "approver-yy-gongan"


def new_ticket(persona: Persona, type: str = "consult", **extra: Any) -> Ticket:
    """A ticket logged by the demo hotline operator (刘洋) from a phone call."""
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


def signed_ticket(persona: Persona, type: str = "complaint", **extra: Any) -> Ticket:
    ticket = new_ticket(persona, type, **extra)
    ticket_dispatch(ticket.number, persona("hotline"), lead="yy-gongan")
    return ticket_sign(ticket.number, persona(GONGAN))


def replied_ticket(persona: Persona, type: str = "complaint") -> Ticket:
    ticket = signed_ticket(persona, type)
    return ticket_reply(ticket.number, persona(GONGAN), reply="已电话联系来电人，说明补办流程。")


def events(number: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="ticket", object_id=number).order_by("chain", "seq")
    )


def status_of(call: Callable[[], Any]) -> tuple[int, Any]:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value.status, raised.value.detail


# ---------------------------------------------------------------- deadlines


@pytest.mark.parametrize(
    ("type", "due"),
    [
        # 应急: 0 working days — due the day of receipt.
        ("emergency", datetime.date(2026, 9, 28)),
        # 5 working days from the day after receipt (Tue 29 Sep): 29, 30 Sep (2); 1–7 Oct is
        # 国庆 (no work); Thu 8, Fri 9 Oct (4); Sat 10 Oct is the 调休 working day (5).
        ("consult", datetime.date(2026, 10, 10)),
        ("help", datetime.date(2026, 10, 10)),
        ("praise", datetime.date(2026, 10, 10)),
        # 15: … Sat 10 Oct (5); 12–16 Oct (10); 19–23 Oct (15) → Fri 23 Oct.
        ("complaint", datetime.date(2026, 10, 23)),
        ("suggestion", datetime.date(2026, 10, 23)),
    ],
)
def test_each_type_has_its_limit_counted_from_the_day_after_receipt(
    persona: Persona, type: str, due: datetime.date
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        ticket = new_ticket(persona, type)
    assert ticket.due_on == due
    assert not ticket.due_provisional


def test_an_ordinary_week_and_the_number_sequence(persona: Persona) -> None:
    with time_machine.travel(shanghai(2026, 11, 3), tick=False):  # Tue 3 Nov 2026
        first = new_ticket(persona)
        second = new_ticket(persona, "emergency")
    # Wed 4, Thu 5, Fri 6, Mon 9, Tue 10 Nov.
    assert first.due_on == datetime.date(2026, 11, 10)
    assert second.due_on == datetime.date(2026, 11, 3)
    assert (first.number, second.number) == ("GD202611030001", "GD202611030002")


def test_a_deadline_in_an_unpublished_year_is_provisional(persona: Persona) -> None:
    with time_machine.travel(shanghai(2026, 12, 28), tick=False):  # Mon 28 Dec 2026
        complaint = new_ticket(persona, "complaint")
        emergency = new_ticket(persona, "emergency")
    # 29, 30, 31 Dec (3); 2027 is not loaded, so Fri 1 Jan counts as a weekday (4);
    # 4–8 Jan (9); 11–15 Jan (14); Mon 18 Jan (15) — flagged, never silently trusted.
    assert complaint.due_on == datetime.date(2027, 1, 18)
    assert complaint.due_provisional
    assert emergency.due_on == datetime.date(2026, 12, 28)
    assert not emergency.due_provisional


def test_the_limits_follow_the_setting(persona: Persona, settings: Any) -> None:
    settings.TONGBAN_TICKET_LIMITS = {**settings.TONGBAN_TICKET_LIMITS, "consult": 3}
    with time_machine.travel(MONDAY, tick=False):
        assert new_ticket(persona).due_on == datetime.date(2026, 10, 8)  # 29, 30 Sep, 8 Oct


# ---------------------------------------------------------------- intake


def test_who_may_log_a_ticket_over_which_channel(persona: Persona) -> None:
    citizen = persona("citizen")
    with time_machine.travel(MONDAY, tick=False):
        online = ticket_create(
            citizen, type="help", channel="web", title="医保报销", content="异地就医怎么报销"
        )
        assert online.citizen == citizen
        assert online.received_by is None
        assert (online.caller_name, online.caller_phone) == ("李晓梅", "13807300001")
        window = ticket_create(
            persona("clerk"),
            type="complaint",
            channel="window",
            title="办不成事",
            content="跑了三趟还没办成",
            caller_name="王五",
            caller_phone="0730-8881234",
        )
        assert window.received_by == persona("clerk")
        # The operator links the caller's account by ID number (the number is not stored).
        linked = new_ticket(persona, caller_id_number=citizen.id_number)
        assert linked.citizen == citizen
        assert new_ticket(persona, caller_id_number="").citizen is None

        def make(actor: str, channel: str, **extra: Any) -> Callable[[], Any]:
            values = {"type": "consult", "channel": channel, "title": "问", "content": "问"}
            values |= {"caller_name": "张三", "caller_phone": "13907301234"} | extra
            return lambda: ticket_create(persona(actor), **values)

        assert status_of(make("citizen", "phone"))[0] == 403
        assert status_of(make("clerk", "phone"))[0] == 403
        assert status_of(make(GONGAN, "web"))[0] == 403
        assert status_of(make("hotline", "fax"))[0] == 400
        assert status_of(make("hotline", "phone", type="gossip"))[0] == 400
        assert status_of(make("hotline", "phone", caller_phone="12345"))[0] == 400
        assert status_of(make("hotline", "phone", title=" "))[1] == "请填写标题"
    assert Ticket.objects.count() == 4


# ---------------------------------------------------------------- the loop


def test_the_whole_loop_writes_one_event_per_step(persona: Persona) -> None:
    hotline, gongan = persona("hotline"), persona(GONGAN)
    with time_machine.travel(MONDAY, tick=False):
        ticket = new_ticket(persona, "complaint")
        assert ticket.state == TicketState.RECEIVED
        ticket = ticket_dispatch(ticket.number, hotline, lead="yy-gongan", co=["yy-zhengwu"])
        assert ticket.state == TicketState.DISPATCHED
        assert ticket.dispatched_at is not None
        assert [d.code for d in ticket.co_departments.all()] == ["yy-zhengwu"]
        ticket = ticket_sign(ticket.number, gongan)
        assert (ticket.state, ticket.signed_at is not None) == (TicketState.SIGNED, True)
        ticket = ticket_reply(ticket.number, gongan, reply="已联系来电人，当场说明补办流程。")
        assert ticket.state == TicketState.REPLIED
        ticket = ticket_follow_up(ticket.number, hotline, satisfaction="satisfied", notes="满意")
        assert ticket.state == TicketState.REPLIED
        ticket = ticket_close(ticket.number, hotline)
    assert ticket.state == TicketState.CLOSED
    assert ticket.closed_at is not None
    trail = events(ticket.number)
    assert [e.action for e in trail] == [
        "ticket.create",
        "ticket.dispatch",
        "ticket.sign",
        "ticket.reply",
        "ticket.follow_up",
        "ticket.close",
    ]
    states = [((e.before or {}).get("state"), (e.after or {}).get("state")) for e in trail]
    assert states == [
        (None, "received"),
        ("received", "dispatched"),
        ("dispatched", "signed"),
        ("signed", "replied"),
        ("replied", "replied"),
        ("replied", "closed"),
    ]
    assert [e.actor_name for e in trail] == [
        "hotline",
        "hotline",
        GONGAN,
        GONGAN,
        "hotline",
        "hotline",
    ]
    assert trail[3].after is not None
    assert trail[3].after["on_time"] is True


def test_illegal_transitions_are_409_with_the_current_state(persona: Persona) -> None:
    hotline, gongan = persona("hotline"), persona(GONGAN)
    with time_machine.travel(MONDAY, tick=False):
        complaint = new_ticket(persona, "complaint").number
        assert status_of(lambda: ticket_close(complaint, hotline)) == (
            409,
            "工单当前为“已受理（待派单）”，不能办结",
        )
        assert status_of(lambda: ticket_answer(complaint, hotline, reply="当场答复了"))[0] == 409
        ticket_dispatch(complaint, hotline, lead="yy-gongan")
        assert status_of(lambda: ticket_dispatch(complaint, hotline, lead="yy-gongan")) == (
            409,
            "工单当前为“已派单（待签收）”，不能派单",
        )
        assert status_of(lambda: ticket_reply(complaint, gongan, reply="答复内容很长")) == (
            409,
            "工单当前为“已派单（待签收）”，不能答复",
        )
        assert status_of(lambda: ticket_reassign(complaint, hotline, lead="yy-yibao"))[0] == 409
        assert (
            status_of(
                lambda: ticket_follow_up(complaint, hotline, satisfaction="satisfied", notes="x")
            )[0]
            == 409
        )
        # 即时办结 of a 咨询: received → closed with the answer as the reply.
        consult = new_ticket(persona).number
        answered = ticket_answer(consult, hotline, reply="补办身份证请带户口簿到户政窗口办理。")
        assert (answered.state, answered.reply) == (
            TicketState.CLOSED,
            "补办身份证请带户口簿到户政窗口办理。",
        )
        assert status_of(lambda: ticket_dispatch(consult, hotline, lead="yy-gongan")) == (
            409,
            "工单当前为“已办结”，不能派单",
        )
        ticket_sign(complaint, gongan)
        assert status_of(lambda: ticket_sign(complaint, gongan)) == (
            409,
            "工单当前为“已签收（办理中）”，不能签收",
        )
    assert Ticket.objects.get(number=complaint).state == TicketState.SIGNED


def test_only_the_right_people_act(persona: Persona) -> None:
    with time_machine.travel(MONDAY, tick=False):
        number = new_ticket(persona, "complaint").number
        assert status_of(lambda: ticket_dispatch(number, persona(GONGAN), lead="yy-gongan")) == (
            403,
            "只有12345话务员可以派单",
        )
        ticket_dispatch(number, persona("hotline"), lead="yy-gongan")
        assert status_of(lambda: ticket_sign(number, persona("approver-yy-yibao"))) == (
            403,
            "只有承办单位可以签收",
        )
        assert status_of(lambda: ticket_sign(number, persona("hotline")))[0] == 403
        assert status_of(lambda: ticket_remind(number, persona("citizen")))[0] == 403
        assert status_of(lambda: ticket_dispatch(number, persona("hotline"), lead="nope"))[0] == 409


def test_signoff_timeout_is_flagged(persona: Persona, settings: Any) -> None:
    from django.utils import timezone

    from tongban.tickets.queries import signoff_overdue_filter
    from tongban.tickets.serialize import ticket_dict

    supervisor = persona("supervisor")
    with time_machine.travel(shanghai(2026, 11, 3, 10), tick=False):
        number = new_ticket(persona, "complaint").number
        ticket_dispatch(number, persona("hotline"), lead="yy-gongan")
    with time_machine.travel(
        shanghai(2026, 11, 3, 11) + datetime.timedelta(minutes=59), tick=False
    ):
        ticket = Ticket.objects.get(number=number)
        assert ticket_dict(ticket, supervisor)["signoff_overdue"] is False
        assert not Ticket.objects.filter(signoff_overdue_filter(timezone.now())).exists()
    with time_machine.travel(shanghai(2026, 11, 3, 12) + datetime.timedelta(minutes=1), tick=False):
        assert ticket_dict(ticket, supervisor)["signoff_overdue"] is True
        assert Ticket.objects.filter(signoff_overdue_filter(timezone.now())).count() == 1
        settings.TONGBAN_TICKET_SIGNOFF_HOURS = 4
        assert ticket_dict(ticket, supervisor)["signoff_overdue"] is False
        settings.TONGBAN_TICKET_SIGNOFF_HOURS = 2
        signed = ticket_sign(number, persona(GONGAN))
        data = ticket_dict(signed, supervisor)
    assert (data["signoff_overdue"], data["signed_late"]) == (False, True)
    assert events(number)[-1].after == {
        "state": "signed",
        "label": "签收",
        "lead_name": "岳阳市公安局",
        "late": True,
    }
