"""帮代办: consent first, then the agent applies and carries the application; the agent is
named on every case event; a revoked mandate stops the agent; the citizen sees who acted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from tongban.cases.actions.proxy import MandateInput, proxy_mandate_record, proxy_mandate_revoke
from tongban.cases.inputs import ApplicantInfo
from tongban.cases.models import Application, ProxyMandate
from tongban.cases.permissions import acting_role, visible_cases
from tongban.core.errors import DomainError
from tongban.core.identifiers import make_resident_id
from tongban.core.models import AuditEvent, User

from .case_helpers import approve_through, import_case_catalog, shanghai, submit

Persona = Callable[[str], User]
ITEM = "TREVIEW01"
pytestmark = pytest.mark.usefixtures("calendar")


def _mandate(persona: Persona, **overrides: Any) -> ProxyMandate:
    citizen = persona("citizen")
    values: dict[str, Any] = {
        "principal_name": citizen.full_name,
        "principal_id_number": citizen.id_number,
        "principal_phone": "13807300001",
        "agent": persona("clerk"),
        "scope": "个体工商户登记",
        "consent_method": "call",
        "consent_reference": "LY-20260601-0012",
    }
    values.update(overrides)
    return proxy_mandate_record(persona("hotline"), MandateInput(**values))


def _apply_as_agent(persona: Persona, mandate: ProxyMandate, **extra: Any) -> Application:
    citizen = persona("citizen")
    values: dict[str, Any] = {
        "role": "clerk",
        "channel": "window",
        "applicant": ApplicantInfo(name=citizen.full_name, id_number=citizen.id_number),
        "acting_as": "proxy_staff",
        "proxy_mandate": mandate.pk,
    }
    values.update(extra)
    return submit(values.pop("actor", persona("clerk")), item=ITEM, **values)


def test_consent_is_recorded_before_anything(demo: None, persona: Persona) -> None:
    mandate = _mandate(persona)
    assert mandate.principal_user == persona("citizen")
    assert "王芳" in mandate.consent_statement
    assert "个体工商户登记" in mandate.consent_statement
    event = AuditEvent.objects.get(action="proxy.mandate")
    assert event.actor == persona("hotline")
    assert event.after is not None
    assert event.after["agent"] == "clerk"

    with pytest.raises(DomainError) as bad:
        _mandate(
            persona,
            principal_id_number="430602199203154021",
            agent=persona("approver-yy-gongan"),
            consent_method="call",
            consent_reference="",
            scope=" ",
        )
    assert bad.value.status == 400
    assert bad.value.detail[1:] == [
        "帮代办专员须为窗口工作人员",
        "请填写委托办理的事项",
        "非当面确认的，请填写授权书编号、录音编号或短信回执",
    ]
    with pytest.raises(DomainError) as not_staff:
        proxy_mandate_record(
            persona("citizen"),
            MandateInput(
                "李晓梅", persona("citizen").id_number, persona("clerk"), "x", "sms", "", "1"
            ),
        )
    assert not_staff.value.status == 403
    assert ProxyMandate.objects.count() == 1


def test_the_agent_is_named_on_every_case_event(demo: None, persona: Persona) -> None:
    import_case_catalog(ITEM)
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        mandate = _mandate(persona)
        application = _apply_as_agent(persona, mandate)
        assert application.applicant_user == persona("citizen")
        assert (application.proxy_staff, application.proxy_mandate) == (persona("clerk"), mandate)
        (case,) = application.cases.all()
        approve_through(case.case_no)
    events = AuditEvent.objects.filter(object_type="case", object_id=case.case_no)
    assert events.count() >= 3
    for event in events:
        assert event.after is not None
        assert event.after["proxy"] == {
            "mandate": mandate.pk,
            "agent": "clerk",
            "agent_name": "王芳",
        }, event.action
    submitted = AuditEvent.objects.get(action="application.submit")
    assert submitted.after is not None
    assert submitted.after["proxy"]["agent"] == "clerk"


def test_only_the_named_agent_for_the_same_person_under_a_live_mandate(
    demo: None, persona: Persona
) -> None:
    import_case_catalog(ITEM)
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        mandate = _mandate(persona)
        other = User.objects.create(username="clerk2", full_name="李强")
        other.role_assignments.create(
            role="clerk", department=persona("clerk").role_assignments.get().department
        )
        with pytest.raises(DomainError) as not_named:
            _apply_as_agent(persona, mandate, actor=other)
        assert not_named.value.status == 403
        stranger = ApplicantInfo(name="张三", id_number=make_resident_id("43060219850101001"))
        with pytest.raises(DomainError) as someone_else:
            _apply_as_agent(persona, mandate, applicant=stranger)
        assert someone_else.value.detail == "申请人与帮代办委托人不是同一人"
        with pytest.raises(DomainError) as no_consent:
            _apply_as_agent(persona, mandate, proxy_mandate=None)
        assert no_consent.value.status == 400
        assert not Application.objects.exists()

        application = _apply_as_agent(persona, mandate)
        (_case,) = application.cases.all()
        proxy_mandate_revoke(persona("citizen"), mandate.pk, reason="已自行办理")
        with pytest.raises(DomainError) as revoked:
            _apply_as_agent(persona, mandate)
        assert revoked.value.status == 409
        assert AuditEvent.objects.filter(action="proxy.revoke").count() == 1
        with pytest.raises(DomainError) as twice:
            proxy_mandate_revoke(persona("citizen"), mandate.pk, reason="再次")
        assert twice.value.status == 409


def test_an_agent_from_another_centre_carries_it_only_while_the_mandate_lives(
    demo: None, persona: Persona
) -> None:
    import_case_catalog(ITEM)
    roving = User.objects.create(username="bangban", full_name="周帮办")
    ls = persona("approver-ls-shenpi").role_assignments.get().department
    assert ls is not None
    roving.role_assignments.create(role="clerk", department=ls)  # another county's centre
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        mandate = _mandate(persona, agent=roving)
        application = _apply_as_agent(persona, mandate, actor=roving)
        (case,) = application.cases.all()
    assert acting_role(roving, case, "withdraw") == "clerk"
    assert acting_role(roving, case, "approve") is None
    assert list(visible_cases(roving)) == [case]
    proxy_mandate_revoke(persona("citizen"), mandate.pk, reason="不再需要")
    case.application.refresh_from_db()
    assert acting_role(roving, case, "withdraw") is None
    assert not visible_cases(roving).exists()


def test_the_citizen_sees_who_acted(
    demo: None, persona: Persona, logged_in: Callable[[str], Any]
) -> None:
    import_case_catalog(ITEM)
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        application = _apply_as_agent(persona, _mandate(persona))
        client = logged_in("citizen")
        page = client.get(f"/cases/mine/{application.number}/").content.decode()
    assert 'data-testid="proxy-mandate"' in page
    assert "王芳 · 代您提交申请" in page
    assert "电话确认（录音留存）" in page
    assert 'data-testid="proxy-action-application.submit"' in page


def test_the_desk_records_a_mandate_and_refuses_bad_input(
    demo: None, persona: Persona, logged_in: Callable[[str], Any]
) -> None:
    client = logged_in("hotline")
    citizen = persona("citizen")
    form = {
        "principal_name": citizen.full_name,
        "principal_id_number": citizen.id_number,
        "agent": str(persona("clerk").pk),
        "scope": "",
        "consent_method": "call",
        "consent_reference": "LY-1",
    }
    refused = client.post("/cases/staff/proxy/", form)
    assert refused.status_code == 400
    assert "请填写委托办理的事项" in refused.content.decode()
    assert not ProxyMandate.objects.exists()
    form["scope"] = "残疾人证办理"
    assert client.post("/cases/staff/proxy/", form).status_code == 302
    mandate = ProxyMandate.objects.get()
    assert (mandate.recorded_by, mandate.agent) == (persona("hotline"), persona("clerk"))
    assert (
        f'data-testid="mandate-{mandate.pk}"' in client.get("/cases/staff/proxy/").content.decode()
    )
    client.logout()
    assert logged_in("approver-yy-gongan").get("/cases/staff/proxy/").status_code == 403
