"""好差评 pages: the rater's invitation, form and 二次评价; the rated unit's desk; the
supervisor's figures and appeal review; the window pad; the public results page. Who may
open what, that every form goes through the action (and on error shows Chinese, keeps what
was typed and writes nothing), and that the list pages do not query per row."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client

from tongban.cases.inputs import ApplicantInfo
from tongban.cases.models import Application, Case
from tongban.core.errors import DomainError
from tongban.core.identifiers import make_resident_id
from tongban.core.models import AuditEvent, Department, User
from tongban.feedback.actions import (
    rating_submit,
    rectification_appeal,
    rectification_follow_up,
    rectification_resolve,
)
from tongban.feedback.enums import RectificationState, Stage
from tongban.feedback.models import Rating, Rectification
from tongban.feedback.queries import pending_ratings

from .case_helpers import accept, approver_of, shanghai, submit
from .test_feedback import ITEM, decided

__all__ = ["decided"]
pytestmark = pytest.mark.usefixtures("calendar")
Persona = Callable[[str], User]
Login = Callable[[str], Client]
COMMENT = "补正告知不一次说清，跑了三趟"


def _bad(case: Case, citizen: User, *, anonymous: bool = False) -> Rectification:
    rating = rating_submit(
        citizen,
        stage=Stage.COMPLETE,
        case_no=case.case_no,
        level=1,
        channel="web",
        comment=COMMENT,
        anonymous=anonymous,
    )
    return Rectification.objects.get(rating=rating)


def _text(response: Any) -> str:
    return str(response.content.decode())


# ---------------------------------------------------------------- the rater


def test_pending_ratings_follow_the_rules_in_one_query(
    decided: Case, persona: Persona, django_assert_num_queries: Any
) -> None:
    application = decided.application
    cases = list(application.cases.all())
    with django_assert_num_queries(1):
        pending = pending_ratings(application, cases)
    assert [(c.case_no, s) for c, s in pending] == [
        (decided.case_no, "accept"),
        (decided.case_no, "complete"),
    ]
    _bad(decided, persona("citizen"))
    assert [s for _, s in pending_ratings(application)] == ["accept"]
    fresh = submit(persona("citizen"), item=ITEM).cases.get()
    assert pending_ratings(fresh.application) == []  # not accepted yet
    accept(fresh.case_no)
    assert [s for _, s in pending_ratings(fresh.application)] == ["accept"]


def test_the_citizen_is_invited_rates_and_sees_the_reply(
    decided: Case, logged_in: Login, persona: Persona
) -> None:
    client = logged_in("citizen")
    page_url = f"/cases/mine/{decided.application.number}/"
    page = _text(client.get(page_url))
    assert "请评价受理环节" in page
    assert "请评价办结环节" in page
    rate_url = f"/feedback/rate/{decided.case_no}/complete/"
    assert rate_url in page

    form = _text(client.get(rate_url))
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意", "办事指南精确度"):
        assert label in form
    assert "至少5个字" in form  # the hint before anyone gets it wrong

    # A 差评 without a reason: the action's Chinese message, what was typed kept, nothing written.
    short = client.post(rate_url, {"level": "1", "comment": "差", "indicator_1": "2"})
    assert short.status_code == 400
    assert "差评请说明原因（至少5个字），以便整改" in _text(short)
    assert ">差</textarea>" in _text(short)
    assert 'value="2" autocomplete="off" checked' in _text(short)
    no_level = client.post(rate_url, {"comment": "很好"})
    assert no_level.status_code == 400
    assert "请选择评价等级" in _text(no_level)
    assert not Rating.objects.exists()

    done = client.post(
        rate_url, {"level": "1", "comment": COMMENT, "indicator_0": "1", "anonymous": "on"}
    )
    assert done.status_code == 302
    assert done["Location"].startswith(page_url)
    rating = Rating.objects.get()
    assert (rating.level, rating.channel, rating.anonymous) == (1, "web", True)
    assert rating.indicators == {"整体满意度": 1}
    assert rating.rater == persona("citizen")

    page = _text(client.get(page_url))
    assert "请评价办结环节" not in page
    assert "请评价受理环节" in page
    assert "非常不满意" in page
    assert "待回访" in page
    again = client.get(rate_url)
    assert again.status_code == 302
    assert again["Location"] == f"/feedback/mine/{rating.pk}/"
    twice = client.post(rate_url, {"level": "5"})
    assert twice.status_code == 302  # already rated: shown, not rated again
    assert Rating.objects.count() == 1

    # The department answers; the citizen reads it and rates again (二次评价).
    staff = approver_of(decided)
    pk = rating.rectification.pk
    rectification_follow_up(pk, staff, method="phone", notes="已电话回访，情况属实")
    rectification_resolve(
        pk, staff, finding="immediate", fix="一次性告知培训", reply="已整改，感谢您的监督"
    )
    page = _text(client.get(page_url))
    assert "已整改，感谢您的监督" in page
    assert "二次评价" in page
    missing = client.post(f"/feedback/mine/{rating.pk}/re-rate/", {"next": page_url})
    assert missing.status_code == 400
    assert "请选择评价等级" in _text(missing)
    closed = client.post(
        f"/feedback/mine/{rating.pk}/re-rate/", {"re_level": "4", "next": page_url}
    )
    assert closed.status_code == 302
    assert closed["Location"] == page_url
    rating.refresh_from_db()
    assert rating.re_level == 4
    assert rating.rectification.state == RectificationState.CLOSED

    mine = _text(client.get("/feedback/mine/"))
    assert decided.item_name in mine
    assert "已办结" in mine


def test_who_may_rate_and_what(decided: Case, logged_in: Login, persona: Persona) -> None:
    rate_url = f"/feedback/rate/{decided.case_no}/complete/"
    anonymous = Client().get(rate_url)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert logged_in("company").get(rate_url).status_code == 404  # not their case
    assert logged_in("company").post(rate_url, {"level": "5"}).status_code == 404
    assert logged_in("clerk").get(rate_url).status_code == 403  # staff do not rate
    client = logged_in("citizen")
    assert client.get(f"/feedback/rate/{decided.case_no}/window/").status_code == 404
    fresh = submit(persona("citizen"), item=ITEM).cases.get()
    early = client.get(f"/feedback/rate/{fresh.case_no}/accept/")
    assert early.status_code == 409
    assert "办件受理后才能评价受理环节" in _text(early)
    posted = client.post(f"/feedback/rate/{fresh.case_no}/accept/", {"level": "5"})
    assert posted.status_code == 409
    assert "办件受理后才能评价受理环节" in _text(posted)
    rating = Rating.objects.create(
        case=decided,
        application=decided.application,
        stage="accept",
        department=decided.department,
        level=5,
        channel="web",
        rater=persona("citizen"),
    )
    assert logged_in("company").get(f"/feedback/mine/{rating.pk}/").status_code == 404
    # A good rating is shown without any rectification.
    page = _text(logged_in("citizen").get(f"/cases/mine/{decided.application.number}/"))
    assert 'data-testid="rating-level">非常满意<' in page
    assert "rectification-status" not in page
    assert not Rating.objects.exclude(pk=rating.pk).exists()


# ---------------------------------------------------------------- the desk


def test_the_unit_works_its_rectification_on_the_desk(
    decided: Case, logged_in: Login, persona: Persona
) -> None:
    rectification = _bad(decided, persona("citizen"))
    pk = rectification.pk
    staff = approver_of(decided)
    client = logged_in(staff.username)
    home = _text(client.get("/home/approver/"))
    assert 'data-testid="home-rectifications-open">1<' in home

    desk = _text(client.get("/feedback/desk/"))
    assert f"/feedback/desk/{pk}/" in desk
    assert "待回访" in desk
    detail = _text(client.get(f"/feedback/desk/{pk}/"))
    assert "李晓梅" in detail
    assert COMMENT in detail
    # Only what the state allows: 回访 and 申诉 from 待回访, not 整改答复 or 办结.
    assert 'data-testid="form-follow_up"' in detail
    assert 'data-testid="form-appeal"' in detail
    assert 'data-testid="form-resolve"' not in detail
    assert 'data-testid="form-close"' not in detail
    assert 'data-testid="form-review_appeal"' not in detail

    events = AuditEvent.objects.count()
    empty = client.post(f"/feedback/desk/{pk}/do/follow_up/", {"method": "phone", "notes": " "})
    assert empty.status_code == 400
    assert "请填写回访记录" in _text(empty)
    call = client.post(
        f"/feedback/desk/{pk}/do/follow_up/", {"method": "none", "notes": "没有打电话"}
    )
    assert call.status_code == 400
    assert "实名差评必须回访" in _text(call)
    assert "没有打电话" in _text(call)  # kept
    early = client.post(
        f"/feedback/desk/{pk}/do/resolve/", {"finding": "immediate", "fix": "x", "reply": "y"}
    )
    assert early.status_code == 409
    assert "不能整改答复" in _text(early)
    assert AuditEvent.objects.count() == events
    assert Rectification.objects.get(pk=pk).state == RectificationState.OPEN

    done = client.post(
        f"/feedback/desk/{pk}/do/follow_up/", {"method": "phone", "notes": "已电话回访，属实"}
    )
    assert done.status_code == 302
    half = client.post(
        f"/feedback/desk/{pk}/do/resolve/",
        {"finding": "immediate", "fix": "窗口人员一次性告知培训", "reply": ""},
    )
    assert half.status_code == 400
    assert "请填写给评价人的答复" in _text(half)
    assert "窗口人员一次性告知培训" in _text(half)
    assert Rectification.objects.get(pk=pk).state == RectificationState.FOLLOWED_UP
    client.post(
        f"/feedback/desk/{pk}/do/resolve/",
        {"finding": "immediate", "fix": "窗口人员一次性告知培训", "reply": "已整改"},
    )
    replied = _text(client.get(f"/feedback/desk/{pk}/"))
    assert "已答复" in replied
    assert 'data-testid="form-close"' in replied
    closed = client.post(f"/feedback/desk/{pk}/do/close/")
    assert closed.status_code == 302
    assert Rectification.objects.get(pk=pk).state == RectificationState.CLOSED
    assert client.post(f"/feedback/desk/{pk}/do/nothing/").status_code == 404


def test_the_desk_is_the_units_own(decided: Case, logged_in: Login, persona: Persona) -> None:
    pk = _bad(decided, persona("citizen"), anonymous=True).pk
    other = logged_in("approver-yy-gongan")
    assert f"/feedback/desk/{pk}/" not in _text(other.get("/feedback/desk/"))
    assert other.get(f"/feedback/desk/{pk}/").status_code == 404
    notes = {"method": "phone", "notes": "x"}
    assert other.post(f"/feedback/desk/{pk}/do/follow_up/", notes).status_code == 404
    assert logged_in("citizen").get("/feedback/desk/").status_code == 403
    assert logged_in("citizen").get(f"/feedback/desk/{pk}/").status_code == 403
    anonymous = Client().get("/feedback/desk/")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert Rectification.objects.get(pk=pk).state == RectificationState.OPEN

    staff = logged_in(approver_of(decided).username)
    detail = _text(staff.get(f"/feedback/desk/{pk}/"))
    assert "匿名评价" in detail
    assert "李晓梅" not in detail
    assert "无法回访（匿名评价）" in detail  # an anonymous one may go without a call


def _many_rectifications(decided: Case, persona: Persona, n: int) -> None:
    """n more 差评 on other cases and units, written directly: the pages only read them."""
    citizen = persona("citizen")
    departments = list(Department.objects.exclude(pk=decided.department_id).order_by("pk")[:n])
    for index in range(n):
        case = submit(citizen, item=ITEM).cases.get()
        department = decided.department if index % 2 else departments[index]
        rating = Rating.objects.create(
            case=case,
            application=case.application,
            stage="complete",
            department=department,
            level=1 + index % 2,
            comment=COMMENT,
            channel="web",
            rater=citizen,
        )
        Rectification.objects.create(
            rating=rating,
            department=department,
            due_on=datetime.date(2026, 9, 1 + index),  # some late
            state=RectificationState.APPEALED if index == 1 else RectificationState.OPEN,
        )


def test_list_pages_do_not_query_per_row(
    decided: Case,
    logged_in: Login,
    persona: Persona,
    django_assert_max_num_queries: Any,
) -> None:
    _bad(decided, persona("citizen"))
    _many_rectifications(decided, persona, 6)
    staff = logged_in(approver_of(decided).username)
    with django_assert_max_num_queries(8):
        desk = staff.get("/feedback/desk/?state=all")
    assert _text(desk).count('data-testid="desk-row"') == 4  # its own unit's only
    assert 'data-testid="desk-overdue"' in _text(desk)
    supervisor = logged_in("supervisor")
    with django_assert_max_num_queries(12):
        page = supervisor.get("/feedback/supervise/")
    assert page.status_code == 200
    assert _text(page).count('data-testid="appeal-row"') == 1
    with django_assert_max_num_queries(8):
        everything = supervisor.get("/feedback/desk/?state=all")
    assert _text(everything).count('data-testid="desk-row"') == 7
    with django_assert_max_num_queries(4):
        public = Client().get("/feedback/public/?year=2026")
    assert public.status_code == 200


# ---------------------------------------------------------------- the supervisor


def test_the_supervisor_sees_figures_and_reviews_appeals(
    decided: Case, logged_in: Login, persona: Persona
) -> None:
    pk = _bad(decided, persona("citizen")).pk
    staff = approver_of(decided)
    rectification_appeal(pk, staff, reason="评价内容与本办件无关")
    supervisor = logged_in("supervisor")
    home = _text(supervisor.get("/home/supervisor/"))
    assert 'data-testid="fig-ratings">1<' in home
    assert 'data-testid="fig-bad">1<' in home
    assert 'data-testid="fig-rectification">0.00%<' in home

    page = _text(supervisor.get("/feedback/supervise/"))
    assert "满意率 =（非常满意、满意）评价数 ÷ 评价数" in page
    assert "评价内容与本办件无关" in page
    assert f"review-form-{pk}" in page
    assert decided.department.name in page
    assert decided.item_name in page

    events = AuditEvent.objects.count()
    blank = supervisor.post(
        f"/feedback/desk/{pk}/do/review_appeal/",
        {"uphold": "1", "decision": "", "back": "supervise"},
    )
    assert blank.status_code == 400
    assert "请填写复核意见" in _text(blank)
    # The unit cannot decide its own appeal (the action says so).
    own = logged_in(staff.username).post(
        f"/feedback/desk/{pk}/do/review_appeal/", {"uphold": "1", "decision": "同意"}
    )
    assert own.status_code == 403
    assert "只有效能监督人员可以复核申诉" in _text(own)
    assert AuditEvent.objects.count() == events
    supervisor = logged_in("supervisor")
    upheld = supervisor.post(
        f"/feedback/desk/{pk}/do/review_appeal/",
        {"uphold": "1", "decision": "申请人书面确认误评", "back": "supervise"},
    )
    assert upheld.status_code == 302
    assert upheld["Location"] == "/feedback/supervise/"
    assert Rectification.objects.get(pk=pk).state == RectificationState.VOIDED
    home = _text(supervisor.get("/home/supervisor/"))
    assert 'data-testid="fig-bad">0<' in home  # an upheld appeal is not counted

    bad_period = supervisor.get("/feedback/supervise/", {"start": "昨天", "end": "2026-01-01"})
    assert "开始日期格式应为 YYYY-MM-DD" in _text(bad_period)
    backwards = supervisor.get("/feedback/supervise/", {"start": "2026-12-01", "end": "2026-01-01"})
    assert "开始日期不能晚于结束日期" in _text(backwards)
    empty = _text(supervisor.get("/feedback/supervise/", {"start": "2026-10-01"}))
    assert 'data-testid="fig-ratings">0<' in empty

    assert logged_in(staff.username).get("/feedback/supervise/").status_code == 403
    assert logged_in("citizen").get("/feedback/supervise/").status_code == 403


# ---------------------------------------------------------------- public


def test_the_public_page_shows_figures_and_nothing_personal(
    decided: Case, persona: Persona
) -> None:
    _bad(decided, persona("citizen"))
    anyone = Client()
    page = _text(anyone.get("/feedback/public/"))  # no login; the current year
    assert "2026年" in page
    assert decided.department.name in page
    assert 'data-testid="fig-bad">1<' in page
    for personal in ("李晓梅", COMMENT, decided.case_no, str(decided.application.number)):
        assert personal not in page
    month = _text(anyone.get("/feedback/public/", {"year": "2026", "month": "8"}))
    assert "2026年8月" in month
    assert 'data-testid="fig-ratings">0<' in month
    odd = anyone.get("/feedback/public/", {"year": "1999", "month": "13"})
    assert odd.status_code == 200
    assert "2026年" in _text(odd)
    assert "/feedback/public/" in _text(anyone.get("/accounts/login/"))  # linked in the footer


# ---------------------------------------------------------------- the window pad


def _window_application(persona: Persona, id_number: str, name: str) -> Application:
    with time_machine.travel(shanghai(2026, 9, 28), tick=False):
        return submit(
            persona("clerk"),
            item=ITEM,
            role="clerk",
            channel="window",
            applicant=ApplicantInfo(name=name, id_number=id_number),
        )


def test_the_window_pad_records_the_applicants_rating(
    decided: Case, logged_in: Login, persona: Persona
) -> None:
    citizen = persona("citizen")
    application = _window_application(persona, citizen.id_number, citizen.full_name)
    clerk = logged_in("clerk")
    assert f"/feedback/pad/{application.number}/" in _text(
        clerk.get(f"/cases/staff/window/applications/{application.number}/")
    )
    url = f"/feedback/pad/{application.number}/"
    pad = _text(clerk.get(url))
    assert "服务态度" in pad
    assert "平台操作性" not in pad
    bad = clerk.post(url, {"level": "2", "comment": "慢"})
    assert bad.status_code == 400
    assert "差评请说明原因" in _text(bad)
    assert not Rating.objects.filter(stage=Stage.WINDOW).exists()
    done = clerk.post(url, {"level": "5", "indicator_3": "5"})
    assert done.status_code == 200
    assert "感谢您的评价" in _text(done)
    rating = Rating.objects.get(stage=Stage.WINDOW)
    assert rating.rater == citizen  # the applicant's rating, not the clerk's
    assert (rating.channel, rating.indicators) == ("window_pad", {"服务态度": 5})
    assert rating.department.code == "yy-zhengwu"
    event = AuditEvent.objects.get(action="rating.submit", object_id=str(rating.pk))
    assert event.actor_id == persona("clerk").pk
    assert event.role == "clerk"
    assert event.after is not None
    assert event.after["rater"] == citizen.pk
    assert "感谢您的评价" in _text(clerk.get(url))  # 一次一评: once
    assert logged_in(approver_of(decided).username).get(url).status_code == 403
    assert logged_in("citizen").get(url).status_code == 403


def test_the_pad_rules_in_the_action(decided: Case, persona: Persona, logged_in: Login) -> None:
    citizen, clerk = persona("citizen"), persona("clerk")
    application = _window_application(persona, citizen.id_number, citizen.full_name)
    window: dict[str, Any] = {
        "stage": Stage.WINDOW,
        "application_number": application.number,
        "level": 5,
    }
    # The clerk who typed the walk-in application is not its applicant.
    with pytest.raises(DomainError) as own_service:
        rating_submit(clerk, channel="window_pad", **window)
    assert own_service.value.status == 403
    with pytest.raises(DomainError) as elsewhere:
        rating_submit(citizen, channel="window_pad", on_pad_of=approver_of(decided), **window)
    assert elsewhere.value.status == 403
    with pytest.raises(DomainError) as online:
        rating_submit(citizen, channel="web", on_pad_of=clerk, **window)
    assert online.value.status == 400
    assert not Rating.objects.filter(stage=Stage.WINDOW).exists()

    stranger = _window_application(persona, make_resident_id("43060219800101003"), "张三")
    assert stranger.applicant_user is None
    client = logged_in("clerk")
    url = f"/feedback/pad/{stranger.number}/"
    assert "申请人没有通办账号" in _text(client.get(url))
    refused = client.post(url, {"level": "5"})
    assert refused.status_code == 409
    assert "申请人没有通办账号" in _text(refused)
    assert not Rating.objects.filter(stage=Stage.WINDOW).exists()
