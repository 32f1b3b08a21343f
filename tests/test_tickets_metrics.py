"""12345 figures per lead department and month: 承办, 办结(率), 按期办结(率), 回访, 满意(率),
computed in one query."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from tongban.core.rates import percentage
from tongban.tickets.actions import ticket_dispatch, ticket_reply, ticket_sign
from tongban.tickets.followup import ticket_close, ticket_follow_up, ticket_merge
from tongban.tickets.metrics import ticket_metrics
from tongban.tickets.models import Ticket

from .case_helpers import shanghai
from .test_tickets import GONGAN, MONDAY, Persona, new_ticket

pytestmark = pytest.mark.usefixtures("calendar")


def _signed(persona: Persona, lead: str = "yy-gongan") -> str:
    number = new_ticket(persona, "complaint").number  # received 28 Sep: due 23 Oct
    ticket_dispatch(number, persona("hotline"), lead=lead)
    if lead == "yy-gongan":
        ticket_sign(number, persona(GONGAN))
    return number


def _reply(persona: Persona, number: str) -> None:
    ticket_reply(number, persona(GONGAN), reply="已办理并答复来电人。")


def _finish(persona: Persona, number: str, satisfaction: str | None) -> None:
    hotline = persona("hotline")
    if satisfaction is None:
        ticket_close(number, hotline, unreachable=True, note="多次拨打无人接听")
        return
    ticket_follow_up(number, hotline, satisfaction=satisfaction, notes="已回访")
    ticket_close(number, hotline)


@pytest.fixture
def dataset(persona: Persona) -> None:
    with time_machine.travel(MONDAY, tick=False):
        on_time, late = _signed(persona), _signed(persona)
        _signed(persona)  # still being handled
        unreachable = _signed(persona)
        duplicate = _signed(persona)
        master = new_ticket(persona, "complaint").number
        ticket_merge(duplicate, persona("hotline"), into=master)  # not counted
        _signed(persona, lead="yy-yibao")
        new_ticket(persona, "complaint")  # never dispatched: not counted
        _reply(persona, on_time)
        _finish(persona, on_time, "satisfied")
        _reply(persona, unreachable)
        _finish(persona, unreachable, None)
    with time_machine.travel(shanghai(2026, 10, 26), tick=False):  # after the due Friday
        _reply(persona, late)
        _finish(persona, late, "basic")
    with time_machine.travel(shanghai(2026, 10, 12), tick=False):
        october = _signed(persona)
        _reply(persona, october)
        _finish(persona, october, "dissatisfied")


def _rows(**kwargs: Any) -> list[dict[str, Any]]:
    return [m.as_dict() for m in ticket_metrics(**kwargs)]


def test_figures_per_department_and_month(
    dataset: None, django_assert_num_queries: Any, settings: Any
) -> None:
    with django_assert_num_queries(1):
        rows = _rows()
    assert rows == [
        {
            "department": "yy-gongan",
            "department_name": "岳阳市公安局",
            "month": "2026-09",
            "undertaken": 4,
            "closed": 3,
            "closed_rate": "75.00",
            "on_time": 2,  # replied 28 Sep ≤ 23 Oct twice; the one replied 26 Oct is late
            "on_time_rate": "66.67",
            "followed_up": 2,  # the unreachable caller is not a 回访
            "satisfied": 1,  # 基本满意 does not count by default
            "satisfaction_rate": "50.00",
        },
        {
            "department": "yy-gongan",
            "department_name": "岳阳市公安局",
            "month": "2026-10",
            "undertaken": 1,
            "closed": 1,
            "closed_rate": "100.00",
            "on_time": 1,
            "on_time_rate": "100.00",
            "followed_up": 1,
            "satisfied": 0,
            "satisfaction_rate": "0.00",
        },
        {
            "department": "yy-yibao",
            "department_name": "岳阳市医疗保障局",
            "month": "2026-09",
            "undertaken": 1,
            "closed": 0,
            "closed_rate": "0.00",
            "on_time": 0,
            "on_time_rate": None,
            "followed_up": 0,
            "satisfied": 0,
            "satisfaction_rate": None,
        },
    ]
    settings.TONGBAN_SATISFIED_INCLUDES_BASIC = True
    with django_assert_num_queries(1):
        totals = ticket_metrics(by_month=False)
    gongan = totals[0]
    assert (gongan.department, gongan.month, gongan.undertaken) == ("yy-gongan", None, 5)
    assert (gongan.satisfied, gongan.satisfaction_rate) == (2, Decimal("66.67"))
    assert gongan.on_time_rate == Decimal("75.00")
    # Any queryset narrows it, e.g. one month of receipt.
    october = Ticket.objects.filter(received_at__date__gte=datetime.date(2026, 10, 1))
    assert [m.undertaken for m in ticket_metrics(october)] == [1]


def test_rates_are_none_without_a_denominator() -> None:
    assert percentage(0, 0) is None
    assert percentage(2, 3) == Decimal("66.67")


def test_the_figures_api_filters_by_period_and_is_for_the_operator_and_supervisor(
    dataset: None, client: Any, api_token: Any
) -> None:
    with time_machine.travel(shanghai(2026, 10, 27), tick=False):
        supervisor = {"Authorization": f"Bearer {api_token('supervisor')}"}
        september = client.get(
            "/api/v1/tickets/metrics?start=2026-09-01&end=2026-09-30", headers=supervisor
        ).json()["rows"]
        gongan = next(r for r in september if r["department"] == "yy-gongan")
        assert (gongan["undertaken"], gongan["closed"]) == (4, 3)
        october = client.get("/api/v1/tickets/metrics?start=2026-10-01", headers=supervisor)
        assert [r["undertaken"] for r in october.json()["rows"]] == [1]
        citizen = {"Authorization": f"Bearer {api_token('citizen')}"}
        refused = client.get("/api/v1/tickets/metrics", headers=citizen)
        assert refused.status_code == 403
        assert refused.json()["error"] == "forbidden"
