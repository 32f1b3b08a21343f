"""好差评: one rating per case stage or window visit, a 差评 always opens exactly one
rectification with a working-day deadline, and the rectification's transitions (回访,
整改答复, 申诉 and its review, 二次评价)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from tongban.cases.models import Case
from tongban.core.errors import DomainError
from tongban.core.models import AuditEvent, User
from tongban.feedback.actions import (
    rating_submit,
    rectification_appeal,
    rectification_close,
    rectification_follow_up,
    rectification_resolve,
    rectification_review_appeal,
)
from tongban.feedback.enums import RectificationState, Stage
from tongban.feedback.models import Rating, Rectification

from .case_helpers import (
    accept,
    approve_through,
    approver_of,
    import_case_catalog,
    shanghai,
    submit,
)

Persona = Callable[[str], User]
ITEM = "TREVIEW01"  # at yy-shichang
pytestmark = pytest.mark.usefixtures("calendar")


@pytest.fixture
def decided(demo: None, persona: Persona) -> Iterator[Case]:
    """A case of the demo citizen, accepted and approved on Monday 28 September 2026."""
    import_case_catalog(ITEM)
    with time_machine.travel(shanghai(2026, 9, 28), tick=False):
        case = submit(persona("citizen"), item=ITEM).cases.get()
        approve_through(case.case_no)
        case.refresh_from_db()
        yield case


def _rate(actor: User, case: Case, level: int, **extra: Any) -> Rating:
    values: dict[str, Any] = {
        "stage": Stage.COMPLETE,
        "case_no": case.case_no,
        "channel": "web",
        "comment": "窗口人员态度冷漠，材料退回三次" if level <= 2 else "",
    }
    values.update(extra)
    return rating_submit(actor, level=level, **values)


def test_a_good_rating_is_kept_and_opens_nothing(decided: Case, persona: Persona) -> None:
    rating = _rate(persona("citizen"), decided, 5, indicators={"整体满意度": 5, "办事效率": 4})
    assert rating.department == decided.department
    assert rating.indicators == {"整体满意度": 5, "办事效率": 4}
    assert not Rectification.objects.exists()
    event = AuditEvent.objects.get(action="rating.submit", object_id=str(rating.pk))
    assert event.after is not None
    assert event.after["case"] == decided.case_no


@pytest.mark.parametrize("level", [1, 2])
def test_a_bad_rating_opens_exactly_one_rectification_due_after_the_holiday(
    decided: Case, persona: Persona, level: int
) -> None:
    rating = _rate(persona("citizen"), decided, level)
    (rectification,) = Rectification.objects.all()
    assert rectification.rating == rating
    assert rectification.department == decided.department
    assert rectification.state == RectificationState.OPEN
    # 15 working days from Mon 28 Sep 2026: 29, 30 Sep; 1–7 Oct is 国庆 (no work);
    # 8, 9 Oct; Sat 10 Oct is a make-up working day; 12–16 and 19–23 Oct → Fri 23 Oct.
    assert rectification.due_on == datetime.date(2026, 10, 23)
    assert not rectification.due_provisional
    assert AuditEvent.objects.filter(action="rectification.open").count() == 1
    with pytest.raises(DomainError) as again:
        _rate(persona("citizen"), decided, level)
    assert again.value.status == 409
    assert Rectification.objects.count() == 1


def test_the_deadline_follows_the_setting(decided: Case, persona: Persona, settings: Any) -> None:
    settings.TONGBAN_RECTIFY_DAYS = 5  # Dezhou's rule
    _rate(persona("citizen"), decided, 1)
    assert Rectification.objects.get().due_on == datetime.date(2026, 10, 10)  # the Saturday


def test_what_may_not_be_rated(decided: Case, persona: Persona, demo: None) -> None:
    citizen = persona("citizen")
    with pytest.raises(DomainError) as other:
        _rate(persona("company"), decided, 5)
    assert other.value.status == 403
    with pytest.raises(DomainError) as bad:
        _rate(citizen, decided, 1, comment="差", indicators={"服务态度": 9, "办事效率": 0})
    assert bad.value.status == 400
    assert bad.value.detail == [
        "本渠道没有评价指标“服务态度”（可选：整体满意度、办事效率、办事指南精确度、办事便捷度、平台操作性）",
        "“办事效率”的评分须为1至5的整数",
        "差评请说明原因（至少5个字），以便整改",
    ]
    with pytest.raises(DomainError) as level:
        _rate(citizen, decided, 6)
    assert level.value.status == 400
    assert not Rating.objects.exists()
    assert not Rectification.objects.exists()

    with time_machine.travel(shanghai(2026, 9, 29), tick=False):
        fresh = submit(citizen, item=ITEM).cases.get()
        with pytest.raises(DomainError) as early:
            _rate(citizen, fresh, 5, stage=Stage.ACCEPT)
        assert early.value.detail == "办件受理后才能评价受理环节"
        accept(fresh.case_no)
        assert _rate(citizen, fresh, 4, stage=Stage.ACCEPT).stage == Stage.ACCEPT
        with pytest.raises(DomainError) as undecided:
            _rate(citizen, fresh, 5)
        assert undecided.value.detail == "办件办结后才能评价办结环节"


def test_follow_up_fix_reply_and_re_rating_close_it(decided: Case, persona: Persona) -> None:
    citizen = persona("citizen")
    pk = Rectification.objects.get(rating=_rate(citizen, decided, 1)).pk
    staff = approver_of(decided)
    with pytest.raises(DomainError) as outsider:
        rectification_follow_up(pk, persona("approver-yy-gongan"), method="phone", notes="x")
    assert outsider.value.status == 403
    with pytest.raises(DomainError) as too_soon:
        rectification_resolve(pk, staff, finding="immediate", fix="培训", reply="已整改")
    assert too_soon.value.status == 409  # 回访 comes first
    with pytest.raises(DomainError) as anonymous_only:
        rectification_follow_up(pk, staff, method="none", notes="未回访")
    assert anonymous_only.value.detail == "实名差评必须回访（电话、上门或短信）"

    rectification_follow_up(pk, staff, method="phone", notes="申请人反映材料被退回三次，属实")
    resolved = rectification_resolve(
        pk,
        staff,
        finding="immediate",
        fix="对窗口人员进行一次性告知培训，今后一次告知全部补正内容",
        reply="经核实情况属实，已立行立改，感谢您的监督",
    )
    assert resolved.state == RectificationState.REPLIED
    with pytest.raises(DomainError) as not_theirs:
        rectification_close(pk, persona("company"), re_level=5)
    assert not_theirs.value.status == 403
    closed = rectification_close(pk, citizen, re_level=4)
    assert closed.state == RectificationState.CLOSED
    assert Rating.objects.get(pk=closed.rating_id).re_level == 4
    assert Rating.objects.get(pk=closed.rating_id).level == 1  # the first rating stays
    actions = list(
        AuditEvent.objects.filter(object_type="rectification", object_id=str(pk))
        .order_by("chain", "seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "rectification.open",
        "rectification.follow_up",
        "rectification.resolve",
        "rectification.close",
    ]


def test_an_appeal_goes_to_the_supervisor(decided: Case, persona: Persona) -> None:
    staff = approver_of(decided)
    first = Rectification.objects.get(rating=_rate(persona("citizen"), decided, 2)).pk
    rectification_appeal(first, staff, reason="评价内容与本办件无关，系误评")
    with pytest.raises(DomainError) as not_supervisor:
        rectification_review_appeal(first, staff, uphold=True, decision="同意")
    assert not_supervisor.value.status == 403
    rejected = rectification_review_appeal(
        first, persona("supervisor"), uphold=False, decision="评价内容与办件相关，应整改"
    )
    assert rejected.state == RectificationState.FOLLOWED_UP  # back to the department
    assert rejected.due_on == datetime.date(2026, 10, 23)  # no extra time for appealing

    rectification_appeal(first, staff, reason="补充材料：申请人已书面说明系误评")
    upheld = rectification_review_appeal(
        first, persona("supervisor"), uphold=True, decision="申请人书面确认误评，申诉成立"
    )
    assert upheld.state == RectificationState.VOIDED
    assert upheld.closed_at is not None
    with pytest.raises(DomainError) as over:
        rectification_resolve(first, staff, finding="explain", fix="说明", reply="说明")
    assert over.value.status == 409


def test_an_anonymous_bad_rating_may_go_without_a_call(decided: Case, persona: Persona) -> None:
    rating = _rate(persona("citizen"), decided, 1, anonymous=True)
    staff = approver_of(decided)
    done = rectification_follow_up(
        rating.rectification.pk, staff, method="none", notes="匿名评价，无法回访，已调阅录像核实"
    )
    assert done.state == RectificationState.FOLLOWED_UP


def test_a_window_visit_is_rated_once_and_the_service_centre_answers(
    demo: None, persona: Persona
) -> None:
    from tongban.cases.inputs import ApplicantInfo

    import_case_catalog(ITEM)
    citizen = persona("citizen")
    with time_machine.travel(shanghai(2026, 6, 1), tick=False):
        application = submit(
            persona("clerk"),
            item=ITEM,
            role="clerk",
            channel="window",
            applicant=ApplicantInfo(name=citizen.full_name, id_number=citizen.id_number),
        )
        assert application.applicant_user == citizen
        rating = rating_submit(
            citizen,
            stage=Stage.WINDOW,
            application_number=application.number,
            level=2,
            channel="window_pad",
            indicators={"服务态度": 2},
            comment="排队一个小时，窗口只开了一个",
        )
        assert rating.department.code == "yy-zhengwu"
        assert rating.case is None
        rectification = rating.rectification
        assert rectification.department.code == "yy-zhengwu"
        # The centre's clerk answers for the window (an approver elsewhere may not).
        rectification_follow_up(
            rectification.pk, persona("clerk"), method="phone", notes="核实属实"
        )
        with pytest.raises(DomainError) as twice:
            rating_submit(
                citizen,
                stage=Stage.WINDOW,
                application_number=application.number,
                level=5,
                channel="window_pad",
            )
        assert twice.value.status == 409
        online = submit(citizen, item=ITEM)
        with pytest.raises(DomainError) as not_window:
            rating_submit(
                citizen,
                stage=Stage.WINDOW,
                application_number=online.number,
                level=5,
                channel="web",
            )
        assert not_window.value.status == 409
