"""派单目录: suggestions (item mapping beats keywords, more hits win, deterministic ties),
dispatch with the suggestion or an override recorded in the audit event; who sees which
ticket; linking applications and cases."""

from __future__ import annotations

import pytest
import time_machine

from tongban.core.models import Department
from tongban.tickets.actions import ticket_dispatch
from tongban.tickets.demo import DEMO_RULES, load_demo_dispatch_rules
from tongban.tickets.dispatch import suggest_dispatch
from tongban.tickets.followup import ticket_link
from tongban.tickets.models import DispatchRule
from tongban.tickets.queries import visible_tickets

from .case_helpers import import_case_catalog, submit
from .test_tickets import GONGAN, MONDAY, Persona, events, new_ticket, status_of

pytestmark = pytest.mark.usefixtures("calendar")


@pytest.fixture
def rules(demo: None) -> None:
    load_demo_dispatch_rules()


def _rule(name: str, lead: str, keywords: list[str], **extra: object) -> DispatchRule:
    return DispatchRule.objects.create(
        name=name, lead_department=Department.objects.get(code=lead), keywords=keywords, **extra
    )


def test_the_demo_catalogue_loads_once(demo: None) -> None:
    assert load_demo_dispatch_rules() == len(DEMO_RULES) + 1  # + the co-department set
    assert load_demo_dispatch_rules() == 0
    assert DispatchRule.objects.count() == len(DEMO_RULES)


def test_keywords_suggest_lead_and_co_departments(rules: None) -> None:
    found = suggest_dispatch("我的身份证丢了，想补办")
    assert found is not None
    assert (found.lead.code, found.matched_by, found.hits) == ("yy-gongan", "keywords", ["身份证"])
    shop = suggest_dispatch("开饭店办营业执照和食品经营许可要多久")
    assert shop is not None
    assert (shop.lead.code, [d.code for d in shop.co]) == ("yy-shichang", ["yy-shuiwu"])
    assert shop.hits == ["营业执照", "食品"]
    assert suggest_dispatch("今天天气怎么样") is None


def test_more_hits_win_then_priority_then_the_older_rule(rules: None) -> None:
    # 医保 (1 hit: 医保) vs 社保卡与养老 (2 hits: 社保卡, 社保).
    found = suggest_dispatch("社保卡里的医保钱")
    assert found is not None
    assert found.lead.code == "yy-renshe"
    first = _rule("甲", "yy-minzheng", ["低保"])
    _rule("乙", "yy-canlian", ["低保"])
    tie = suggest_dispatch("低保申请")
    assert tie is not None
    assert tie.rule == first
    _rule("丙", "yy-canlian", ["低保"], priority=5)
    higher = suggest_dispatch("低保申请")
    assert higher is not None
    assert higher.rule.name == "丙"
    _rule("停用", "yy-fagai", ["低保", "申请"], is_active=False)
    again = suggest_dispatch("低保申请")
    assert again is not None
    assert again.rule.name == "丙"


def test_an_item_mapping_beats_keywords(rules: None) -> None:
    _rule("出生一件事", "yy-weijian", [], item_code="00000000001A", priority=-10)
    found = suggest_dispatch("给孩子办户口和身份证", "00000000001a")
    assert found is not None
    assert (found.lead.code, found.matched_by) == ("yy-weijian", "item")
    unmapped = suggest_dispatch("给孩子办户口和身份证", "999999999999")
    assert unmapped is not None
    assert unmapped.lead.code == "yy-gongan"


