"""The SQL of the fold, for SQLite and PostgreSQL.

The statements are the same on both databases except for three expressions — the local day
of a timestamp and reading a key of the event's JSON — which `Dialect` supplies. Upserts use
`INSERT … SELECT … WHERE true ON CONFLICT … DO UPDATE` (the `WHERE true` is SQLite's rule
for an upsert fed by a SELECT), adding the delta to what is there.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from tongban.cases.enums import Provision
from tongban.cases.models import Application, Case
from tongban.core.models import AuditEvent, Department

from .models import (
    ApplicationDay,
    Backlog,
    DurationBundleDay,
    DurationBundleMonth,
    DurationDay,
    DurationSummaryDay,
    DurationSummaryMonth,
    FlowBundleDay,
    FlowBundleMonth,
    FlowDepartmentMonth,
    FlowItemDay,
    FlowRegionDay,
    FlowRegionMonth,
    FlowSummaryDay,
    FlowSummaryMonth,
)

DELTA = "stats_fold_delta"
# The rollups' text keys: codes, compared byte by byte (`Dialect.binary`, migration 0006).
TEXT_KEYS = ("region_id", "item_code", "bundle_code", "channel", "flow", "from_state", "to_state")
PROVISIONS = [str(p) for p in Provision]


@dataclass(frozen=True)
class Dialect:
    vendor: str
    time_zone: str

    @classmethod
    def for_connection(cls, conn: BaseDatabaseWrapper, time_zone: str) -> Dialect:
        return cls(conn.vendor, time_zone)

    def local_day(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"(({column}) AT TIME ZONE '{self.time_zone}')::date"
        # SQLite stores UTC text; the service's zone (Asia/Shanghai) keeps one offset all year.
        offset = datetime.datetime.now(zoneinfo.ZoneInfo(self.time_zone)).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        return f"date({column}, '{minutes:+d} minutes')"

    def binary(self, column: str) -> str:
        """Text compared byte by byte: PostgreSQL's "C" collation (SQLite's default). A
        locale's collation sorts and indexes the rollups' codes several times slower."""
        if self.vendor == "postgresql":
            return f'({column} COLLATE "C")'
        return column

    def month_start(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"date_trunc('month', {column})::date"
        return f"date({column}, 'start of month')"

    def text(self, column: str, *path: str) -> str:
        """A JSON value as text; path items are literal keys or SQL expressions in {}."""
        if self.vendor == "postgresql":
            parts = [_pg_key(p) for p in path]
            return f"({column}{''.join(' -> ' + p for p in parts[:-1])} ->> {parts[-1]})"
        return f"json_extract({column}, {_sqlite_path(path)})"

    def integer(self, column: str, *path: str) -> str:
        if self.vendor == "postgresql":
            return f"({self.text(column, *path)})::integer"
        return f"CAST({self.text(column, *path)} AS INTEGER)"

    def flag(self, column: str, *path: str) -> str:
        """1 when the JSON value is true, else 0."""
        if self.vendor == "postgresql":
            return f"(CASE WHEN {self.text(column, *path)} = 'true' THEN 1 ELSE 0 END)"
        return f"(CASE WHEN {self.text(column, *path)} = 1 THEN 1 ELSE 0 END)"

    def key_count(self, column: str, key: str) -> str:
        if self.vendor == "postgresql":
            return f"(SELECT count(*) FROM jsonb_object_keys({column} -> '{key}'))"
        return f"(SELECT count(*) FROM json_each({column}, '$.{key}'))"


def _pg_key(part: str) -> str:
    return part[1:-1] if part.startswith("{") else f"'{part}'"


def _sqlite_path(path: tuple[str, ...]) -> str:
    pieces = ["'$'"]
    for part in path:
        pieces.append(f"'.' || json_quote({part[1:-1]})" if part.startswith("{") else f"'.{part}'")
    return " || ".join(pieces)


def table_name(model: type[Model]) -> str:
    return model._meta.db_table


def create_delta(d: Dialect, actions: list[str]) -> str:
    """The chunk's events, grouped, as the temporary delta table. Parameters: as below."""
    return f"CREATE TEMPORARY TABLE {DELTA} AS {delta_select(d, actions)}"


