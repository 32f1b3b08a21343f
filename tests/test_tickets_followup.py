"""12345 工单 after dispatch: 延期 before (and not after) expiry, 退单 and 改派, 并单, 催办 on
expiry, 回访 with 重办, and 办结 (after the call, or when the caller cannot be reached)."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tongban.tickets.actions import (
    ticket_dispatch,
    ticket_reassign,
    ticket_reply,
    ticket_return,
    ticket_sign,
)
from tongban.tickets.enums import ExtensionStatus, TicketState
from tongban.tickets.followup import (
    ticket_close,
    ticket_follow_up,
    ticket_merge,
    ticket_remind,
    ticket_request_extension,
    ticket_review_extension,
)
from tongban.tickets.models import Ticket
from tongban.tickets.queries import visible_tickets

from .case_helpers import shanghai
from .test_tickets import (
    GONGAN,
    MONDAY,
    Persona,
    events,
    new_ticket,
    replied_ticket,
    signed_ticket,
    status_of,
)

pytestmark = pytest.mark.usefixtures("calendar")


def test_an_extension_before_expiry_moves_the_due_date(persona: Persona) -> None:
    gongan = persona(GONGAN)
    with time_machine.travel(MONDAY, tick=False):
        number = signed_ticket(persona).number  # a 投诉, due Fri 23 Oct 2026
    with time_machine.travel(shanghai(2026, 10, 23, 16), tick=False):  # the last day: still allowed
        assert (
            status_of(
                lambda: ticket_request_extension(number, gongan, days=0, reason="需要现场核查")
            )[0]
            == 400
        )
        assert (
            status_of(lambda: ticket_request_extension(number, gongan, days=5, reason=""))[0] == 400
        )
        assert (
            status_of(
                lambda: ticket_request_extension(
                    number, persona("approver-yy-yibao"), days=5, reason="需要现场核查"
                )
            )[0]
            == 403
        )
        asked = ticket_request_extension(number, gongan, days=5, reason="需要会同住建部门现场核查")
        assert asked.extension_status == ExtensionStatus.PENDING
        assert (
            status_of(
                lambda: ticket_request_extension(number, gongan, days=3, reason="还需要再延长几天")
            )[0]
            == 409
        )
        assert status_of(lambda: ticket_review_extension(number, gongan, approve=True))[0] == 403
        approved = ticket_review_extension(number, persona("supervisor"), approve=True)
    # Five working days counted from the old due date (Fri 23 Oct): 26–30 Oct.
    assert approved.due_on == datetime.date(2026, 10, 30)
    assert approved.extension_status == ExtensionStatus.APPROVED
    assert approved.state == TicketState.SIGNED
    last = events(number)[-1]
    assert last.action == "ticket.review_extension"
    assert last.after is not None
    assert (last.after["old_due_on"], last.after["due_on"]) == ("2026-10-23", "2026-10-30")


def test_a_refused_extension_keeps_the_due_date(persona: Persona) -> None:
    with time_machine.travel(MONDAY, tick=False):
        number = signed_ticket(persona).number
        ticket_request_extension(number, persona(GONGAN), days=10, reason="需要调取历史档案")
        hotline = persona("hotline")
        assert status_of(lambda: ticket_review_extension(number, hotline, approve=False))[1] == (
            "请填写不同意延期的理由"
        )
        refused = ticket_review_extension(number, hotline, approve=False, note="档案可当日调取")
        assert status_of(lambda: ticket_review_extension(number, hotline, approve=True))[0] == 409
    assert refused.extension_status == ExtensionStatus.REFUSED
    assert refused.due_on == datetime.date(2026, 10, 23)


def test_no_extension_after_expiry(persona: Persona) -> None:
    with time_machine.travel(MONDAY, tick=False):
        number = signed_ticket(persona).number
    with time_machine.travel(shanghai(2026, 10, 26), tick=False):  # Mon after the due Friday
        status, detail = status_of(
            lambda: ticket_request_extension(number, persona(GONGAN), days=5, reason="需要现场核查")
        )
    assert (status, detail) == (409, "工单已超过办理期限（2026年10月23日），不能再申请延期")
    assert Ticket.objects.get(number=number).extension_status == ExtensionStatus.NONE


def test_return_and_reassign(persona: Persona) -> None:
    hotline, gongan, yibao = persona("hotline"), persona(GONGAN), persona("approver-yy-yibao")
    with time_machine.travel(MONDAY, tick=False):
        number = new_ticket(persona, "help", title="异地就医", content="异地就医备案").number
        ticket_dispatch(number, hotline, lead="yy-gongan")
        assert (
            status_of(lambda: ticket_return(number, gongan, reason="不归我管"))[1]
            == "退单理由至少10个字"
        )
        assert (
            status_of(
                lambda: ticket_return(number, yibao, reason="非本单位职责，应由医保部门办理")
            )[0]
            == 403
        )
        returned = ticket_return(
            number, gongan, reason="异地就医备案属医保部门职责，非公安办理事项"
        )
        assert returned.state == TicketState.RETURNED
        assert visible_tickets(gongan).filter(number=number).exists()  # until it is reassigned
        assert not visible_tickets(yibao).filter(number=number).exists()
        reassigned = ticket_reassign(number, hotline, lead="yy-yibao")
        assert reassigned.state == TicketState.DISPATCHED
        assert not visible_tickets(gongan).filter(number=number).exists()
        assert visible_tickets(yibao).filter(number=number).exists()
        # A unit may also hand a ticket back after signing it — but not after replying.
        ticket_sign(number, yibao)
        ticket_return(number, yibao, reason="经核实属于人社部门的社保卡业务范围")
        ticket_reassign(number, hotline, lead="yy-renshe")
        renshe = persona("approver-yy-renshe")
        ticket_sign(number, renshe)
        ticket_reply(number, renshe, reply="已为来电人办理社保卡异地就医功能开通。")
        assert (
            status_of(lambda: ticket_return(number, renshe, reason="答复后不能再退回本工单了"))[0]
            == 409
        )
    trail = [e for e in events(number) if e.action in ("ticket.return", "ticket.reassign")]
    assert [(e.action, (e.after or {}).get("from")) for e in trail] == [
        ("ticket.return", None),
        ("ticket.reassign", "yy-gongan"),
        ("ticket.return", None),
        ("ticket.reassign", "yy-yibao"),
    ]
    assert trail[0].after is not None
    assert trail[0].after["reason"] == "异地就医备案属医保部门职责，非公安办理事项"


def test_merge_a_duplicate_and_refuse_self_and_cycles(persona: Persona) -> None:
    hotline = persona("hotline")
    with time_machine.travel(MONDAY, tick=False):
        master = new_ticket(persona, "complaint").number
        duplicate = new_ticket(persona, "complaint").number
        third = new_ticket(persona, "complaint").number
        assert status_of(lambda: ticket_merge(master, hotline, into=master)) == (
            400,
            "不能将工单并入自身",
        )
        assert status_of(lambda: ticket_merge(duplicate, persona(GONGAN), into=master))[0] == 403
        merged = ticket_merge(duplicate, hotline, into=master)
        assert (merged.state, merged.merged_into and merged.merged_into.number) == (
            TicketState.MERGED,
            master,
        )
        # Back the other way would be a cycle: the target is itself merged away.
        assert status_of(lambda: ticket_merge(master, hotline, into=duplicate)) == (
            409,
            f"目标工单已并入{master}，请并入主工单",
        )
        assert status_of(lambda: ticket_merge(duplicate, hotline, into=third))[0] == 409  # terminal
        closed = replied_ticket(persona).number
        ticket_close(closed, hotline, unreachable=True, note="三次拨打均无人接听")
        assert status_of(lambda: ticket_merge(third, hotline, into=closed)) == (
            409,
            "目标工单已办结，不能并入",
        )
        replied = replied_ticket(persona).number
        assert status_of(lambda: ticket_merge(replied, hotline, into=master))[0] == 409
    assert [e.action for e in events(master)][-1] == "ticket.absorb"
    assert Ticket.objects.get(number=third).state == TicketState.RECEIVED


def test_remind_only_on_expiry_or_late_signoff(persona: Persona) -> None:
    hotline, supervisor = persona("hotline"), persona("supervisor")
    with time_machine.travel(MONDAY, tick=False):
        number = signed_ticket(persona).number  # due Fri 23 Oct
        assert status_of(lambda: ticket_remind(number, hotline)) == (
            409,
            "工单办理期限为2026年10月23日，到期（或签收超时）后方可催办",
        )
    with time_machine.travel(shanghai(2026, 10, 23), tick=False):  # the due date itself
        assert ticket_remind(number, hotline).remind_count == 1
        assert status_of(lambda: ticket_remind(number, persona(GONGAN)))[0] == 403
    with time_machine.travel(shanghai(2026, 10, 28), tick=False):
        again = ticket_remind(number, supervisor, note="已逾期，请今日答复")
    assert again.remind_count == 2
    assert again.state == TicketState.SIGNED
    # 签收超时 allows a reminder long before the due date.
    with time_machine.travel(shanghai(2026, 11, 2, 9), tick=False):
        late = new_ticket(persona, "complaint").number
        ticket_dispatch(late, hotline, lead="yy-gongan")
    with time_machine.travel(shanghai(2026, 11, 2, 12), tick=False):
        assert ticket_remind(late, hotline).remind_count == 1
    assert [e.action for e in events(number)].count("ticket.remind") == 2


def test_dissatisfied_follow_up_sends_it_back_with_a_new_limit(persona: Persona) -> None:
    hotline, gongan = persona("hotline"), persona(GONGAN)
    with time_machine.travel(MONDAY, tick=False):
        number = replied_ticket(persona).number
        assert status_of(
            lambda: ticket_follow_up(
                number, hotline, satisfaction="satisfied", notes="满意", redo=True
            )
        ) == (400, "只有回访不满意时才能退回重办")
        assert (
            status_of(lambda: ticket_follow_up(number, hotline, satisfaction="great", notes="好"))[
                0
            ]
            == 400
        )
        assert (
            status_of(
                lambda: ticket_follow_up(number, hotline, satisfaction="satisfied", notes="")
            )[0]
            == 400
        )
    with time_machine.travel(shanghai(2026, 10, 12), tick=False):  # Mon 12 Oct
        redone = ticket_follow_up(
            number, hotline, satisfaction="dissatisfied", notes="来电人称未联系本人", redo=True
        )
        assert redone.state == TicketState.SIGNED
        # A fresh 15 working days from the day after the call: 13–16, 19–23, 26–30 Oct, 2 Nov.
        assert redone.due_on == datetime.date(2026, 11, 2)
        assert (redone.redo_count, redone.reply, redone.satisfaction) == (1, "", "")
        ticket_reply(number, gongan, reply="已上门向来电人当面说明并办结。")
        assert status_of(lambda: ticket_close(number, hotline)) == (
            409,
            "请先回访来电人；无法联系的，请注明后办结",
        )
        ticket_follow_up(number, hotline, satisfaction="basic", notes="基本满意")
        assert (
            status_of(
                lambda: ticket_follow_up(number, hotline, satisfaction="basic", notes="再访")
            )[0]
            == 409
        )
        closed = ticket_close(number, hotline)
    assert (closed.state, closed.satisfaction) == (TicketState.CLOSED, "basic")
    actions = [e.action for e in events(number)]
    assert actions[-4:] == ["ticket.redo", "ticket.reply", "ticket.follow_up", "ticket.close"]
    assert actions.count("ticket.reply") == 2


def test_close_without_a_call_needs_a_note(persona: Persona) -> None:
    hotline = persona("hotline")
    with time_machine.travel(MONDAY, tick=False):
        number = replied_ticket(persona).number
        assert status_of(lambda: ticket_close(number, hotline, unreachable=True))[1] == (
            "请填写无法联系的情况说明"
        )
        assert (
            status_of(lambda: ticket_close(number, persona(GONGAN), unreachable=True, note="x"))[0]
            == 403
        )
        closed = ticket_close(
            number, hotline, unreachable=True, note="9月28日、29日三次拨打均无人接听"
        )
    assert closed.state == TicketState.CLOSED
    assert closed.followed_up_at is None
    assert events(number)[-1].after == {
        "state": "closed",
        "label": "办结",
        "unreachable": True,
        "note": "9月28日、29日三次拨打均无人接听",
    }
