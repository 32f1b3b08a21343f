"""Working-day arithmetic against the 2025 and 2026 State Council schedules.

The expected holidays and make-up days below are written out from
shared/reference/domain-china.md §7 (the published notices), not read from the
chinesecalendar package, so a wrong package release or a wrong seed would fail here.
"""

from __future__ import annotations

import datetime

import pytest

from tongban.core import workcalendar
from tongban.core.calendar_actions import set_calendar_day
from tongban.core.models import CalendarDay, CalendarYear, DayKind
from tongban.core.workcalendar import (
    add_natural_days,
    add_working_days,
    count_working_days,
    covered_years,
    due_date,
    is_working_day,
    missing_upcoming_year,
)

D = datetime.date.fromisoformat


def _span(first: str, last: str) -> list[str]:
    start, end = D(first), D(last)
    return [(start + datetime.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]


# domain-china.md §7, 2025: 1/1; 1/28–2/4 (work 1/26 Sun, 2/8 Sat); 4/4–4/6; 5/1–5/5
# (work 4/27 Sun); 5/31–6/2; 10/1–10/8 (work 9/28 Sun, 10/11 Sat)
HOLIDAYS_2025 = [
    "2025-01-01",
    *_span("2025-01-28", "2025-02-04"),
    *_span("2025-04-04", "2025-04-06"),
    *_span("2025-05-01", "2025-05-05"),
    *_span("2025-05-31", "2025-06-02"),
    *_span("2025-10-01", "2025-10-08"),
]
MAKEUP_2025 = ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]

# 2026: 1/1–1/3 (work 1/4 Sun); 2/15–2/23 (work 2/14 Sat, 2/28 Sat); 4/4–4/6; 5/1–5/5
# (work 5/9 Sat); 6/19–6/21; 9/25–9/27; 10/1–10/7 (work 9/20 Sun, 10/10 Sat)
HOLIDAYS_2026 = [
    *_span("2026-01-01", "2026-01-03"),
    *_span("2026-02-15", "2026-02-23"),
    *_span("2026-04-04", "2026-04-06"),
    *_span("2026-05-01", "2026-05-05"),
    *_span("2026-06-19", "2026-06-21"),
    *_span("2026-09-25", "2026-09-27"),
    *_span("2026-10-01", "2026-10-07"),
]
MAKEUP_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]

ORDINARY_WORKDAYS = ["2025-03-12", "2025-10-09", "2026-01-05", "2026-02-24", "2026-10-08"]
ORDINARY_WEEKENDS = ["2025-03-15", "2025-10-12", "2026-02-01", "2026-10-11", "2026-12-27"]


@pytest.mark.parametrize("day", HOLIDAYS_2025 + HOLIDAYS_2026)
def test_every_listed_holiday_is_a_rest_day(calendar, day):
    assert not is_working_day(D(day))


@pytest.mark.parametrize("day", MAKEUP_2025 + MAKEUP_2026)
def test_every_listed_makeup_day_is_a_working_day(calendar, day):
    assert D(day).weekday() >= 5, "a make-up day is always a Saturday or Sunday"
    assert is_working_day(D(day))


@pytest.mark.parametrize("day", ORDINARY_WORKDAYS)
def test_ordinary_weekdays_are_working_days(calendar, day):
    assert is_working_day(D(day))


@pytest.mark.parametrize("day", ORDINARY_WEEKENDS)
def test_ordinary_weekends_are_rest_days(calendar, day):
    assert not is_working_day(D(day))


def test_seeded_years_hold_exactly_the_published_exceptions(calendar):
    stored = {
        d.isoformat(): k
        for d, k in CalendarDay.objects.filter(date__year__in=[2025, 2026]).values_list(
            "date", "kind"
        )
    }
    expected = {d: DayKind.HOLIDAY for d in HOLIDAYS_2025 + HOLIDAYS_2026}
    expected |= {d: DayKind.WORKDAY for d in MAKEUP_2025 + MAKEUP_2026}
    assert stored == expected


def test_start_day_is_not_counted(calendar):
    # Monday 2026-03-02 + 1 working day is Tuesday, not Monday itself.
    assert add_working_days(D("2026-03-02"), 1).due == D("2026-03-03")
    # Friday + 1 skips the weekend.
    assert add_working_days(D("2026-03-06"), 1).due == D("2026-03-09")
    # Starting on a Saturday: Sunday is skipped, Monday is the first working day.
    assert add_working_days(D("2026-03-07"), 1).due == D("2026-03-09")


