"""Writing rows: COPY on PostgreSQL, executemany on SQLite (small runs, tests).

Rows arrive as tuples of text in COPY's text format ("\\N" is NULL, booleans are t/f,
times carry their +08 offset), in the column order below, so the PostgreSQL path is one
`"\\t".join` per row. SQLite converts each value through the model field — except the
encrypted columns, which already hold their tokens and must not be encrypted again (the
reason this path does not use bulk_create).
"""

from __future__ import annotations

import datetime
import json
import queue
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from django.db import connection, models

from tongban.cases.models import Application, Case, NumberSequence, SpecialProcedure
from tongban.core.fieldcrypto import EncryptedJSONField, EncryptedTextField
from tongban.core.models import AuditEvent

NULL = "\\N"
APPLICATION_COLUMNS = [
    "id",
    "number",
    "status",
    "plan_code",
    "plan_name",
    "channel",
    "applicant_kind",
    "applicant_name",
    "applicant_id",
    "applicant_id_digest",
    "applicant_id_masked",
    "applicant_phone",
    "acting_as",
    "agent_name",
    "agent_id",
    "agent_id_masked",
    "answers",
    "form",
    "idempotency_key",
    "request_digest",
    "created_at",
    "updated_at",
    "submitted_at",
    "applicant_user_id",
    "bundle_version_id",
    "created_by_id",
    "item_id",
    "proxy_staff_id",
    "received_by_id",
    "service_centre_id",
    "licence_consent",
    "proxy_mandate_id",
]
CASE_COLUMNS = [
    "id",
    "case_no",
    "item_code",
    "item_name",
    "bundle_code",
    "state",
    "step_index",
    "received_at",
    "accepted_on",
    "decided_at",
    "delivered_at",
    "statutory_due",
    "promised_due",
    "due_provisional",
    "paused_working_days",
    "paused_natural_days",
    "decision_by",
    "reason",
    "legal_basis",
    "deficiency_supply_by",
    "deficiency_supplied_at",
    "result_name",
    "delivery_method",
    "tracking_no",
    "updated_at",
    "applicant_user_id",
    "application_id",
    "department_id",
    "item_id",
    "item_version_id",
    "service_centre_id",
]
EVENT_COLUMNS = [
    "chain",
    "seq",
    "occurred_at",
    "actor_name",
    "role",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "channel",
    "request_id",
    "prev_hash",
    "hash",
    "actor_id",
]
SPECIAL_COLUMNS = [
    "case_id",
    "kind",
    "reason",
    "started_on",
    "ended_on",
    "result",
    "paused_working_days",
    "started_by_id",
]
TABLES: list[tuple[str, type[models.Model], list[str]]] = [
    ("applications", Application, APPLICATION_COLUMNS),
    ("cases", Case, CASE_COLUMNS),
    ("events", AuditEvent, EVENT_COLUMNS),
    ("specials", SpecialProcedure, SPECIAL_COLUMNS),
]
_COPY_CHUNK = 4 << 20


class Sink(ABC):
    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[str, ...]]] = {name: [] for name, _, _ in TABLES}
        self.written: dict[str, int] = {name: 0 for name, _, _ in TABLES}

    def add(self, table: str, row: tuple[str, ...]) -> None:
        self.rows[table].append(row)

    def pending(self, table: str) -> int:
        return len(self.rows[table])

    def flush(self) -> None:
        for name, model, columns in TABLES:
            rows = self.rows[name]
            if rows:
                self.write(model, columns, rows)
                self.written[name] += len(rows)
                self.rows[name] = []

    def close(self) -> None:
        self.flush()

    @abstractmethod
    def write(
        self, model: type[models.Model], columns: list[str], rows: list[tuple[str, ...]]
    ) -> None:
        """Store one batch of rows (COPY on PostgreSQL, bulk INSERT on SQLite)."""


