"""好差评 figures: 满意率 under both conventions, 差评数 without upheld appeals, 差评整改率
and 回访率 (real-name 差评 only), per department, item and month — one query each."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from tongban.cases.models import Case
from tongban.core.models import User
from tongban.feedback.actions import (
    rating_submit,
    rectification_appeal,
    rectification_follow_up,
    rectification_resolve,
    rectification_review_appeal,
)
from tongban.feedback.metrics import rating_figures, rating_totals
from tongban.feedback.models import Rating, Rectification

from .case_helpers import approve_through, approver_of, import_case_catalog, shanghai, submit

Persona = Callable[[str], User]
ITEM = "TREVIEW01"
pytestmark = pytest.mark.usefixtures("calendar")


@pytest.fixture
def rated(demo: None, persona: Persona) -> None:
    """Six decided cases of the demo citizen rated 5, 4, 3, 2 (anonymous), 1 and 1.

    The first 1 is followed up and answered; the 2 is anonymous; the second 1 is appealed
    and the appeal upheld, so it is no longer a 差评.
    """
    import_case_catalog(ITEM)
    citizen = persona("citizen")
    with time_machine.travel(shanghai(2026, 9, 28), tick=False):
        cases = []
        for _ in range(6):
            case = submit(citizen, item=ITEM).cases.get()
            approve_through(case.case_no)
            cases.append(case)
        for case, level, extra in zip(
            cases,
            [5, 4, 3, 2, 1, 1],
            [{}, {}, {}, {"anonymous": True}, {}, {}],
            strict=True,
        ):
            values: dict[str, Any] = {"comment": "办理过程反复退回材料" if level <= 2 else ""}
            values.update(extra)
            rating_submit(
                citizen,
                stage="complete",
                case_no=case.case_no,
                level=level,
                channel="web",
                **values,
            )
        staff = approver_of(cases[0])
        answered = Rectification.objects.get(rating__case=cases[4]).pk
        rectification_follow_up(answered, staff, method="phone", notes="电话回访，情况属实")
        rectification_resolve(answered, staff, finding="immediate", fix="培训", reply="已整改")
        appealed = Rectification.objects.get(rating__case=cases[5]).pk
        rectification_appeal(appealed, staff, reason="申请人电话确认系误评")
        rectification_review_appeal(appealed, persona("supervisor"), uphold=True, decision="成立")


@pytest.mark.usefixtures("rated")
def test_the_figures_follow_the_definitions(settings: Any) -> None:
    totals = rating_totals(Rating.objects.all())
    assert (totals.ratings, totals.satisfied, totals.bad) == (6, 2, 2)
    assert totals.satisfaction_rate == Decimal("33.33")
    assert (totals.rectified, totals.rectification_rate) == (1, Decimal("50.00"))
    # The anonymous 差评 is not owed a call; the real-name one was called.
    assert (totals.follow_up_due, totals.followed_up, totals.follow_up_rate) == (
        1,
        1,
        Decimal("100.00"),
    )
    settings.TONGBAN_SATISFIED_INCLUDES_BASIC = True  # "基本满意以上"
    basic = rating_totals(Rating.objects.all())
    assert (basic.satisfied, basic.satisfaction_rate) == (3, Decimal("50.00"))


@pytest.mark.usefixtures("rated")
def test_each_grouping_is_one_query(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        (department,) = rating_figures(Rating.objects.all(), "department")
    assert department.key == "yy-shichang"
    assert (department.ratings, department.bad, department.rectified) == (6, 2, 1)
    with django_assert_num_queries(1):
        (item,) = rating_figures(Rating.objects.all(), "item")
    case = Case.objects.first()
    assert case is not None
    assert (item.key, item.label, item.ratings) == (case.item_code, case.item_name, 6)
    with django_assert_num_queries(1):
        (month,) = rating_figures(Rating.objects.all(), "month")
    assert (month.key, month.ratings) == ("2026-09", 6)


def test_no_ratings_gives_no_rate(db: None) -> None:
    totals = rating_totals(Rating.objects.all())
    assert totals.ratings == 0
    assert totals.satisfaction_rate is None
    assert totals.rectification_rate is None
    with pytest.raises(ValueError, match="unknown grouping"):
        rating_figures(Rating.objects.all(), "weekday")


@pytest.mark.usefixtures("rated")
def test_the_figures_api(client: Any, api_token: Any) -> None:
    with time_machine.travel(shanghai(2026, 9, 29), tick=False):
        supervisor = {"Authorization": f"Bearer {api_token('supervisor')}"}
        body = client.get("/api/v1/ratings/figures?by=month", headers=supervisor).json()
        assert body["totals"]["bad"] == 2
        assert body["totals"]["satisfaction_rate"] == "33.33"
        assert [(r["key"], r["ratings"]) for r in body["rows"]] == [("2026-09", 6)]
        later = client.get("/api/v1/ratings/figures?start=2026-10-01", headers=supervisor)
        assert later.json()["totals"]["ratings"] == 0
        bad = client.get("/api/v1/ratings/figures?by=weekday", headers=supervisor)
        assert bad.status_code == 400
        citizen = {"Authorization": f"Bearer {api_token('citizen')}"}
        assert client.get("/api/v1/ratings/figures", headers=citizen).status_code == 403
