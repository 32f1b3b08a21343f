"""Changing the calendar: the notice import, the chinesecalendar seed, single-day edits,
the management commands and the admin pages — each atomic and audited."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from tongban.core import workcalendar
from tongban.core.calendar_actions import (
    import_year_schedule,
    seed_calendar_from_chinesecalendar,
    set_calendar_day,
)
from tongban.core.errors import DomainError
from tongban.core.models import (
    AuditEvent,
    CalendarDay,
    CalendarSource,
    CalendarYear,
    DayKind,
    Role,
    RoleAssignment,
    User,
)

D = datetime.date.fromisoformat
EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "docs/examples/calendar-2027-example.txt"

# Illustrative dates (the real 2027 schedule is not published): only the format matters.
VALID_2027 = """# 国务院办公厅关于2027年部分节假日安排的通知（测试用虚构日期）
年份: 2027
通知: 国办发明电〔2026〕X号
元旦: 2027-01-01 至 2027-01-03 放假
春节：2月5日至12日放假调休，共8天；2月14日（周日）上班
"""


@pytest.fixture(autouse=True)
def fresh_cache():
    workcalendar.invalidate_calendar_cache()
    yield
    workcalendar.invalidate_calendar_cache()


@pytest.fixture
def sysadmin(db):
    return User.objects.create_user("calendar_admin", full_name="日历管理员")


@pytest.fixture
def calendar(db):
    seed_calendar_from_chinesecalendar(range(2025, 2027))


def _snapshot():
    """Everything the calendar functions may write."""
    return (
        sorted(CalendarYear.objects.values_list("year", "source", "notice", "updated_at")),
        sorted(CalendarDay.objects.values_list("date", "kind", "name")),
        AuditEvent.objects.count(),
    )


# --- import -------------------------------------------------------------------------------


def test_valid_import_covers_the_year(calendar, sysadmin):
    assert workcalendar.due_date(D("2027-01-01"), 1).provisional
    row = import_year_schedule(VALID_2027, actor=sysadmin)
    assert (row.year, row.source, row.notice) == (2027, "notice_import", "国办发明电〔2026〕X号")
    assert 2027 in workcalendar.covered_years()
    days = dict(CalendarDay.objects.filter(date__year=2027).values_list("date", "kind"))
    assert len(days) == 3 + 8 + 1
    assert days[D("2027-02-14")] == DayKind.WORKDAY
    # Thu 2026-12-31 + 1: Fri 1/1–Sun 1/3 are now holidays → Mon 2027-01-04, no longer provisional.
    result = workcalendar.due_date(D("2026-12-31"), 1)
    assert (result.due, result.provisional) == (D("2027-01-04"), False)
    # Thu 2/4 + 1: 2/5–2/12 off, Sat 2/13 off, Sun 2/14 worked.
    assert workcalendar.due_date(D("2027-02-04"), 1).due == D("2027-02-14")
    event = AuditEvent.objects.get(action="calendar_imported")
    assert (event.object_type, event.object_id, event.actor) == ("calendar_year", "2027", sysadmin)
    assert event.before is None
    assert event.after["workdays"] == {"2027-02-14": "春节"}


def test_shipped_example_file_is_labelled_and_valid(calendar):
    text = EXAMPLE_FILE.read_text(encoding="utf-8")
    assert "格式示例" in text
    assert "并非真实安排" in text
    row = import_year_schedule(text, actor=None)
    assert row.year == 2027


def test_reimport_replaces_the_year(calendar, sysadmin):
    import_year_schedule(VALID_2027, actor=sysadmin)
    smaller = "年份: 2027\n元旦: 2027-01-01 放假\n"
    row = import_year_schedule(smaller, actor=sysadmin)
    assert row.notice == ""
    assert list(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == [
        D("2027-01-01")
    ]
    assert workcalendar.is_working_day(D("2027-02-08"))  # no longer a holiday
    event = AuditEvent.objects.filter(action="calendar_imported").last()
    assert "2027-02-08" in event.before["holidays"]
    assert list(event.after["holidays"]) == ["2027-01-01"]


BAD_FILES = [
    ("年份: 2027\n元旦 2027-01-01 放假\n", 2, "冒号"),
    ("年份: 2027\n元旦: 2027-01-01 休\n", 2, "无法识别"),
    ("年份: 2027\n元旦: 2027-02-30 放假\n", 2, "不存在"),
    ("年份: 2027\n\n元旦: 2028-01-01 放假\n", 3, "不在所声明的 2027 年内"),
    ("年份: 2027\n元旦: 2026-12-31 至 2027-01-01 放假\n", 2, "不在所声明的 2027 年内"),
    ("年份: 2027\n元旦: 2027-01-01 放假\n春节: 2027-01-01 放假\n", 3, "已在第2行列出"),
    ("年份: 2027\n元旦: 2027-01-01 放假; 2027-01-01 放假\n", 2, "本行重复"),
    ("年份: 2027\n春节: 2027-02-10 上班\n", 2, "星期三，本来就是工作日"),
    ("年份: 2027\n春节: 2027-02-12 至 2027-02-05 放假\n", 2, "结束日期早于开始日期"),
    ("年份: 2027\n春节: 2027-01-01 至 2027-03-01 放假\n", 2, "超过 31 天"),
    ("# 注释\n元旦: 2027-01-01 放假\n年份: 2027\n", 2, "请先写“年份"),
    ("年份: 2027\n年份: 2028\n", 2, "重复"),
    ("年份: 二〇二七\n", 1, "年份“二〇二七”无效"),
    ("年份: 2027\n元旦: 放假\n", 2, "无法识别"),
]


@pytest.mark.parametrize(("text", "line", "reason"), BAD_FILES)
def test_bad_file_names_the_line_and_writes_nothing(calendar, sysadmin, text, line, reason):
    before = _snapshot()
    with pytest.raises(DomainError) as caught:
        import_year_schedule(text, actor=sysadmin)
    assert caught.value.code == "calendar_import_invalid"
    assert f"第{line}行" in caught.value.detail
    assert reason in caught.value.detail
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("text", "reason"),
    [("# 只有注释\n", "缺少“年份"), ("年份: 2027\n通知: 某文号\n", "没有列出任何")],
)
def test_file_without_year_or_days_is_refused(calendar, text, reason):
    with pytest.raises(DomainError, match=reason):
        import_year_schedule(text, actor=None)
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_every_bad_line_is_reported_at_once(calendar):
    text = "年份: 2027\n元旦: 2027-13-01 放假\n清明: 2027-04-05 放假\n春节: 2027-02-10 上班\n"
    with pytest.raises(DomainError) as caught:
        import_year_schedule(text, actor=None)
    assert caught.value.detail.splitlines()[0].startswith("第2行")
    assert caught.value.detail.splitlines()[1].startswith("第4行")


def test_bad_reimport_keeps_the_previous_import(calendar, sysadmin):
    import_year_schedule(VALID_2027, actor=sysadmin)
    before = _snapshot()
    with pytest.raises(DomainError):
        import_year_schedule(VALID_2027 + "国庆节: 2027-10-04 上班\n", actor=sysadmin)
    assert _snapshot() == before


# --- seed -------------------------------------------------------------------------------


def test_seed_is_idempotent(db):
    assert seed_calendar_from_chinesecalendar(range(2024, 2027)) == [2024, 2025, 2026]
    assert AuditEvent.objects.filter(action="calendar_seeded").count() == 3
    before = _snapshot()
    assert seed_calendar_from_chinesecalendar(range(2024, 2027)) == []
    assert _snapshot() == before


def test_seed_of_all_years_names_holidays_in_chinese(db):
    years = seed_calendar_from_chinesecalendar()
    assert years[0] == 2004
    assert years[-1] == 2026
    assert CalendarDay.objects.get(date=D("2026-10-01")).name == "国庆节"
    assert CalendarDay.objects.get(date=D("2015-09-03")).name.startswith("中国人民抗日战争")
    assert seed_calendar_from_chinesecalendar() == []


def test_seed_never_marks_a_year_the_package_does_not_know(db):
    assert seed_calendar_from_chinesecalendar(range(2026, 2029)) == [2026]
    assert workcalendar.covered_years() == {2026}


def test_seed_does_not_overwrite_an_imported_or_manual_year(calendar, sysadmin):
    import_year_schedule("年份: 2026\n通知: 测试\n元旦: 2026-01-01 放假\n", actor=sysadmin)
    set_calendar_day(D("2025-10-10"), DayKind.HOLIDAY, "本地假日", sysadmin)
    before = _snapshot()
    assert seed_calendar_from_chinesecalendar() == [
        y for y in range(2004, 2025)
    ]  # only the years not yet stored
    after = _snapshot()
    assert [r for r in after[0] if r[0] >= 2025] == [r for r in before[0] if r[0] >= 2025]
    assert [d for d in after[1] if d[0].year >= 2025] == before[1]


def test_seed_repairs_a_year_it_wrote_itself(calendar):
    CalendarDay.objects.filter(date=D("2026-10-10")).delete()
    assert seed_calendar_from_chinesecalendar(range(2026, 2027)) == [2026]
    assert workcalendar.is_working_day(D("2026-10-10"))
    event = AuditEvent.objects.filter(action="calendar_seeded").last()
    assert "2026-10-10" not in event.before["workdays"]
    assert "2026-10-10" in event.after["workdays"]


# --- single-day edits ---------------------------------------------------------------------


def test_set_calendar_day_audits_and_marks_the_year_manual(calendar, sysadmin):
    set_calendar_day(D("2026-10-09"), DayKind.HOLIDAY, " 地方假日 ", sysadmin)
    assert CalendarDay.objects.get(date=D("2026-10-09")).name == "地方假日"
    assert CalendarYear.objects.get(year=2026).source == CalendarSource.MANUAL
    assert not workcalendar.is_working_day(D("2026-10-09"))
    event = AuditEvent.objects.get(action="calendar_day_set")
    assert event.before == {
        "date": "2026-10-09",
        "source": "chinesecalendar",
        "kind": None,
        "name": "",
    }
    assert event.after == {
        "date": "2026-10-09",
        "source": "manual",
        "kind": "holiday",
        "name": "地方假日",
    }
    # The same edit again changes nothing and records nothing.
    set_calendar_day(D("2026-10-09"), DayKind.HOLIDAY, "地方假日", sysadmin)
    assert AuditEvent.objects.filter(action="calendar_day_set").count() == 1
    # kind None removes the exception.
    assert set_calendar_day(D("2026-10-09"), None, "", sysadmin) is None
    assert workcalendar.is_working_day(D("2026-10-09"))
    assert AuditEvent.objects.filter(action="calendar_day_set").count() == 2


@pytest.mark.parametrize(
    ("day", "kind", "code"),
    [
        ("2027-01-01", DayKind.HOLIDAY, "calendar_year_not_covered"),
        ("2026-10-09", DayKind.WORKDAY, "calendar_day_invalid"),
        ("2026-10-09", "festival", "calendar_day_invalid"),
    ],
)
def test_set_calendar_day_refuses(calendar, sysadmin, day, kind, code):
    before = _snapshot()
    with pytest.raises(DomainError) as caught:
        set_calendar_day(D(day), kind, "x", sysadmin)
    assert caught.value.code == code
    assert _snapshot() == before


# --- management commands ------------------------------------------------------------------


def test_calendar_seed_command(db, capsys):
    call_command("calendar_seed", "--from-year", "2025", "--to-year", "2027")
    out = capsys.readouterr().out
    assert "已写入 2 个年度：2025、2026" in out
    assert "没有 2027 年的数据" in out
    call_command("calendar_seed", "--from-year", "2025", "--to-year", "2026")
    assert "没有变化" in capsys.readouterr().out


def test_calendar_import_command(calendar, tmp_path, capsys):
    good = tmp_path / "2027.txt"
    good.write_bytes(VALID_2027.encode("gb18030"))  # as saved by Windows Notepad (ANSI)
    call_command("calendar_import", str(good))
    assert "已导入 2027 年节假日安排：放假 11 天，调休上班 1 天" in capsys.readouterr().out
    bad = tmp_path / "bad.txt"
    bad.write_text("年份: 2028\n元旦: 2028-01-03 上班\n", encoding="utf-8")
    with pytest.raises(CommandError, match="第2行"):
        call_command("calendar_import", str(bad))
    assert not CalendarYear.objects.filter(year=2028).exists()
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("calendar_import", str(tmp_path / "missing.txt"))


# --- admin --------------------------------------------------------------------------------

IMPORT_URL = "/admin/core/calendaryear/import/"


def test_admin_import_page(admin_client, calendar):
    page = admin_client.get("/admin/core/calendaryear/")
    assert "导入国务院节假日安排" in page.content.decode()
    assert admin_client.get(IMPORT_URL).status_code == 200
    bad = admin_client.post(IMPORT_URL, {"text": "年份: 2027\n元旦: 2027-02-30 放假"})
    assert bad.status_code == 200
    assert "第2行" in bad.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    upload = SimpleUploadedFile("2027.txt", VALID_2027.encode("utf-8"), "text/plain")
    done = admin_client.post(IMPORT_URL, {"file": upload})
    assert done.status_code == 302
    assert CalendarYear.objects.get(year=2027).source == CalendarSource.NOTICE_IMPORT


def test_sysadmin_role_may_import_in_the_admin(client, calendar):
    # Sysadmins hold the `rules` role, not Django model permissions.
    user = User.objects.create_user("sys", password="pw", is_staff=True)
    RoleAssignment.objects.create(user=user, role=Role.SYSADMIN)
    client.force_login(user)
    assert "日历年度" in client.get("/admin/").content.decode()
    assert client.get("/admin/core/calendaryear/").status_code == 200
    done = client.post(IMPORT_URL, {"text": VALID_2027})
    assert done.status_code == 302
    assert AuditEvent.objects.get(action="calendar_imported").actor == user


def test_admin_import_is_refused_without_the_permission(client, db):
    staff = User.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(IMPORT_URL).status_code == 403


def test_admin_day_edits_go_through_the_domain_function(admin_client, admin_user, calendar):
    response = admin_client.post(
        "/admin/core/calendarday/add/",
        {"date": "2026-10-09", "kind": "holiday", "name": "地方假日"},
    )
    assert response.status_code == 302, response.content.decode()
    event = AuditEvent.objects.get(action="calendar_day_set")
    assert event.actor == admin_user
    assert not workcalendar.is_working_day(D("2026-10-09"))
    # A make-up working day on a Friday is refused with the Chinese reason.
    refused = admin_client.post(
        "/admin/core/calendarday/add/", {"date": "2026-10-16", "kind": "workday", "name": ""}
    )
    assert "本来就是工作日" in refused.content.decode()
    assert not CalendarDay.objects.filter(date=D("2026-10-16")).exists()
    deleted = admin_client.post("/admin/core/calendarday/2026-10-09/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert AuditEvent.objects.filter(action="calendar_day_set").count() == 2
    assert workcalendar.is_working_day(D("2026-10-09"))
    listing = admin_client.get("/admin/core/calendarday/", {"year": "2026", "kind": "workday"})
    assert "2026" in listing.content.decode()