def test_zero_days_is_the_start_day(calendar):
    result = add_working_days(D("2026-10-03"), 0)
    assert result == workcalendar.DueDate(D("2026-10-03"), 0, "workday", D("2026-10-03"), False)
    assert add_natural_days(D("2026-10-03"), 0).due == D("2026-10-03")


def test_national_day_2026(calendar):
    # 10/1 (Thu)–10/7 holiday, 10/8 Thu and 10/9 Fri ordinary, 10/10 Sat make-up.
    assert add_working_days(D("2026-09-30"), 1).due == D("2026-10-08")
    assert add_working_days(D("2026-09-30"), 3).due == D("2026-10-10")
    # 9/20 (Sun) is worked: Sat 9/19 + 1 = Sun 9/20.
    assert add_working_days(D("2026-09-19"), 1).due == D("2026-09-20")


def test_twenty_working_days_over_national_day_2025(calendar):
    # Accepted Fri 2025-09-26. Working days: 9/28 Sun (make-up) 1, 9/29 Mon 2, 9/30 Tue 3;
    # 10/1–10/8 off; 10/9 Thu 4, 10/10 Fri 5, 10/11 Sat (make-up) 6; 10/13–17 → 11;
    # 10/20–24 → 16; 10/27 17, 10/28 18, 10/29 19, 10/30 20.
    result = due_date(D("2025-09-26"), 20)
    assert result.due == D("2025-10-30")
    assert not result.provisional


def test_natural_days(calendar):
    # An ordinary last day stays: Mon 2026-03-02 + 10 = Thu 2026-03-12.
    assert add_natural_days(D("2026-03-02"), 10).due == D("2026-03-12")
    # 民法典 §203: 2026-09-24 + 7 = 10/1 (National Day) → rolls over 10/1–10/7 to Thu 10/8.
    assert add_natural_days(D("2026-09-24"), 7).due == D("2026-10-08")
    # Ending on a plain Saturday rolls to Monday: Sat 2026-03-14 → Mon 2026-03-16.
    assert add_natural_days(D("2026-03-04"), 10).due == D("2026-03-16")
    # Ending on a make-up Saturday does not roll: 2026-10-10 is worked.
    assert add_natural_days(D("2026-09-30"), 10).due == D("2026-10-10")
    # Spring Festival: 2026-02-10 + 5 = Sun 2/15, holiday to Mon 2/23 → Tue 2/24.
    assert add_natural_days(D("2026-02-10"), 5).due == D("2026-02-24")


def test_due_date_dispatches_on_unit_and_rejects_bad_input(calendar):
    assert due_date(D("2026-09-30"), 1, "natural").due == D("2026-10-08")
    assert due_date(D("2026-09-30"), 1).unit == "workday"
    with pytest.raises(ValueError, match="时限单位"):
        due_date(D("2026-09-30"), 1, "hours")
    with pytest.raises(ValueError, match="负数"):
        due_date(D("2026-09-30"), -1)
    with pytest.raises(ValueError, match="日期范围"):
        due_date(datetime.date.max, 1)
    with pytest.raises(ValueError, match="日期范围"):
        due_date(datetime.date.max, 1, "natural")


def test_count_working_days_in_known_months(calendar):
    # October 2026, (9/30, 10/31]: 10/1–10/7 off; 10/8, 10/9 → 2; 10/10 Sat make-up → 3;
    # 10/12–16, 10/19–23, 10/26–30 → 18; 10/31 is a Saturday.
    assert count_working_days(D("2026-09-30"), D("2026-10-31")) == workcalendar.WorkdayCount(
        18, False
    )
    # February 2026 (exactly four weeks from Sun 2/1): 20 weekdays, minus 2/16–2/20 and 2/23
    # (6 weekday holidays), plus Sat 2/14 and Sat 2/28 → 16.
    assert count_working_days(D("2026-01-31"), D("2026-02-28")).workdays == 16


def test_count_is_half_open_and_rejects_reversed_range(calendar):
    assert count_working_days(D("2026-10-08"), D("2026-10-08")).workdays == 0
    # The start day (a working day) is not counted, the end day is.
    assert count_working_days(D("2026-10-08"), D("2026-10-09")).workdays == 1
    with pytest.raises(ValueError, match="早于"):
        count_working_days(D("2026-10-09"), D("2026-10-08"))


