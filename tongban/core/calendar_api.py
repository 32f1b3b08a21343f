"""Working-day calendar API: due dates and working-day counts, open to anyone (auth=None).

Query parameters are validated by ninja (422 validation_error for a malformed date, a
negative or too large number of days, an unknown unit); what only the calendar can judge
(end before start, a date beyond year 9999) becomes a 400 calendar_input_invalid.
"""

from __future__ import annotations

import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from . import workcalendar
from .errors import DomainError

router = Router(tags=["工作日历"])

MAX_DAYS = workcalendar.MAX_DAYS


class ErrorOut(Schema):
    error: str
    detail: object


class DueDateQuery(Schema):
    start: datetime.date = Field(description="起算日期（受理日），当日不计入")
    days: int = Field(ge=0, le=MAX_DAYS, description="时限天数")
    unit: Literal["workday", "natural"] = Field(
        "workday", description="workday 工作日；natural 自然日（末日逢休息日顺延）"
    )


class DueDateOut(Schema):
    start: datetime.date
    days: int
    unit: str
    due: datetime.date
    provisional: bool = Field(description="为 true 时所涉年份尚无节假日数据，按周一至周五估算")


class WorkdaysQuery(Schema):
    start: datetime.date = Field(description="起算日期，当日不计入")
    end: datetime.date = Field(description="截止日期，当日计入")


class WorkdaysOut(Schema):
    workdays: int
    provisional: bool


def _calendar_error(error: ValueError) -> DomainError:
    return DomainError("calendar_input_invalid", str(error))


@router.get(
    "/due-date",
    auth=None,
    response={200: DueDateOut, 400: ErrorOut, 422: ErrorOut},
    summary="计算办理时限的到期日",
)
def due_date(request: HttpRequest, query: Query[DueDateQuery]) -> DueDateOut:
    """工作日自起算日次日开始计算；自然日末日为休息日的，顺延至下一个工作日（民法典第二百零三条）。"""
    try:
        result = workcalendar.due_date(query.start, query.days, query.unit)
    except ValueError as error:
        raise _calendar_error(error) from None
    return DueDateOut(
        start=result.start,
        days=result.days,
        unit=result.unit,
        due=result.due,
        provisional=result.provisional,
    )


@router.get(
    "/workdays",
    auth=None,
    response={200: WorkdaysOut, 400: ErrorOut, 422: ErrorOut},
    summary="统计两个日期之间的工作日数",
)
def workdays(request: HttpRequest, query: Query[WorkdaysQuery]) -> WorkdaysOut:
    """统计 (start, end] 区间内的工作日：起算日不计入，截止日计入。"""
    try:
        result = workcalendar.count_working_days(query.start, query.end)
    except ValueError as error:
        raise _calendar_error(error) from None
    return WorkdaysOut(workdays=result.workdays, provisional=result.provisional)