def delta_select(d: Dialect, actions: list[str]) -> str:
    """The chunk's events, grouped: transitions (case.*) and receipts (application.submit).

    Parameters: chain, start, end — twice.
    """
    ev, case, app, dep = (
        table_name(AuditEvent),
        table_name(Case),
        table_name(Application),
        table_name(Department),
    )
    action_list = ", ".join(f"'{a}'" for a in actions)
    day = d.local_day("e.occurred_at")
    bundle = "CASE WHEN a.bundle_version_id IS NULL THEN '' ELSE a.plan_code END"
    flow = (
        "CASE WHEN e.action = 'case.deliver' AND c.delivery_method = 'pickup' "
        "THEN 'deliver_pickup' ELSE substr(e.action, 6) END"
    )
    wd = d.integer("e.after", "working_days")
    initial = d.text("e.after", "cases", "{c.case_no}")
    names = "day region_id department_id item_code bundle_code channel flow from_state to_state wd"
    dims = ", ".join(
        f"{d.binary(name)} AS {name}" if name in TEXT_KEYS else name for name in names.split()
    )
    positions = ", ".join(str(i + 1) for i in range(len(names.split())))
    return f"""
SELECT {dims}, count(*) AS n, sum(otp) AS otp, sum(ots) AS ots FROM (
  SELECT {day} AS day, dep.region_id AS region_id, c.department_id AS department_id,
         c.item_code AS item_code, {bundle} AS bundle_code, a.channel AS channel,
         {flow} AS flow, {d.text("e.before", "state")} AS from_state,
         {d.text("e.after", "state")} AS to_state, {wd} AS wd,
         {d.flag("e.after", "on_time_promised")} AS otp,
         {d.flag("e.after", "on_time_statutory")} AS ots
  FROM {ev} e
  JOIN {case} c ON c.case_no = e.object_id
  JOIN {app} a ON a.id = c.application_id
  JOIN {dep} dep ON dep.id = c.department_id
  WHERE e.chain = %s AND e.seq > %s AND e.seq <= %s
    AND e.object_type = 'case' AND e.action IN ({action_list})
  UNION ALL
  SELECT {day}, dep.region_id, c.department_id, c.item_code, {bundle}, a.channel,
         'receive', NULL, {initial}, NULL, 0, 0
  FROM {ev} e
  JOIN {app} a ON a.number = e.object_id
  JOIN {case} c ON c.application_id = a.id
  JOIN {dep} dep ON dep.id = c.department_id
  WHERE e.chain = %s AND e.seq > %s AND e.seq <= %s
    AND e.action = 'application.submit' AND {initial} IS NOT NULL
) events
GROUP BY {positions}
"""


_MEASURES = ("n", "on_time_promised", "on_time_statutory", "timed", "working_days")
_DELTA_SUMS = (
    "sum(n), sum(otp), sum(ots), "
    "sum(CASE WHEN wd IS NULL THEN 0 ELSE n END), sum(COALESCE(wd, 0) * n)"
)


@dataclass(frozen=True)
class Grain:
    """One rollup table: its key columns (`day` first) and where a rebuild sums it from.

    The incremental fold adds the delta to every grain. A rebuild folds the delta into the
    grains without a `source` only (the finest ones), then fills each other grain with one
    plain `INSERT … SELECT … GROUP BY` over its finer source: the same sums, without
    upserting every chunk into every table.
    """

    model: type[Model]
    keys: tuple[str, ...]
    measures: tuple[str, ...] = _MEASURES
    by_month: bool = False  # `day` holds the first day of the month
    source: type[Model] | None = None
    by_prefecture: bool = False  # `region_id` holds the prefecture (地市) of the source's region


