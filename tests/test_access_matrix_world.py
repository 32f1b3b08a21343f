"""The world the access-matrix tests (test_access_matrix_pages.py, test_access_matrix_api.py)
ask their questions about: one persona per side of every boundary, and real records made
through the action functions, owned by exactly one of them.

No tests here; the two matrix modules import the `world` fixture. The data is built once per
module inside an outer transaction that is rolled back at the end (as test_case_citizen_views.py
does with the demo catalog); each test still rolls back to its own savepoint.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from tongban.cases.actions.drafts import application_save_draft
from tongban.cases.inputs import ApplicationInput
from tongban.cases.models import Application, ApplicationMaterial, Case, Notice, Upload
from tongban.catalog.store import clear_spec_cache
from tongban.core import workcalendar
from tongban.core.demo import DEMO_PASSWORD, demo_uscc, load_demo_data
from tongban.core.identifiers import make_resident_id
from tongban.core.models import Department, DepartmentKind, Region, Role, RoleAssignment, User
from tongban.feedback.actions import rating_submit
from tongban.feedback.models import Rating, Rectification
from tongban.licences.models import Licence
from tongban.tickets.actions import ticket_create
from tongban.tickets.models import Ticket

from .case_helpers import (
    accept,
    approve_through,
    import_case_catalog,
    shanghai,
    submit,
    tc_licence_type,
)

# persona → username. "X" is 岳阳市妇幼保健院 (yy-fuyou, owns A's cases and issues A's
# licence); "Y" is 岳阳市民政局 (yy-minzheng, owns B's case). Centre X is the city's 政务服务
# 中心 (receives every online application here); centre Y is a county centre in 蓝山县.
USERNAMES: dict[str, str] = {
    "citizen_a": "citizen",
    "citizen_b": "citizen-b",
    "company": "company",
    "clerk_x": "clerk",
    "clerk_y": "clerk-lanshan",
    "approver_x": "approver-yy-fuyou",
    "approver_y": "approver-yy-minzheng",
    "supervisor_city": "supervisor",
    "supervisor_county": "supervisor-yueyanglou",
    "hotline": "hotline",
    "catalog": "catalog",
    "sysadmin": "sysadmin",
}
ANON = "anon"
PERSONAS: tuple[str, ...] = (ANON, *USERNAMES)
SIGNED_IN = frozenset(USERNAMES)
APPLICANTS = frozenset({"citizen_a", "citizen_b", "company"})
CLERKS = frozenset({"clerk_x", "clerk_y"})
APPROVERS = frozenset({"approver_x", "approver_y"})
SUPERVISORS = frozenset({"supervisor_city", "supervisor_county"})
EVERYONE = frozenset(PERSONAS)

# Text only A wrote: it must never appear on a page or in a response another persona gets.
A_RATING_COMMENT = "甲的差评：窗口让我跑了三趟"
A_TICKET_TITLE = "甲的投诉：网上申请无法提交"


@dataclasses.dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    draft_a: Application  # A's unsubmitted draft (TCHAINUP01)
    app_a: Application  # A's application, accepted, in review at X
    case_a: Case
    notice_a: Notice  # the acceptance notice of case_a
    upload_a: Upload  # A's material on case_a
    licence_a: Licence  # issued to A by X on another application
    licensed_case_no: str  # the (approved) case that issued it
    rating_a: Rating  # A's bad rating of case_a, with its rectification
    rectification_a: Rectification
    ticket_a: Ticket  # A's 12345 complaint, not yet dispatched
    app_b: Application  # B's application, received at centre X for Y, not accepted
    case_b: Case
    centre_y: Department
    department_x: Department
    department_y: Department

    def user(self, persona: str) -> User:
        return self.users[persona]


def _user(username: str, role: str, **values: Any) -> User:
    assignment = {
        k: values.pop(k) for k in ("department", "region") if k in values and values[k] is not None
    }
    user = User(username=username, full_name=values.pop("full_name", username), **values)
    user.set_password(DEMO_PASSWORD)
    user.save()
    RoleAssignment.objects.create(user=user, role=role, **assignment)
    return user


def _other_personas() -> Department:
    """The accounts the demo data lacks: B, a clerk of another centre, a county supervisor."""
    _user(
        "citizen-b",
        Role.CITIZEN,
        full_name="张乙",
        id_number=make_resident_id("43060219850101002"),
        phone="13807300009",
    )
    lanshan = Region.objects.get(code="431127")
    centre_y = Department.objects.create(
        code="ls-zhengwu",
        name="蓝山县政务服务中心",
        short_name="政务服务中心",
        region=lanshan,
        uscc=demo_uscc("12", "431127", 900101),
        kind=DepartmentKind.SERVICE_CENTER,
        phone="0746-2222002",
    )
    _user("clerk-lanshan", Role.CLERK, full_name="蓝山窗口", department=centre_y, region=lanshan)
    _user(
        "supervisor-yueyanglou",
        Role.SUPERVISOR,
        full_name="岳阳楼区监督员",
        region=Region.objects.get(code="430602"),
    )
    return centre_y


def _tokens() -> dict[str, str]:
    client = Client()
    tokens = {}
    for persona, username in USERNAMES.items():
        response = client.post(
            "/api/v1/auth/token",
            data=json.dumps({"username": username, "password": DEMO_PASSWORD}),
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        tokens[persona] = response.json()["token"]
    return tokens


def build_world() -> World:
    load_demo_data()
    workcalendar.invalidate_calendar_cache()
    centre_y = _other_personas()
    import_case_catalog("chain-test", "TINSTANT01")
    tc_licence_type()
    clear_spec_cache()
    users = {p: User.objects.get(username=u) for p, u in USERNAMES.items()}
    a, b = users["citizen_a"], users["citizen_b"]
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        licensed = submit(a, item="TCHAINUP01").cases.get()
        approve_through(licensed.case_no)
        app_a = submit(a, item="TCHAINUP01")
        case_a = accept(app_a.cases.get().case_no)
        app_b = submit(b, item="TINSTANT01")
        draft_a = application_save_draft(
            a, "citizen", ApplicationInput(item="TCHAINUP01", answers={})
        )
        rating_a = rating_submit(
            a,
            stage="accept",
            level=1,
            channel="web",
            case_no=case_a.case_no,
            comment=A_RATING_COMMENT,
        )
        ticket_a = ticket_create(
            a, type="complaint", channel="web", title=A_TICKET_TITLE, content="提交时一直报错。"
        )
    material = ApplicationMaterial.objects.filter(
        application=app_a, upload__isnull=False
    ).select_related("upload")[0]
    assert material.upload is not None
    return World(
        users=users,
        tokens=_tokens(),
        draft_a=draft_a,
        app_a=app_a,
        case_a=case_a,
        notice_a=case_a.notices.get(),
        upload_a=material.upload,
        licence_a=Licence.objects.get(case=licensed),
        licensed_case_no=licensed.case_no,
        rating_a=rating_a,
        rectification_a=Rectification.objects.get(rating=rating_a),
        ticket_a=ticket_a,
        app_b=app_b,
        case_b=app_b.cases.get(),
        centre_y=centre_y,
        department_x=case_a.department,
        department_y=app_b.cases.get().department,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            workcalendar.invalidate_calendar_cache()


def fingerprint() -> dict[str, Any]:
    """Everything a forbidden write could change: row counts and the states that matter."""
    from tongban.cases.models import ProxyMandate

    return {
        "applications": sorted(Application.objects.values_list("pk", "status", "updated_at")),
        "cases": sorted(Case.objects.values_list("case_no", "state", "step_index")),
        "materials": ApplicationMaterial.objects.count(),
        "uploads": Upload.objects.count(),
        "notices": Notice.objects.count(),
        "licences": sorted(Licence.objects.values_list("identifier", "status")),
        "ratings": sorted(Rating.objects.values_list("pk", "level", "comment")),
        "rectifications": sorted(Rectification.objects.values_list("pk", "state")),
        "tickets": sorted(Ticket.objects.values_list("number", "state", "lead_department_id")),
        "mandates": sorted(ProxyMandate.objects.values_list("pk", "state")),
    }