class CopySink(Sink):
    """PostgreSQL: COPY … FROM STDIN through psycopg 3, in chunks of a few megabytes.

    The COPYs run in a background thread, so the next batch is generated while PostgreSQL
    takes the last one (psycopg releases the GIL while it waits on the socket). The thread is
    the only user of the connection until `close()`; the queue holds one batch, so memory
    stays bounded when the database is the slower side.
    """

    def __init__(self) -> None:
        super().__init__()
        connection.ensure_connection()
        self.raw = connection.connection
        with self.raw.cursor() as cursor:
            # This session only: a crash loses at most the last batch, never consistency.
            cursor.execute("SET synchronous_commit TO off")
        self.queue: queue.Queue[list[tuple[Any, list[str], list[tuple[str, ...]]]] | None] = (
            queue.Queue(maxsize=1)
        )
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, name="stats-generate-copy", daemon=True)
        self.thread.start()

    def flush(self) -> None:
        if self.error is not None:
            raise RuntimeError("COPY failed") from self.error
        work = []
        for name, model, columns in TABLES:
            rows = self.rows[name]
            if rows:
                work.append((model, columns, rows))
                self.written[name] += len(rows)
                self.rows[name] = []
        if work:
            self.queue.put(work)

    def close(self) -> None:
        self.flush()
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise RuntimeError("COPY failed") from self.error

    def _work(self) -> None:
        while True:
            work = self.queue.get()
            if work is None:
                return
            if self.error is not None:
                continue  # drain: the main thread raises at its next flush
            try:
                for model, columns, rows in work:
                    self.write(model, columns, rows)
            except BaseException as exc:
                self.error = exc

    def write(
        self, model: type[models.Model], columns: list[str], rows: list[tuple[str, ...]]
    ) -> None:
        sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
            chunk: list[str] = []
            size = 0
            for row in rows:
                line = "\t".join(row)
                chunk.append(line)
                size += len(line)
                if size > _COPY_CHUNK:
                    copy.write("\n".join(chunk) + "\n")
                    chunk, size = [], 0
            if chunk:
                copy.write("\n".join(chunk) + "\n")
        # Outside a transaction (the command) each COPY commits by itself; inside one (tests)
        # it is part of that transaction.


def _converter(field: models.Field) -> Callable[[str], Any]:
    if isinstance(field, EncryptedTextField | EncryptedJSONField):
        return lambda v: v
    if isinstance(field, models.JSONField):
        return lambda v: field.get_db_prep_value(json.loads(v), connection)
    if isinstance(field, models.BooleanField):
        return lambda v: v == "t"
    if isinstance(field, models.DateTimeField):
        return lambda v: field.get_db_prep_value(datetime.datetime.fromisoformat(v), connection)
    if isinstance(field, models.DateField):
        return lambda v: v
    if isinstance(field, models.IntegerField | models.ForeignKey):
        return int
    return lambda v: v


class InsertSink(Sink):
    """Any other database (SQLite in tests): executemany with per-field conversion."""

    def write(
        self, model: type[models.Model], columns: list[str], rows: list[tuple[str, ...]]
    ) -> None:
        fields = {f.attname: f for f in model._meta.concrete_fields}
        convert = [_converter(fields[c]) for c in columns]
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        params = [
            [None if v == NULL else f(v) for f, v in zip(convert, row, strict=True)] for row in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def make_sink() -> Sink:
    return CopySink() if connection.vendor == "postgresql" else InsertSink()


def save_sequences(counters: dict[tuple[str, int], int]) -> None:
    """Record the daily serials used, so a later run (or real submissions) continues after them."""
    table = NumberSequence._meta.db_table
    rows = [
        (scope, datetime.date.fromordinal(day).isoformat(), last)
        for (scope, day), last in counters.items()
    ]
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    sql = (
        f"INSERT INTO {table} (scope, day, last) VALUES (%s, %s, %s) "
        f"ON CONFLICT (scope, day) DO UPDATE SET last = {greatest}({table}.last, EXCLUDED.last)"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 20000):
            cursor.executemany(sql, rows[start : start + 20000])


def load_sequences() -> dict[tuple[str, int], int]:
    return {
        (scope, day.toordinal()): last
        for scope, day, last in NumberSequence.objects.values_list("scope", "day", "last")
    }


def finish() -> None:
    """Move the identity sequences past the explicit ids, and refresh the planner statistics."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return
    with connection.cursor() as cursor:
        for model in (Application, Case):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"GREATEST((SELECT MAX(id) FROM {table}), 1))"
            )
        analysed: list[type[models.Model]] = [
            Application,
            Case,
            AuditEvent,
            SpecialProcedure,
            NumberSequence,
        ]
        for model_class in analysed:
            cursor.execute(f"ANALYZE {model_class._meta.db_table}")