# A region code's prefecture (GB/T 2260: the first four digits, then 00) — 430602 → 430600;
# the same expression on SQLite and PostgreSQL, and a prefecture's own code is unchanged.
PREFECTURE = "substr(region_id, 1, 4) || '00'"


_REGION = ("day", "region_id", "bundle_code", "channel", "flow")
_DEPARTMENT = (*_REGION, "department_id")
_SUMMARY = ("day", "region_id", "channel", "flow")
_DURATION = ("day", "region_id", "department_id", "item_code", "bundle_code", "working_days")
_DURATION_SUMMARY = ("day", "region_id", "working_days")
_DURATION_BUNDLE = ("day", "region_id", "bundle_code", "working_days")

FLOW_GRAINS = (
    Grain(FlowItemDay, (*_DEPARTMENT, "item_code")),
    Grain(FlowRegionDay, _REGION, source=FlowItemDay),
    Grain(FlowRegionMonth, _REGION, by_month=True, source=FlowRegionDay),
    Grain(FlowDepartmentMonth, _DEPARTMENT, by_month=True, source=FlowItemDay),
    Grain(FlowSummaryDay, _SUMMARY, source=FlowRegionDay),
    Grain(FlowSummaryMonth, _SUMMARY, by_month=True, source=FlowSummaryDay),
    Grain(FlowBundleDay, _REGION, source=FlowRegionDay, by_prefecture=True),
    Grain(FlowBundleMonth, _REGION, by_month=True, source=FlowBundleDay),
)
DURATION_GRAINS = (
    Grain(DurationDay, _DURATION, ("n",)),
    Grain(DurationSummaryDay, _DURATION_SUMMARY, ("n",), source=DurationDay),
    Grain(
        DurationSummaryMonth, _DURATION_SUMMARY, ("n",), by_month=True, source=DurationSummaryDay
    ),
    Grain(DurationBundleDay, _DURATION_BUNDLE, ("n",), source=DurationDay, by_prefecture=True),
    Grain(DurationBundleMonth, _DURATION_BUNDLE, ("n",), by_month=True, source=DurationBundleDay),
)


def _upsert(
    table: str,
    keys: list[str],
    measures: tuple[str, ...],
    select: str,
    conflict: list[str] | None = None,
) -> str:
    columns = ", ".join(keys + list(measures))
    updates = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
    return (
        f"INSERT INTO {table} ({columns}) {select} "
        f"ON CONFLICT ({', '.join(conflict or keys)}) DO UPDATE SET {updates}"
    )


def _grouped(d: Dialect, grain: Grain, columns: dict[str, str], sums: str, source: str) -> str:
    """`SELECT keys, sums FROM source GROUP BY keys`; `columns` renames keys in the source."""
    if grain.by_prefecture:
        columns = {**columns, "region_id": PREFECTURE}
    exprs = [columns.get(k, k) for k in grain.keys]
    if grain.by_month:
        exprs[0] = d.month_start(exprs[0])
    selected = ", ".join(f"{e} AS {k}" for e, k in zip(exprs, grain.keys, strict=True))
    return f"SELECT {selected}, {sums} FROM {source} GROUP BY {', '.join(exprs)}"


def grain_select(d: Dialect, grain: Grain, source: str | None = None) -> str:
    """A grain's rows summed from the delta table, or (`source`) from a table of its source
    grain's rows."""
    if source is not None:
        sums = ", ".join(f"sum({m})" for m in grain.measures)
        return _grouped(d, grain, {}, sums, source)
    if grain.measures == ("n",):  # a duration histogram: decisions with a measured time
        where = f"{DELTA} WHERE wd IS NOT NULL"
        return _grouped(d, grain, {"working_days": "wd"}, "sum(n)", where)
    # `WHERE true`: SQLite's rule for an upsert fed by a SELECT
    return _grouped(d, grain, {}, _DELTA_SUMS, f"{DELTA} WHERE true")