def test_dispatch_records_the_suggestion_and_any_override(rules: None, persona: Persona) -> None:
    hotline = persona("hotline")
    with time_machine.travel(MONDAY, tick=False):
        followed = new_ticket(persona, "consult").number  # about 身份证
        ticket = ticket_dispatch(followed, hotline)
        assert ticket.lead_department is not None
        assert ticket.lead_department.code == "yy-gongan"
        overridden = new_ticket(persona, "consult").number
        ticket_dispatch(overridden, hotline, lead="yy-zhengwu", co=["yy-gongan"])
        nothing = new_ticket(persona, "consult", title="天气", content="问天气").number
        assert status_of(lambda: ticket_dispatch(nothing, hotline)) == (
            400,
            "派单目录中没有匹配的承办单位，请指定承办单位",
        )
        assert status_of(lambda: ticket_dispatch(nothing, hotline, lead="nope"))[0] == 400
        assert status_of(
            lambda: ticket_dispatch(nothing, hotline, lead="yy-gongan", co=["yy-gongan"])
        ) == (400, "协办单位不能与承办单位相同")
        ticket_dispatch(nothing, hotline, lead="yy-minzheng")
    after = events(followed)[-1].after or {}
    assert (after["lead"], after["overridden"], after["suggested"]["lead"]) == (
        "yy-gongan",
        False,
        "yy-gongan",
    )
    after = events(overridden)[-1].after or {}
    assert (after["lead"], after["co"], after["overridden"]) == ("yy-zhengwu", ["yy-gongan"], True)
    assert after["suggested"]["lead"] == "yy-gongan"
    after = events(nothing)[-1].after or {}
    assert (after["suggested"], after["overridden"]) == (None, False)


def test_who_sees_which_ticket(persona: Persona) -> None:
    hotline = persona("hotline")
    with time_machine.travel(MONDAY, tick=False):
        led = new_ticket(persona, "complaint").number
        ticket_dispatch(led, hotline, lead="yy-gongan", co=["yy-yibao"])
        own = new_ticket(persona, caller_id_number=persona("citizen").id_number).number
    for username, expected in [
        ("hotline", {led, own}),
        ("supervisor", {led, own}),
        (GONGAN, {led}),
        ("approver-yy-yibao", {led}),  # assisting
        ("approver-yy-renshe", set()),
        ("citizen", {own}),
        ("company", set()),
        ("clerk", set()),
    ]:
        seen = set(visible_tickets(persona(username)).values_list("number", flat=True))
        assert seen == expected, username


def test_link_applications_and_cases_one_may_see(persona: Persona) -> None:
    import_case_catalog("TREVIEW01")  # at yy-shichang
    citizen = persona("citizen")
    with time_machine.travel(MONDAY, tick=False):
        mine = submit(citizen, item="TREVIEW01")
        others = submit(persona("company"), item="TREVIEW01")
        case_no = mine.cases.get().case_no
        number = new_ticket(persona, caller_id_number=citizen.id_number).number
        hotline = persona("hotline")
        assert status_of(lambda: ticket_link(number, hotline))[0] == 400
        assert status_of(
            lambda: ticket_link(number, hotline, applications=[others.number or ""])
        ) == (404, f"申请或办件“{others.number}”不存在")
        assert status_of(lambda: ticket_link(number, persona(GONGAN), cases=[case_no]))[0] == 403
        linked = ticket_link(number, hotline, applications=[mine.number or ""], cases=[case_no])
        assert [a.number for a in linked.applications.all()] == [mine.number]
        assert [c.case_no for c in linked.cases.all()] == [case_no]
        # The lead department links only cases it sees (its own).
        other_case = others.cases.get().case_no
        ticket_dispatch(number, hotline, lead="yy-shichang")
        shichang = persona("approver-yy-shichang")
        assert ticket_link(number, shichang, cases=[other_case]).cases.count() == 2
        ticket_dispatch_to_gongan = new_ticket(persona).number
        ticket_dispatch(ticket_dispatch_to_gongan, hotline, lead="yy-gongan")
        assert (
            status_of(
                lambda: ticket_link(ticket_dispatch_to_gongan, persona(GONGAN), cases=[case_no])
            )[0]
            == 404
        )
    assert events(number)[-1].action == "ticket.link"
