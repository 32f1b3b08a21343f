"""Parse the yearly holiday schedule a system administrator types from the State Council notice.

Each November the General Office of the State Council publishes 国务院办公厅关于XXXX年部分节假日
安排的通知. The administrator copies it into a plain UTF-8 text file (GB18030 from Windows
Notepad is accepted too) in this format::

    # 国务院办公厅关于2027年部分节假日安排的通知     <- lines starting with # are comments
    年份: 2027                                       <- required, before any holiday line
    通知: 国办发明电〔2026〕X号                      <- optional: the notice's document number
    元旦: 2027-01-01 至 2027-01-03 放假
    春节: 2027-02-05 至 2027-02-12 放假; 2027-02-14 上班

One line per holiday: ``<name>: <part>; <part> ...``. A part is a date or a range of dates
followed by 放假 (also 放假调休 / 休息 / 休假: days off) or 上班 (also 补班 / 调休上班: a
make-up working day). The rest is forgiving, because people type this by hand:

- colons ``:`` or ``：``; parts separated by ``;`` ``；`` ``,`` ``，`` or ``、``;
- dates as ``2027-01-03``, ``2027/1/3``, ``2027.1.3``, ``2027年1月3日`` or ``1月3日`` (the declared
  year); a range end may leave out what it shares with its start (``2月5日至12日``);
- ranges with 至 / 到 / ~ / ～ / —; text in brackets such as ``（周日）`` and parts like ``共8天``
  are ignored.

Rejected, with the line number: a line that is not in this form, an impossible date, a date
outside the declared year, a range whose end is before its start or that is longer than 31
days, a day listed twice, a 上班 day that is Monday–Friday (it is a working day anyway — a
typo), and a file without 年份 or without any day. Parsing touches no database.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from .errors import DomainError
from .models import DayKind

ERROR_CODE = "calendar_import_invalid"
MAX_NAME_LENGTH = 32  # CalendarDay.name
MAX_NOTICE_LENGTH = 200  # CalendarYear.notice
MAX_RANGE_DAYS = 31
MAX_ERRORS = 20
WEEKDAY_NAMES = "一二三四五六日"


def weekday_name(day: datetime.date) -> str:
    return f"星期{WEEKDAY_NAMES[day.weekday()]}"


def makeup_day_problem(day: datetime.date) -> str | None:
    """Why `day` cannot be a make-up working day (调休上班日 replace a Saturday or Sunday)."""
    if day.weekday() < 5:
        return (
            f"{day.isoformat()} 是{weekday_name(day)}，本来就是工作日，"
            "不能列为调休上班日（调休上班日应为周六或周日）"
        )
    return None


HOLIDAY_WORDS = ("放假调休", "放假", "休息", "休假")
WORKDAY_WORDS = ("调休上班", "上班", "补班")
_KIND_BY_WORD = {w: DayKind.HOLIDAY for w in HOLIDAY_WORDS} | {
    w: DayKind.WORKDAY for w in WORKDAY_WORDS
}

_COLON = re.compile(r"[:：]")
_PART_SEPARATORS = re.compile(r"[;；,，、]")
_BRACKETED = re.compile(r"[（(][^（()）]*[)）]")
_TOTAL = re.compile(r"^共\s*\d+\s*天$")
_DATE_TEXT = r"[0-9年月日/.\-\s]+?"
_PART = re.compile(
    rf"^(?P<first>{_DATE_TEXT})\s*(?:(?:至|到|~|～|—|–)\s*(?P<last>{_DATE_TEXT}))?\s*"
    rf"(?P<word>{'|'.join(sorted(_KIND_BY_WORD, key=len, reverse=True))})$"
)
_DATE = re.compile(r"^(?:(?P<y>\d{4})[-/.年])?(?:(?P<m>\d{1,2})[-/.月])?(?P<d>\d{1,2})日?$")
_YEAR = re.compile(r"^(\d{4})\s*年?$")


@dataclass
class ParsedSchedule:
    year: int
    notice: str = ""
    # date -> (kind, holiday name)
    days: dict[datetime.date, tuple[str, str]] = field(default_factory=dict)


class _LineError(Exception):
    pass


def decode_schedule_bytes(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else GB18030 (Windows Notepad)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(ERROR_CODE, "文件编码无法识别，请另存为 UTF-8 编码的纯文本文件后重试")


def _parse_date(text: str, year: int, default: datetime.date | None) -> datetime.date:
    """A date of the declared year; `default` supplies the parts a range end leaves out."""
    match = _DATE.match(re.sub(r"\s+", "", text))
    if match is None:
        raise _LineError(f"无法识别日期“{text.strip()}”，请写成 {year}-01-01 或 1月1日")
    y = int(match["y"]) if match["y"] else (default.year if default else year)
    if match["m"]:
        m = int(match["m"])
    elif default is not None:
        m = default.month
    else:
        raise _LineError(f"日期“{text.strip()}”缺少月份")
    try:
        day = datetime.date(y, m, int(match["d"]))
    except ValueError:
        raise _LineError(f"日期“{text.strip()}”不存在") from None
    if day.year != year:
        raise _LineError(f"日期 {day.isoformat()} 不在所声明的 {year} 年内")
    return day


def _parse_part(part: str, year: int) -> tuple[list[datetime.date], str]:
    match = _PART.match(part)
    if match is None:
        raise _LineError(
            f"无法识别“{part}”，应写成“{year}-01-01 至 {year}-01-03 放假”或“{year}-02-14 上班”"
        )
    first = _parse_date(match["first"], year, None)
    last = _parse_date(match["last"], year, first) if match["last"] else first
    if last < first:
        raise _LineError(f"“{part}”的结束日期早于开始日期")
    length = (last - first).days + 1
    if length > MAX_RANGE_DAYS:
        raise _LineError(f"“{part}”长达 {length} 天，超过 {MAX_RANGE_DAYS} 天，请检查日期")
    kind = _KIND_BY_WORD[match["word"]]
    days = [first + datetime.timedelta(days=i) for i in range(length)]
    if kind == DayKind.WORKDAY:
        for day in days:
            problem = makeup_day_problem(day)
            if problem:
                raise _LineError(problem)
    return days, kind


class _Parser:
    def __init__(self) -> None:
        self.year: int | None = None
        self.notice: str | None = None
        self.days: dict[datetime.date, tuple[str, str]] = {}
        self.listed_on: dict[datetime.date, int] = {}
        self.errors: list[str] = []
        self.seen_entry = False

    def line(self, number: int, raw: str) -> None:
        text = raw.strip()
        if not text or text.startswith(("#", "＃")):
            return
        parts = _COLON.split(text, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip():
            raise _LineError("应写成“名称: 日期 放假/上班”，缺少冒号或名称")
        key, value = parts[0].strip(), parts[1].strip()
        if key == "年份":
            self._year(value)
        elif key in ("通知", "依据"):
            self._notice(value)
        else:
            self._holiday(number, key, value)

    def _year(self, value: str) -> None:
        if self.year is not None:
            raise _LineError("“年份”重复出现")
        if self.seen_entry:
            raise _LineError("“年份”必须写在所有节日之前")
        match = _YEAR.match(value)
        if match is None or not 1950 <= int(match[1]) <= 2100:
            raise _LineError(f"年份“{value}”无效，应为四位数字，如 2027")
        self.year = int(match[1])

    def _notice(self, value: str) -> None:
        if self.notice is not None:
            raise _LineError("“通知”重复出现")
        if len(value) > MAX_NOTICE_LENGTH:
            raise _LineError(f"通知文号过长（不超过 {MAX_NOTICE_LENGTH} 字）")
        self.notice = value

    def _holiday(self, number: int, name: str, value: str) -> None:
        self.seen_entry = True
        if self.year is None:
            raise _LineError("请先写“年份: YYYY”一行，再写节日")
        if len(name) > MAX_NAME_LENGTH:
            raise _LineError(f"节日名称“{name}”过长（不超过 {MAX_NAME_LENGTH} 字）")
        entries: list[tuple[datetime.date, str]] = []
        for raw_part in _PART_SEPARATORS.split(_BRACKETED.sub("", value)):
            part = raw_part.strip()
            if not part or _TOTAL.match(part):
                continue
            days, kind = _parse_part(part, self.year)
            entries.extend((day, kind) for day in days)
        if not entries:
            raise _LineError(f"“{name}”没有列出日期")
        # Check the whole line before keeping any of it: a bad line leaves no trace, so
        # later lines are not reported as duplicates of it.
        seen_here: set[datetime.date] = set()
        for day, _ in entries:
            if day in seen_here:
                raise _LineError(f"{day.isoformat()} 在本行重复列出")
            if day in self.listed_on:
                raise _LineError(f"{day.isoformat()} 已在第{self.listed_on[day]}行列出")
            seen_here.add(day)
        for day, kind in entries:
            self.days[day] = (kind, name)
            self.listed_on[day] = number


def parse_year_schedule(text: str) -> ParsedSchedule:
    """Parse the whole file or raise DomainError listing every bad line (第N行：…)."""
    parser = _Parser()
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        try:
            parser.line(number, raw)
        except _LineError as error:
            parser.errors.append(f"第{number}行：{error}")
            if len(parser.errors) >= MAX_ERRORS:
                parser.errors.append("错误过多，其余行未检查")
                break
    if parser.year is None and not parser.errors:
        parser.errors.append("缺少“年份: YYYY”一行")
    elif not parser.days and not parser.errors:
        parser.errors.append("没有列出任何放假或上班日期")
    if parser.errors:
        raise DomainError(ERROR_CODE, "\n".join(parser.errors))
    assert parser.year is not None
    return ParsedSchedule(year=parser.year, notice=parser.notice or "", days=parser.days)
