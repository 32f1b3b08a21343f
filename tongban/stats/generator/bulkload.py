"""Loading tens of millions of rows into PostgreSQL without paying per-row upkeep.

Maintaining a dozen secondary indexes and running a deferred foreign-key trigger for every
copied row costs PostgreSQL more than the rows themselves. For a load into empty tables
(`stats_generate` without `--append`) the generator, for its own session only and only while
it runs:

- drops the tables' non-unique secondary indexes and creates them again at the end from
  their exact stored definitions (`pg_indexes.indexdef`) — a sorted build is far cheaper
  than millions of random inserts; primary keys and unique constraints stay and are checked
  on every row, and so do partial indexes: they hold only the few open cases, and a
  predicate such as `state IN (…)` does not come back from its stored text byte-identical;
- sets `session_replication_role = replica`, which skips the foreign-key triggers of its
  own inserts, and afterwards checks every foreign key of the loaded tables with one
  anti-join each, failing loudly if any row points nowhere.

Nothing is disabled for any other session, and the indexes are recreated in a `finally`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, models

from tongban.cases.models import Application, Case, SpecialProcedure
from tongban.core.models import AuditEvent

LOADED: list[type[models.Model]] = [Application, Case, AuditEvent, SpecialProcedure]


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of the non-unique, non-partial indexes of `tables` (not backing a
    constraint)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef
            FROM pg_indexes i
            JOIN pg_class c ON c.relname = i.indexname
            JOIN pg_index x ON x.indexrelid = c.oid
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT x.indisunique AND NOT x.indisprimary AND x.indpred IS NULL
            ORDER BY i.tablename, i.indexname
            """,
            [tables],
        )
        return list(cursor.fetchall())


def check_foreign_keys(models_: list[type[models.Model]]) -> int:
    """Rows of `models_` whose foreign key points to no row (0 when all is well)."""
    broken = 0
    with connection.cursor() as cursor:
        for model in models_:
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.ForeignKey) or not field.db_constraint:  # type: ignore[attr-defined]
                    continue
                target = field.related_model._meta  # type: ignore[union-attr]
                cursor.execute(
                    f"SELECT COUNT(*) FROM {model._meta.db_table} t "
                    f"WHERE t.{field.column} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {target.db_table} r "
                    f"WHERE r.{target.pk.column} = t.{field.column})"
                )
                broken += int(cursor.fetchone()[0])
    return broken


@contextmanager
def bulk_load(say: Callable[[str], None]) -> Iterator[None]:
    """Drop secondary indexes and skip FK triggers for this session; restore and verify after."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in LOADED]
    indexes = _secondary_indexes(tables)
    with connection.cursor() as cursor:
        # Inside a caller's transaction (tests) deferred FK checks may be queued, and an
        # index cannot be dropped or built on a table with pending trigger events: run them.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")
    say(f"装载期间暂时删除 {len(indexes)} 个二级索引，结束后按原定义重建")
    try:
        yield
    finally:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for name, definition in indexes:
                cursor.execute(definition)
                say(f"  重建索引 {name}（{time.monotonic() - started:,.0f} 秒）")
    started = time.monotonic()
    broken = check_foreign_keys(LOADED)
    if broken:
        raise RuntimeError(f"{broken} 行的外键指向不存在的记录")
    say(f"外键检查通过（{time.monotonic() - started:,.0f} 秒）")
