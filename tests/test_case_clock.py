"""Case clocks (domain-china.md §7): due dates count from the day after 受理, in working or
natural days; a special procedure (行政许可法 §45) is not counted; a due date in a year the
calendar does not cover is provisional; 黄牌 / 红牌 warnings.

The pure functions are tested on a calendar written out by hand from the 2026 State Council
notice (not read from chinesecalendar); the engine paths run on the demo calendar with the
clock moved by time_machine.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from tongban.cases.actions.lifecycle import (
    case_end_special,
    case_start_special,
    case_withdraw,
)
from tongban.cases.clock import (
    Pause,
    due_after_pauses,
    pause_between,
    start_clocks,
    warning_level,
)
from tongban.cases.enums import CaseState, WarningLevel
from tongban.cases.models import Case, SpecialProcedure
from tongban.cases.queries import case_warning
from tongban.catalog.spec import ItemSpec, Limit
from tongban.core.models import AuditEvent, User
from tongban.core.workcalendar import WorkCalendar, current_calendar

from .case_helpers import (
    accept,
    approver_of,
    case_catalog_spec,
    import_case_catalog,
    shanghai,
    submit,
    transition_events,
)

D = datetime.date.fromisoformat


def _span(first: str, last: str) -> list[datetime.date]:
    start, end = D(first), D(last)
    return [start + datetime.timedelta(days=i) for i in range((end - start).days + 1)]


# 2026 (domain-china.md §7): 1/1–1/3 (work 1/4 Sun); 2/15–2/23 (work 2/14 Sat, 2/28 Sat);
# 4/4–4/6; 5/1–5/5 (work 5/9 Sat); 6/19–6/21; 9/25–9/27; 10/1–10/7 (work 9/20 Sun, 10/10 Sat)
CAL_2026 = WorkCalendar(
    covered=frozenset({2026}),
    holidays=frozenset(
        [
            *_span("2026-01-01", "2026-01-03"),
            *_span("2026-02-15", "2026-02-23"),
            *_span("2026-04-04", "2026-04-06"),
            *_span("2026-05-01", "2026-05-05"),
            *_span("2026-06-19", "2026-06-21"),
            *_span("2026-09-25", "2026-09-27"),
            *_span("2026-10-01", "2026-10-07"),
        ]
    ),
    workdays=frozenset(
        D(d)
        for d in [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
        ]
    ),
)

ITEMS: dict[str, ItemSpec] = case_catalog_spec().items_by_code()
WORKING = Limit(days=10)
NATURAL = Limit(days=10, unit="natural")
NATURAL_30 = Limit(days=30, unit="natural")


# --- pure functions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted", "statutory", "promised"),
    [
        # Tuesday before 中秋 and 国庆: both holidays are skipped, 10/10 (Sat) is worked.
        ("2026-09-22", "2026-10-27", "2026-10-13"),
        # Friday before 端午 (6/19–6/21): the 10th working day is the Monday after it.
        ("2026-06-05", "2026-07-06", "2026-06-22"),
        # Accepted on a Saturday: counting starts the next day, so it is due as from Friday.
        ("2026-06-06", "2026-07-06", "2026-06-22"),
    ],
)
def test_working_day_clocks_start_the_day_after_acceptance(
    accepted: str, statutory: str, promised: str
) -> None:
    clocks = start_clocks(ITEMS["TREVIEW01"], D(accepted), CAL_2026)
    assert (clocks.statutory_due, clocks.promised_due) == (D(statutory), D(promised))
    assert clocks.provisional is False


def test_an_immediate_item_is_due_on_the_day_of_acceptance() -> None:
    clocks = start_clocks(ITEMS["TINSTANT01"], D("2026-09-30"), CAL_2026)
    assert clocks.promised_due == D("2026-09-30")
    # The statutory limit (5 working days) still runs, across 国庆 (10/10 is worked).
    assert clocks.statutory_due == D("2026-10-13")


@pytest.mark.parametrize(
    ("accepted", "statutory", "promised"),
    [
        # 9/1 + 30 = 10/1, a holiday: the period ends on the next working day (民法典 §203).
        ("2026-09-01", "2026-10-08", "2026-09-11"),
        # 9/10 + 10 = 9/20 and 9/10 + 30 = 10/10: both are weekend days worked in lieu of a
        # holiday (调休), so the periods end on them.
        ("2026-09-10", "2026-10-10", "2026-09-20"),
    ],
)
def test_natural_day_clocks_end_on_a_working_day(
    accepted: str, statutory: str, promised: str
) -> None:
    clocks = start_clocks(ITEMS["TNATURAL01"], D(accepted), CAL_2026)
    assert (clocks.statutory_due, clocks.promised_due) == (D(statutory), D(promised))


def test_a_due_date_in_an_uncovered_year_is_provisional() -> None:
    clocks = start_clocks(ITEMS["TREVIEW01"], D("2026-12-28"), CAL_2026)
    assert clocks.provisional is True
    # 2027 is judged on weekdays alone (1/1 counts as a working day): a guess, flagged.
    assert clocks.promised_due == D("2027-01-11")
    within = start_clocks(ITEMS["TREVIEW01"], D("2026-11-02"), CAL_2026)
    assert within.provisional is False


def test_a_pause_is_the_days_after_its_start_up_to_its_end() -> None:
    # 9/30 → 10/9 over 国庆: 10/8 and 10/9 are the only working days in (9/30, 10/9].
    assert pause_between(D("2026-09-30"), D("2026-10-09"), CAL_2026) == Pause(2, 9, False)
    assert pause_between(D("2026-06-03"), D("2026-06-03"), CAL_2026) == Pause(0, 0, False)
    assert pause_between(D("2026-06-05"), D("2026-06-08"), CAL_2026) == Pause(1, 3, False)
    assert pause_between(D("2026-12-30"), D("2027-01-05"), CAL_2026).provisional is True


def test_a_working_day_due_date_moves_by_the_paused_working_days() -> None:
    # Accepted 9/28 with 10 working days: due 10/16 (国庆 skipped, 10/10 a make-up day).
    before, _ = due_after_pauses(D("2026-09-28"), WORKING, 0, 0, CAL_2026)
    assert before == D("2026-10-16")
    pause = pause_between(D("2026-09-30"), D("2026-10-09"), CAL_2026)
    moved, provisional = due_after_pauses(
        D("2026-09-28"), WORKING, pause.working_days, pause.natural_days, CAL_2026
    )
    assert moved == D("2026-10-20")  # + 10/8 and 10/9, the pause's two working days
    assert CAL_2026.count_working_days(before, moved).workdays == pause.working_days
    assert provisional is False


def test_a_natural_day_due_date_counts_the_pause_from_acceptance() -> None:
    # Accepted 9/1 with 30 natural days: 10/1 is a holiday, so the due date rolls to 10/8.
    assert due_after_pauses(D("2026-09-01"), NATURAL_30, 0, 0, CAL_2026)[0] == D("2026-10-08")
    # A 9-day pause gives 9/1 + 39 = 10/10, a make-up working Saturday — not 10/8 + 9.
    assert due_after_pauses(D("2026-09-01"), NATURAL_30, 7, 9, CAL_2026)[0] == D("2026-10-10")


@pytest.mark.parametrize(
    ("state", "due", "today", "level"),
    [
        (CaseState.IN_REVIEW, "2026-06-15", "2026-06-10", WarningLevel.NORMAL),
        # Two working days left (6/12 Fri, 6/15 Mon): 黄牌.
        (CaseState.IN_REVIEW, "2026-06-15", "2026-06-11", WarningLevel.YELLOW),
        (CaseState.IN_REVIEW, "2026-06-15", "2026-06-15", WarningLevel.YELLOW),
        (CaseState.IN_REVIEW, "2026-06-15", "2026-06-16", WarningLevel.RED),
        # Across 端午: from 6/17, two working days reach 6/22.
        (CaseState.IN_REVIEW, "2026-06-22", "2026-06-17", WarningLevel.YELLOW),
        (CaseState.IN_REVIEW, "2026-06-23", "2026-06-17", WarningLevel.NORMAL),
        # A paused clock, an undecided window case and a decided case never warn.
        (CaseState.SPECIAL, "2026-06-01", "2026-06-16", WarningLevel.NORMAL),
        (CaseState.RECEIVED, None, "2026-06-16", WarningLevel.NORMAL),
        (CaseState.APPROVED, "2026-06-01", "2026-06-16", WarningLevel.NORMAL),
    ],
)
def test_warning_levels(state: str, due: str | None, today: str, level: str) -> None:
    assert warning_level(state, D(due) if due else None, D(today), CAL_2026) == level


# --- the engine, on the demo calendar -----------------------------------------------------


@pytest.fixture
def case_catalog(demo: None) -> None:
    import_case_catalog("TREVIEW01", "TNATURAL01")


def _special(case: Case, start: datetime.datetime, end: datetime.datetime) -> Case:
    approver = approver_of(case)
    with time_machine.travel(start, tick=False):
        case_start_special(
            case.case_no, actor=approver, role="approver", kind="inspection", reason="现场检验"
        )
    with time_machine.travel(end, tick=False):
        return case_end_special(case.case_no, actor=approver, role="approver", result="合格")


def _accepted(item: str, when: datetime.datetime, persona) -> Case:
    with time_machine.travel(when, tick=False):
        application = submit(persona("citizen"), item=item)
        case = application.cases.get()
        return accept(case.case_no)


def test_acceptance_starts_both_clocks_on_the_demo_calendar(case_catalog, persona) -> None:
    case = _accepted("TREVIEW01", shanghai(2026, 9, 22), persona)
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    assert case.accepted_on == D("2026-09-22")
    assert (case.statutory_due, case.promised_due) == (D("2026-10-27"), D("2026-10-13"))
    assert case.due_provisional is False
    event = transition_events(case.case_no)[-1]
    assert event.action == "case.accept"
    assert event.after is not None
    assert event.after["promised_due"] == "2026-10-13"
    assert event.after["statutory_due"] == "2026-10-27"


def test_special_procedure_across_national_day_moves_both_due_dates(case_catalog, persona) -> None:
    case = _accepted("TREVIEW01", shanghai(2026, 9, 22), persona)
    old_statutory, old_promised = case.statutory_due, case.promised_due
    assert old_statutory
    assert old_promised
    case = _special(case, shanghai(2026, 9, 30), shanghai(2026, 10, 9))
    case.refresh_from_db()
    assert case.state == CaseState.IN_REVIEW
    # (9/30, 10/9] holds two working days: 10/8 and 10/9.
    procedure = SpecialProcedure.objects.get(case=case)
    assert (procedure.started_on, procedure.ended_on) == (D("2026-09-30"), D("2026-10-09"))
    assert procedure.paused_working_days == 2
    cal = current_calendar()
    assert procedure.ended_on is not None
    assert cal.count_working_days(procedure.started_on, procedure.ended_on).workdays == 2
    assert (case.statutory_due, case.promised_due) == (D("2026-10-29"), D("2026-10-15"))
    assert case.statutory_due is not None
    assert case.promised_due is not None
    assert cal.count_working_days(old_promised, case.promised_due).workdays == 2
    assert cal.count_working_days(old_statutory, case.statutory_due).workdays == 2
    assert (case.paused_working_days, case.paused_natural_days) == (2, 9)
    event = transition_events(case.case_no)[-1]
    assert event.action == "case.end_special"
    assert event.after is not None
    assert event.after["paused_working_days"] == 2
    assert event.after["promised_due"] == "2026-10-15"


def test_pauses_add_up_and_paused_time_is_never_counted(case_catalog, persona) -> None:
    case = _accepted("TREVIEW01", shanghai(2026, 6, 1), persona)
    assert case.promised_due == D("2026-06-15")
    # 6/2 → 6/4: 2 working days; 6/5 (Fri) → 6/9 (Tue): 2 working days.
    _special(case, shanghai(2026, 6, 2), shanghai(2026, 6, 4))
    case = _special(case, shanghai(2026, 6, 5), shanghai(2026, 6, 9))
    case.refresh_from_db()
    assert case.paused_working_days == 4
    cal = current_calendar()
    assert case.accepted_on is not None
    # The promise (10 working days) runs only outside the pauses: accepted + 10 + 4.
    assert case.promised_due == cal.add_working_days(case.accepted_on, 14).due
    assert case.statutory_due == cal.add_working_days(case.accepted_on, 24).due
    assert SpecialProcedure.objects.filter(case=case).count() == 2


def test_a_paused_case_does_not_warn_even_past_its_due_date(case_catalog, persona) -> None:
    case = _accepted("TREVIEW01", shanghai(2026, 6, 1), persona)
    approver = approver_of(case)
    with time_machine.travel(shanghai(2026, 6, 10), tick=False):
        case_start_special(
            case.case_no, actor=approver, role="approver", kind="hearing", reason="依申请听证"
        )
    with time_machine.travel(shanghai(2026, 6, 30), tick=False):
        case.refresh_from_db()
        assert case.state == CaseState.SPECIAL
        assert case.promised_due is not None
        assert case.promised_due < timezone.localdate()
        assert case_warning(case) == WarningLevel.NORMAL


def test_natural_day_item_pause_adds_natural_days(case_catalog, persona) -> None:
    case = _accepted("TNATURAL01", shanghai(2026, 6, 1), persona)
    assert (case.statutory_due, case.promised_due) == (D("2026-07-01"), D("2026-06-11"))
    case = _special(case, shanghai(2026, 6, 3), shanghai(2026, 6, 8))
    case.refresh_from_db()
    assert (case.statutory_due, case.promised_due) == (D("2026-07-06"), D("2026-06-16"))
    assert case.paused_natural_days == 5


def test_natural_day_pause_extends_the_period_not_the_rolled_forward_date(
    case_catalog, persona
) -> None:
    """30 natural days from 9/1 end on 10/1 (a holiday), so the due date rolls to 10/8. A
    9-day pause makes the period 39 days: it ends on 10/10, a worked Saturday — not 10/8 + 9
    days rolled again to 10/19."""
    case = _accepted("TNATURAL01", shanghai(2026, 9, 1), persona)
    assert case.statutory_due == D("2026-10-08")
    case = _special(case, shanghai(2026, 9, 30), shanghai(2026, 10, 9))
    case.refresh_from_db()
    assert case.accepted_on is not None
    cal = current_calendar()
    expected = cal.add_natural_days(case.accepted_on, 30 + case.paused_natural_days).due
    assert expected == D("2026-10-10")
    assert case.statutory_due == expected


def test_acceptance_in_late_december_gives_provisional_due_dates(case_catalog, persona) -> None:
    case = _accepted("TREVIEW01", shanghai(2026, 12, 28), persona)
    case.refresh_from_db()
    assert case.due_provisional is True
    assert case.promised_due == D("2027-01-11")
    event = transition_events(case.case_no)[-1]
    assert event.after is not None
    assert event.after["provisional"] is True
    # One accepted well inside 2026 is not provisional.
    other = _accepted("TREVIEW01", shanghai(2026, 11, 2), persona)
    assert other.due_provisional is False


def test_warning_level_follows_the_calendar_day_by_day(case_catalog, persona) -> None:
    case = _accepted("TREVIEW01", shanghai(2026, 6, 1), persona)
    assert case.promised_due == D("2026-06-15")
    expected = {
        "2026-06-10": WarningLevel.NORMAL,
        "2026-06-11": WarningLevel.YELLOW,
        "2026-06-15": WarningLevel.YELLOW,
        "2026-06-16": WarningLevel.RED,
    }
    for day, level in expected.items():
        with time_machine.travel(shanghai(*map(int, day.split("-"))), tick=False):
            assert case_warning(case) == level, day


def test_withdrawing_during_a_special_procedure_closes_it_with_its_paused_days(
    case_catalog, persona
) -> None:
    case = _accepted("TREVIEW01", shanghai(2026, 9, 22), persona)
    approver = approver_of(case)
    with time_machine.travel(shanghai(2026, 9, 30), tick=False):
        case_start_special(
            case.case_no, actor=approver, role="approver", kind="testing", reason="送检"
        )
    citizen = User.objects.get(username="citizen")
    with time_machine.travel(shanghai(2026, 10, 9), tick=False):
        case_withdraw(case.case_no, actor=citizen, role="citizen", reason="不再需要")
    procedure = SpecialProcedure.objects.get(case=case)
    assert procedure.ended_on == D("2026-10-09")
    assert procedure.result == "申请人撤回"
    # The record of the procedure says how long it paused the clock, however it ended.
    assert procedure.paused_working_days == 2
    assert AuditEvent.objects.filter(object_id=case.case_no, action="case.withdraw").exists()