def _from_delta(d: Dialect, grain: Grain) -> str:
    return _upsert(
        table_name(grain.model), list(grain.keys), grain.measures, grain_select(d, grain)
    )


def flow_upserts(d: Dialect, open_states: list[str], finest_only: bool = False) -> list[str]:
    """Add the delta to every grain (`finest_only`: to the grains a rebuild folds per chunk)."""
    grains = [g for g in (*FLOW_GRAINS, *DURATION_GRAINS) if not (finest_only and g.source)]
    return [*(_from_delta(d, g) for g in grains), *_backlog_upsert(open_states)]


def derived_inserts(d: Dialect) -> list[str]:
    """For a rebuild, after the chunks: fill every coarser grain from its (filled) source.

    In dependency order; the tables are empty, so a plain INSERT does.
    """
    statements = []
    for grain in (*FLOW_GRAINS, *DURATION_GRAINS):
        if grain.source is None:
            continue
        select = grain_select(d, grain, table_name(grain.source))
        columns = ", ".join((*grain.keys, *grain.measures))
        statements.append(f"INSERT INTO {table_name(grain.model)} ({columns}) {select}")
    return statements


BACKLOG_KEYS = ("region_id", "department_id", "item_code", "bundle_code", "channel", "state")


def backlog_select(open_states: list[str], having: str = "") -> str:
    """Open cases by state from the delta: +n entering an open state, −n leaving one."""
    states = ", ".join(f"'{s}'" for s in open_states)
    bk = ", ".join(BACKLOG_KEYS[:-1])
    return (
        f"SELECT {bk}, state, sum(n) FROM ("
        f"SELECT {bk}, to_state AS state, n FROM {DELTA} WHERE to_state IN ({states}) "
        f"UNION ALL "
        f"SELECT {bk}, from_state AS state, -n FROM {DELTA} WHERE from_state IN ({states})"
        f") moves WHERE true GROUP BY {bk}, state {having}"
    )


def _backlog_upsert(open_states: list[str]) -> list[str]:
    return [
        _upsert(table_name(Backlog), list(BACKLOG_KEYS), ("n",), backlog_select(open_states)),
        # A group that emptied is no backlog: keep the table as small as the open cases.
        f"DELETE FROM {table_name(Backlog)} WHERE n = 0",
    ]


APPLICATION_KEYS = ("day", "region_id", "plan_code", "is_bundle", "channel")
APPLICATION_MEASURES = ("applications", "cases", *PROVISIONS)


def application_upsert(d: Dialect) -> str:
    """Add the chunk's submissions to `ApplicationDay`. Parameters: chain, start, end."""
    # The key has no is_bundle: a plan code is a bundle's or an item's, never both.
    conflict = ["day", "region_id", "plan_code", "channel"]
    return _upsert(
        table_name(ApplicationDay),
        list(APPLICATION_KEYS),
        APPLICATION_MEASURES,
        application_select(d),
        conflict,
    )


def application_select(d: Dialect) -> str:
    """Applications and how their materials were provided, from the submit events.

    Parameters: chain, start, end.
    """
    ev, app, dep = table_name(AuditEvent), table_name(Application), table_name(Department)
    provision_sums = ", ".join(
        f"sum(COALESCE({d.integer('e.after', 'provisions', p)}, 0))" for p in PROVISIONS
    )
    return f"""
SELECT {d.local_day("e.occurred_at")}, COALESCE(dep.region_id, ''), a.plan_code,
       a.bundle_version_id IS NOT NULL, a.channel,
       count(*), sum({d.key_count("e.after", "cases")}), {provision_sums}
FROM {ev} e
JOIN {app} a ON a.number = e.object_id
LEFT JOIN {dep} dep ON dep.id = a.service_centre_id
WHERE e.chain = %s AND e.seq > %s AND e.seq <= %s AND e.action = 'application.submit'
GROUP BY 1, 2, 3, 4, 5
"""