@pytest.mark.parametrize("start", ["2025-01-20", "2025-09-25", "2026-02-11", "2026-09-18"])
@pytest.mark.parametrize("days", [1, 2, 5, 20, 60, 250])
def test_count_agrees_with_add_and_with_day_by_day(calendar, start, days):
    result = add_working_days(D(start), days)
    count = count_working_days(D(start), result.due)
    assert count.workdays == days
    assert count.provisional == result.provisional
    by_day = sum(
        is_working_day(D(start) + datetime.timedelta(days=i))
        for i in range(1, (result.due - D(start)).days + 1)
    )
    assert by_day == days


def test_uncovered_year_is_weekday_only_and_provisional(calendar):
    assert 2027 not in covered_years()
    # 2027-01-01 is a Friday; with no 2027 schedule it counts as a working day — flagged.
    result = add_working_days(D("2027-01-04"), 3)
    assert result.due == D("2027-01-07")
    assert result.provisional
    # A range crossing 2026 → 2027 touches an uncovered day.
    crossing = add_working_days(D("2026-12-30"), 3)
    assert crossing.due == D("2027-01-04")
    assert crossing.provisional
    assert count_working_days(D("2026-12-01"), D("2027-01-10")).provisional
    # The same computation kept inside 2026 is not provisional.
    assert not add_working_days(D("2026-12-01"), 20).provisional
    assert not count_working_days(D("2026-12-01"), D("2026-12-31")).provisional
    # Natural days ending in 2027 are provisional too.
    assert add_natural_days(D("2026-12-20"), 20).provisional


def test_rows_of_an_uncovered_year_are_ignored(calendar):
    # A stray row (e.g. typed straight into the database) must not half-cover 2027.
    CalendarDay.objects.create(date=D("2027-01-04"), kind=DayKind.HOLIDAY, name="x")
    workcalendar.invalidate_calendar_cache()
    assert is_working_day(D("2027-01-04"))


def test_covered_and_missing_years(calendar):
    assert covered_years() == {2024, 2025, 2026}
    assert missing_upcoming_year(D("2025-06-01")) is None
    assert missing_upcoming_year(D("2026-11-15")) == 2027
    # Both this year and next are missing: the earlier one is reported.
    assert missing_upcoming_year(D("2028-03-01")) == 2028


@pytest.mark.django_db
def test_without_any_data_everything_is_provisional():
    workcalendar.invalidate_calendar_cache()
    assert covered_years() == set()
    assert missing_upcoming_year(D("2026-01-01")) == 2026
    result = due_date(D("2026-09-30"), 1)
    assert (result.due, result.provisional) == (D("2026-10-01"), True)


def test_due_date_costs_one_query_on_a_warm_cache(calendar, django_assert_max_num_queries):
    due_date(D("2026-01-01"), 1)  # warm the cache
    with django_assert_max_num_queries(1):
        assert due_date(D("2026-09-30"), 3).due == D("2026-10-10")
    # Ten years of working days: still one query, none per day iterated.
    with django_assert_max_num_queries(1):
        assert due_date(D("2025-01-01"), 3650).provisional
    with django_assert_max_num_queries(1):
        count_working_days(D("2004-01-01"), D("2030-12-31"))
    # A batch caller takes one snapshot and pays no query at all.
    with django_assert_max_num_queries(1):
        snapshot = workcalendar.current_calendar()
        for offset in range(200):
            snapshot.due_date(D("2026-01-01") + datetime.timedelta(days=offset), 20)


def test_cache_follows_edits(calendar):
    admin = None
    assert add_working_days(D("2026-09-30"), 1).due == D("2026-10-08")
    set_calendar_day(D("2026-10-08"), DayKind.HOLIDAY, "测试", admin)
    assert add_working_days(D("2026-09-30"), 1).due == D("2026-10-09")
    set_calendar_day(D("2026-10-08"), None, "", admin)
    assert add_working_days(D("2026-09-30"), 1).due == D("2026-10-08")


def test_cache_notices_changes_made_by_another_process(calendar):
    assert is_working_day(D("2026-10-09"))
    # What another process's edit leaves behind: a new row and a touched CalendarYear,
    # without this process's invalidate_calendar_cache() being called.
    CalendarDay.objects.create(date=D("2026-10-09"), kind=DayKind.HOLIDAY, name="测试")
    CalendarYear.objects.get(year=2026).save()
    assert not is_working_day(D("2026-10-09"))
