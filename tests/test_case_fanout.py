"""Fan-out and the bundle graph: one pinned case per item in play, case numbers, waiting
cases that start by themselves when every upstream case is approved (with the upstream
result in place of the material it replaces), and cancellation when an upstream case will
not be approved."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator

import pytest
import time_machine

from tongban.cases.actions.lifecycle import (
    case_deny,
    case_refuse,
    case_revoke,
    case_withdraw,
    item_of,
)
from tongban.cases.enums import CaseState, Provision
from tongban.cases.models import ApplicationMaterial, Case, CaseLink
from tongban.cases.queries import bundle_status, cases_of
from tongban.catalog.actions import catalog_import
from tongban.catalog.catalog_file import parse_catalog_text
from tongban.catalog.demo import load_demo_catalog
from tongban.catalog.models import ServiceItem
from tongban.core.models import User
from tongban.core.workcalendar import current_calendar

from .case_helpers import (
    accept,
    advance_to_last_step,
    approve_through,
    approver_of,
    cases_by_item,
    import_case_catalog,
    shanghai,
    submit,
    transition_events,
)
from .conftest import MINI_CATALOG

D = datetime.date.fromisoformat
Persona = Callable[[str], User]
UP, MID, DOWN, SIDE = "TCHAINUP01", "TCHAINMID01", "TCHAINDOWN01", "TCHAINSIDE01"


@pytest.fixture
def case_catalog(demo: None) -> None:
    import_case_catalog("chain-test", "TREVIEW01", "TNATURAL01")


@pytest.fixture
def monday() -> Iterator[None]:
    with time_machine.travel(shanghai(2026, 6, 1), tick=True):
        yield


def _state(case: Case) -> str:
    case.refresh_from_db()
    return case.state


# --- fan-out ------------------------------------------------------------------------------


def test_one_case_per_item_in_play_pinned_to_the_published_version(
    mini_catalog, persona, monday
) -> None:
    application = submit(
        persona("citizen"),
        bundle="newborn-mini",
        answers={"born_here": "yes", "want_card": "no", "married": "yes"},
    )
    cases = cases_by_item(application)
    # D0001 (社保卡) joins only when asked for.
    assert set(cases) == {"A0001", "B0001", "C0001"}
    published = dict(ServiceItem.objects.values_list("code", "published_id"))
    for code, case in cases.items():
        assert case.item_version_id == published[code]
        assert case.item.code == code
        assert case.department.code == ServiceItem.objects.get(code=code).department.code
        assert case.service_centre is not None
        assert case.service_centre.code == "yy-zhengwu"
        assert case.applicant_user == persona("citizen")
        assert re.fullmatch(rf"{code}20260601\d{{4}}", case.case_no), case.case_no
    assert {c: cases[c].state for c in cases} == {
        "A0001": CaseState.RECEIVED,
        "B0001": CaseState.WAITING,
        "C0001": CaseState.WAITING,
    }
    links = {
        (link.upstream.item_code, link.downstream.item_code, link.satisfies)
        for link in CaseLink.objects.filter(downstream__application=application)
    }
    assert links == {("A0001", "B0001", "birth_medical_certificate"), ("B0001", "C0001", "")}
    assert re.fullmatch(r"SQ20260601\d{6}", application.number or "")


def test_a_later_catalog_version_does_not_change_a_case_in_progress(
    mini_catalog, persona, monday
) -> None:
    answers = {"born_here": "yes", "want_card": "no", "married": "yes"}
    citizen = persona("citizen")
    case = cases_by_item(submit(citizen, bundle="newborn-mini", answers=answers))["A0001"]
    pinned = case.item_version_id
    # The promise of A0001 goes from 3 to 4 working days in a new published version.
    text = MINI_CATALOG.read_text(encoding="utf-8")
    assert text.count("promised_limit: {days: 3}") == 1
    catalog_import(
        parse_catalog_text(text.replace("promised_limit: {days: 3}", "promised_limit: {days: 4}")),
        actor=None,
    )
    item = ServiceItem.objects.get(code="A0001")
    assert item.published_id != pinned
    case.refresh_from_db()
    assert case.item_version_id == pinned
    assert item_of(case).promised_limit.days == 3
    accept(case.case_no)
    case.refresh_from_db()
    assert case.promised_due == current_calendar().add_working_days(D("2026-06-01"), 3).due
    # A new application pins the new version.
    newer = cases_by_item(submit(citizen, bundle="newborn-mini", answers=answers))["A0001"]
    assert newer.item_version_id == item.published_id
    assert item_of(newer).promised_limit.days == 4


def test_case_numbers_are_item_code_day_and_a_daily_sequence(case_catalog, persona) -> None:
    citizen = persona("citizen")
    with time_machine.travel(shanghai(2026, 6, 1), tick=True):
        first = submit(citizen, item="TREVIEW01").cases.get().case_no
        second = submit(citizen, item="TREVIEW01").cases.get().case_no
        other = submit(citizen, item="TNATURAL01").cases.get().case_no
    with time_machine.travel(shanghai(2026, 6, 2), tick=True):
        next_day = submit(citizen, item="TREVIEW01").cases.get().case_no
    assert (first, second) == ("TREVIEW01202606010001", "TREVIEW01202606010002")
    # One sequence per item and day.
    assert other == "TNATURAL01202606010001"
    assert next_day == "TREVIEW01202606020001"


# --- release and cancellation --------------------------------------------------------------


NEWBORN = {
    "born_here": "yes",
    "parents_hukou": "both_local",
    "married": "yes",
    "want_insure": "yes",
    "want_card": "yes",
    "card_holder": "minor",
    "mother_insured": "no",
}
BIRTH_CERT = "12430600DE000019613000119001000"
BIRTH_REGISTRATION = "11430600DE000001403000101001000"
INSURANCE = "11430600DE0000030M3000103001000"
SOCIAL_CARD = "11430600DE0000049J3000104001000"


def test_newborn_birth_registration_waits_and_starts_by_itself(demo, persona) -> None:
    load_demo_catalog()
    with time_machine.travel(shanghai(2026, 11, 23), tick=True):
        application = submit(persona("citizen"), bundle="newborn", answers=NEWBORN)
        cases = cases_by_item(application)
        registration = cases[BIRTH_REGISTRATION]
        assert registration.state == CaseState.WAITING
        assert cases[INSURANCE].state == CaseState.WAITING
        assert cases[SOCIAL_CARD].state == CaseState.WAITING
        certificate = cases[BIRTH_CERT]
        assert certificate.state == CaseState.RECEIVED
        material = ApplicationMaterial.objects.get(
            application=application, key="birth_medical_certificate", replaced_at__isnull=True
        )
        assert material.provision == Provision.PRODUCED
        assert material.source_ref == BIRTH_CERT  # the item that will produce it

        approve_through(certificate.case_no)

        assert _state(registration) == CaseState.RECEIVED
        material.refresh_from_db()
        assert material.provision == Provision.PRODUCED
        # Now it names the upstream case that produced it.
        assert material.source_ref.startswith(certificate.case_no)
        assert "出生医学证明" in material.source_ref
        release = transition_events(registration.case_no)[-1]
        assert release.action == "case.release"
        assert release.role == "system"
        assert release.after is not None
        assert release.after["upstream"] == certificate.case_no
        # 医保 and 社保卡 wait for 出生登记, not for 出生医学证明.
        assert _state(cases[INSURANCE]) == CaseState.WAITING
        assert _state(cases[SOCIAL_CARD]) == CaseState.WAITING

        # 出生登记 denied: what waits on it ends.
        accept(registration.case_no)
        approver = approver_of(registration)
        advance_to_last_step(registration.case_no)
        case_deny(
            registration.case_no,
            actor=approver,
            role="approver",
            reason="申报人与新生儿关系无法核实",
            legal_basis="《中华人民共和国户口登记条例》第七条",
        )
        assert _state(cases[INSURANCE]) == CaseState.CANCELLED
        assert _state(cases[SOCIAL_CARD]) == CaseState.CANCELLED
        cancel = transition_events(cases[INSURANCE].case_no)[-1]
        assert cancel.action == "case.cancel"
        assert cancel.after is not None
        assert cancel.after["upstream"] == registration.case_no


def test_a_waiting_case_starts_only_when_every_upstream_is_approved(
    case_catalog, persona, monday
) -> None:
    cases = cases_by_item(submit(persona("citizen"), bundle="chain-test"))
    assert {c: cases[c].state for c in cases} == {
        UP: CaseState.RECEIVED,
        MID: CaseState.WAITING,
        DOWN: CaseState.WAITING,
        SIDE: CaseState.RECEIVED,
    }
    approve_through(cases[UP].case_no)
    assert _state(cases[MID]) == CaseState.RECEIVED
    licence = ApplicationMaterial.objects.get(
        application=cases[UP].application, key="tc_licence_a", replaced_at__isnull=True
    )
    assert licence.provision == Provision.PRODUCED
    assert licence.source_ref == f"{cases[UP].case_no} 测试证明甲"
    assert _state(cases[DOWN]) == CaseState.WAITING

    approve_through(cases[SIDE].case_no)
    # MID is not decided yet: DOWN still waits.
    assert _state(cases[DOWN]) == CaseState.WAITING
    approve_through(cases[MID].case_no)
    assert _state(cases[DOWN]) == CaseState.RECEIVED
    release = transition_events(cases[DOWN].case_no)
    assert [e.action for e in release] == ["case.release"]
    assert release[0].after is not None
    assert release[0].after["upstream"] == cases[MID].case_no
    # Released cases start without the applicant: the window accepts them as usual.
    accept(cases[DOWN].case_no)
    assert _state(cases[DOWN]) == CaseState.IN_REVIEW


def _stop(how: str, case: Case, persona: Persona) -> None:
    if how == "deny":
        accept(case.case_no)
        advance_to_last_step(case.case_no)
        case_deny(
            case.case_no,
            actor=approver_of(case),
            role="approver",
            reason="不符合条件",
            legal_basis="《测试条例》第七条",
        )
    elif how == "refuse":
        case_refuse(case.case_no, actor=persona("clerk"), role="clerk", reason="不属于受理范围")
    else:
        case_withdraw(case.case_no, actor=persona("citizen"), role="citizen", reason="不办了")


@pytest.mark.parametrize("how", ["deny", "refuse", "withdraw"])
def test_an_upstream_that_will_not_be_approved_cancels_what_waits_on_it(
    case_catalog, persona, monday, how: str
) -> None:
    cases = cases_by_item(submit(persona("citizen"), bundle="chain-test"))
    _stop(how, cases[UP], persona)
    # MID waited on UP, DOWN on MID: both end; SIDE is independent and goes on.
    assert _state(cases[MID]) == CaseState.CANCELLED
    assert _state(cases[DOWN]) == CaseState.CANCELLED
    assert _state(cases[SIDE]) == CaseState.RECEIVED
    for case in (cases[MID], cases[DOWN]):
        event = transition_events(case.case_no)[-1]
        assert (event.action, event.before, event.role) == (
            "case.cancel",
            {"state": "waiting", "step": 0},
            "system",
        )
    # Approving SIDE later does not bring DOWN back.
    approve_through(cases[SIDE].case_no)
    assert _state(cases[DOWN]) == CaseState.CANCELLED


def test_withdrawing_a_waiting_case_cancels_its_own_downstream(
    case_catalog, persona, monday
) -> None:
    cases = cases_by_item(submit(persona("citizen"), bundle="chain-test"))
    case_withdraw(cases[MID].case_no, actor=persona("citizen"), role="citizen")
    assert _state(cases[MID]) == CaseState.WITHDRAWN
    assert _state(cases[DOWN]) == CaseState.CANCELLED
    assert _state(cases[UP]) == CaseState.RECEIVED


def test_a_revoked_upstream_cancels_what_still_waits_on_it(case_catalog, persona, monday) -> None:
    """SIDE approved, then revoked while DOWN still waits for MID: DOWN can never start
    (release needs every upstream approved), so it must end rather than wait forever."""
    cases = cases_by_item(submit(persona("citizen"), bundle="chain-test"))
    approve_through(cases[SIDE].case_no)
    case_revoke(
        cases[SIDE].case_no,
        actor=approver_of(cases[SIDE]),
        role="approver",
        reason="决定依据的材料不实",
    )
    approve_through(cases[UP].case_no)
    approve_through(cases[MID].case_no)
    assert _state(cases[DOWN]) == CaseState.CANCELLED


# --- the application's due date -------------------------------------------------------------


def test_bundle_due_date_is_the_critical_path(case_catalog, persona) -> None:
    cal = current_calendar()
    with time_machine.travel(shanghai(2026, 6, 1), tick=True):
        application = submit(persona("citizen"), bundle="chain-test")
        cases = cases_by_item(application)
        status = bundle_status(cases_of(application))
        # UP (2) → MID (5) → DOWN (3) = 10 working days beats SIDE (4) → DOWN (3).
        assert status.due == cal.add_working_days(D("2026-06-01"), 10).due == D("2026-06-15")
        assert status.label == "待受理"
        assert status.provisional is False
        accept(cases[UP].case_no)
        accept(cases[SIDE].case_no)
        status = bundle_status(cases_of(application))
        assert status.due == D("2026-06-15")
        assert status.label == "办理中"
    # UP is decided a week late: everything after it moves.
    with time_machine.travel(shanghai(2026, 6, 8), tick=True):
        approve_through(cases[UP].case_no, accept_first=False)
        status = bundle_status(cases_of(application))
        # MID from 6/8 + 5 = 6/15, DOWN + 3 = 6/18.
        assert status.due == D("2026-06-18")
    with time_machine.travel(shanghai(2026, 6, 9), tick=True):
        case_withdraw(cases[MID].case_no, actor=persona("citizen"), role="citizen")
        status = bundle_status(cases_of(application))
        # MID withdrawn, DOWN cancelled: the application is done when SIDE (due 6/5) is; the
        # last result so far is UP's, of 6/8.
        assert status.due == D("2026-06-08")
