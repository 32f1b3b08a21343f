"""Case, application and notice numbers: a prefix, the day, and a daily sequence.

办件编号 = 实施编码 + yyyymmdd + daily sequence (domain-china.md §3, Guangdong format; at
least 4 digits, wider if a day ever needs more). The counter is one upsert statement
(INSERT … ON CONFLICT DO UPDATE … RETURNING, on PostgreSQL and SQLite ≥ 3.35): the row
lock it takes is held to the end of the caller's transaction, so concurrent callers get
distinct numbers. Numbers are unique and increasing, not gap-free: a submission takes its
numbers in a statement of its own before its transaction (so that the day's counters are
not locked for the whole of it), and one refused after that leaves a gap.
"""

from __future__ import annotations

import datetime

from django.db import connection

from .models import NumberSequence

_TABLE = NumberSequence._meta.db_table


def _upsert(counts: list[tuple[str, int]], day: datetime.date) -> dict[str, int]:
    """Add each count to its scope's counter on `day` in one statement; scope → new last."""
    values = ", ".join(["(%s, %s, %s)"] * len(counts))
    sql = (
        f"INSERT INTO {_TABLE} (scope, day, last) VALUES {values} "
        f"ON CONFLICT (scope, day) DO UPDATE SET last = {_TABLE}.last + EXCLUDED.last "
        "RETURNING scope, last"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [v for scope, count in counts for v in (scope, day, count)])
        return {scope: int(last) for scope, last in cursor.fetchall()}


def take_numbers(scope: str, day: datetime.date, count: int = 1) -> range:
    """Reserve `count` consecutive sequence numbers of `scope` on `day`."""
    last = _upsert([(scope, count)], day)[scope]
    return range(last - count + 1, last + 1)


def take_numbers_of(scopes: list[str], day: datetime.date) -> dict[str, int]:
    """One number of each scope on `day`, in one statement (a bundle's cases). Scopes are
    locked in sorted order, so two submissions of overlapping bundles cannot deadlock."""
    return _upsert([(scope, 1) for scope in sorted(set(scopes))], day)


def format_number(prefix: str, day: datetime.date, serial: int) -> str:
    return f"{prefix}{day:%Y%m%d}{serial:04d}"


def submission_numbers(item_codes: list[str], day: datetime.date) -> tuple[str, dict[str, str]]:
    """The application's number and, per item code, its new case's number: one statement."""
    serials = take_numbers_of(["application", *(f"case:{code}" for code in item_codes)], day)
    # "SQ" (申请) keeps application numbers visibly apart from case numbers.
    number = f"SQ{day:%Y%m%d}{serials['application']:06d}"
    return number, {code: format_number(code, day, serials[f"case:{code}"]) for code in item_codes}


def notice_number(department_short: str, kind_letter: str, day: datetime.date) -> str:
    """e.g. 公安受〔2026〕第1121000123号 — one series per department, kind and year."""
    serial = take_numbers(f"notice:{department_short}:{kind_letter}", day.replace(month=1, day=1))[
        0
    ]
    return f"{department_short}{kind_letter}〔{day.year}〕第{day:%m%d}{serial:06d}号"
