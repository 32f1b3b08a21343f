"""A full rollup rebuild on PostgreSQL: fill fresh tables with plain inserts, then swap.

Profiled at ten million cases (docs/performance.md): upserting a chunk's delta into a rollup
that already has its indexes costs about 40 µs a row (speculative insertion, six WAL records
a row, index pages evicted from a small buffer pool), while a plain `INSERT … SELECT` into a
table without indexes followed by sorted index builds costs under 8 µs. So, in the rebuild's
one transaction:

1. the delta of the whole chain is built once (in chunks appended to one temporary table), so
   the cases and applications are not re-scanned for every chunk;
2. each rollup gets a shadow table (`LIKE` the live one, no indexes), filled with one grouped
   `INSERT … SELECT` — the finest grains from the delta, each coarser grain from its source's
   shadow (the same `sql.Grain` table as the incremental fold, so the same sums);
3. the shadow gets the live table's indexes and constraints (from the catalog, under temporary
   names), the live table is dropped, and the shadow takes its name and its index names.

Readers keep reading the old tables until step 3; from the first `DROP` they wait the few
seconds until the rebuild commits. SQLite keeps the chunked path in `fold.py`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from django.db.backends.utils import CursorWrapper

from . import sql
from .models import ApplicationDay, Backlog

SHADOW = "__rebuild"
WORK_MEM = "512MB"  # one maintenance job, not one per request: hash and sort in memory
MAINTENANCE_WORK_MEM = "1GB"  # index builds


def rebuild_postgresql(
    cur: CursorWrapper,
    dialect: sql.Dialect,
    chain: str,
    end: int,
    chunk: int,
    actions: list[str],
    open_states: list[str],
    step: Callable[[str], None],
) -> None:
    """Rebuild every rollup from events (0, end] inside the caller's transaction."""
    cur.execute("SET LOCAL jit = off")  # JIT compiling took 8 s of a 30 s chunk, saved nothing
    cur.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
    cur.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
    cur.execute(f"DROP TABLE IF EXISTS {sql.DELTA}")
    select = sql.delta_select(dialect, actions)
    for start in range(0, max(end, 1), chunk):  # an empty chain still makes an empty delta
        stop = min(end, start + chunk)
        into = f"INSERT INTO {sql.DELTA} " if start else f"CREATE TEMPORARY TABLE {sql.DELTA} AS "
        cur.execute(into + select, [chain, start, stop] * 2)
        step(f"delta of events {start + 1:,}–{stop:,}")
    cur.execute(f"ANALYZE {sql.DELTA}")

    fills: list[tuple[str, tuple[str, ...], str, list[str | int]]] = []
    for grain in (*sql.FLOW_GRAINS, *sql.DURATION_GRAINS):
        source = None if grain.source is None else _shadow(sql.table_name(grain.source))
        columns = (*grain.keys, *grain.measures)
        fills.append(
            (sql.table_name(grain.model), columns, sql.grain_select(dialect, grain, source), [])
        )
    backlog = sql.backlog_select(open_states, having="HAVING sum(n) <> 0")
    fills.append((sql.table_name(Backlog), (*sql.BACKLOG_KEYS, "n"), backlog, []))
    columns = (*sql.APPLICATION_KEYS, *sql.APPLICATION_MEASURES)
    fills.append(
        (sql.table_name(ApplicationDay), columns, sql.application_select(dialect), [chain, 0, end])
    )
    for table, columns, select_rows, params in fills:
        shadow = _shadow(table)
        cur.execute(f"DROP TABLE IF EXISTS {shadow}")
        cur.execute(f"CREATE TABLE {shadow} (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY)")
        cur.execute(f"INSERT INTO {shadow} ({', '.join(columns)}) {select_rows}", params)
        step(f"filled {table} ({cur.rowcount:,} rows)")
    cur.execute(f"DROP TABLE {sql.DELTA}")

    for table, *_ in fills:
        _index_and_swap(cur, table)
    step("indexed the new tables and swapped them in")


def _shadow(table: str) -> str:
    return f"{table}{SHADOW}"


def _index_and_swap(cur: CursorWrapper, table: str) -> None:
    """Give the shadow the live table's indexes and constraints, then take its place."""
    shadow = _shadow(table)
    cur.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid), c.contype
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
        WHERE x.indrelid = %s::regclass
        ORDER BY i.relname
        """,
        [table],
    )
    indexes = cur.fetchall()
    on_table = re.compile(rf" ON (\S+\.)?{re.escape(table)} USING ")
    for name, definition, kind in indexes:
        temporary = _temporary_name(name)
        definition = definition.replace(f" INDEX {name} ON ", f" INDEX {temporary} ON ", 1)
        cur.execute(on_table.sub(f" ON {shadow} USING ", definition, count=1))
        if kind in ("p", "u"):
            constraint = "PRIMARY KEY" if kind == "p" else "UNIQUE"
            cur.execute(
                f"ALTER TABLE {shadow} ADD CONSTRAINT {temporary} {constraint} "
                f"USING INDEX {temporary}"
            )
    cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cur.fetchone()
    cur.execute(f"DROP TABLE {table}")
    cur.execute(f"ALTER TABLE {shadow} RENAME TO {table}")
    for name, _, _ in indexes:
        # Renaming an index that backs a constraint renames the constraint too.
        cur.execute(f"ALTER INDEX {_temporary_name(name)} RENAME TO {name}")
    cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (new_sequence,) = cur.fetchone()
    if sequence and new_sequence and new_sequence != sequence:
        cur.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {sequence.split('.')[-1]}")
    cur.execute(f"ANALYZE {table}")


def _temporary_name(name: str) -> str:
    """Unique per index name and within PostgreSQL's 63-byte limit."""
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[:40]}_{digest}{SHADOW}"
