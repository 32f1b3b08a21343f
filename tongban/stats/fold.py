"""Fold the audit chain into the rollup tables — incrementally, or all over again.

Why from the audit chain: every case state change already appends one event in its own
transaction, and the chain head gives the events a gap-free order (`core/audit.py`). So the
rollups need nothing from the request that changed the case — no counter row that every
submission would queue on — and one job can read "the events after the last one I folded".
Once the head says `last_seq = S` is committed, every event up to S is committed too.

One code path for both: `fold_pending` folds (cursor, head]; `rebuild_rollups` empties the
tables and folds (0, head] in chunks. Each chunk is aggregated by SQL into a temporary delta
table, and the delta is added to every grain with an upsert, so Python never touches a row per
event and the incremental totals are the rebuilt totals by construction (and by test).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from tongban.cases.enums import OPEN_STATES
from tongban.cases.transitions import TRANSITIONS
from tongban.core.audit import DEFAULT_CHAIN
from tongban.core.models import AuditChainHead

from . import sql
from .models import (
    ApplicationDay,
    Backlog,
    FoldCursor,
)
from .rebuild_pg import rebuild_postgresql

# Events per pass of a rebuild. Each pass scans the cases and applications again, so at ten
# million cases one pass over the whole chain (34.7M events) took 238 s against 295 s in
# chunks of 8M (docs/performance.md); smaller chunks only bound the temporary table.
REBUILD_CHUNK = 40_000_000
# Every rollup table: the flow and duration grains, the backlog, the applications.
ROLLUPS: tuple[type[Model], ...] = (
    *(grain.model for grain in (*sql.FLOW_GRAINS, *sql.DURATION_GRAINS)),
    Backlog,
    ApplicationDay,
)


@dataclass(frozen=True)
class FoldResult:
    from_seq: int
    to_seq: int
    seconds: float

    @property
    def events(self) -> int:
        return self.to_seq - self.from_seq


def _head_seq(chain: str) -> int:
    head = AuditChainHead.objects.filter(chain=chain).values_list("last_seq", flat=True).first()
    return head or 0


def _lock_cursor(chain: str) -> FoldCursor:
    FoldCursor.objects.get_or_create(chain=chain)
    return FoldCursor.objects.select_for_update().get(chain=chain)


def fold_pending(chain: str = DEFAULT_CHAIN, limit: int | None = None) -> FoldResult:
    """Fold the events appended since the last fold (at most `limit` of them)."""
    started = time.perf_counter()
    if pending_events(chain) <= 0:
        # Nothing new: answer without a write transaction (SQLite would take its write lock).
        done = _head_seq(chain)
        return FoldResult(done, done, time.perf_counter() - started)
    with transaction.atomic():
        cursor = _lock_cursor(chain)
        start = cursor.last_seq
        end = _head_seq(chain)
        if limit is not None:
            end = min(end, start + limit)
        if end > start:
            _fold_range(chain, start, end)
            cursor.last_seq = end
            cursor.folded_at = timezone.now()
            cursor.save(update_fields=["last_seq", "folded_at"])
    return FoldResult(start, max(start, end), time.perf_counter() - started)


def rebuild_rollups(
    chain: str = DEFAULT_CHAIN,
    chunk: int = REBUILD_CHUNK,
    progress: Callable[[str], None] | None = None,
) -> FoldResult:
    """Empty every rollup and fold the whole chain again, in one transaction.

    Readers keep seeing the old totals until the rebuild commits (PostgreSQL's snapshots;
    SQLite's WAL readers), so a rebuild never shows a half-built dashboard. `progress`
    hears one line per step (a rebuild of millions of events takes minutes).
    """
    started = time.perf_counter()

    def step(what: str) -> None:
        if progress is not None:
            progress(f"{time.perf_counter() - started:8.1f} s  {what}")

    with transaction.atomic():
        cursor = _lock_cursor(chain)
        end = _head_seq(chain)
        dialect = sql.Dialect.for_connection(connection, settings.TIME_ZONE)
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                actions, open_states = _fold_vocabulary()
                rebuild_postgresql(cur, dialect, chain, end, chunk, actions, open_states, step)
            else:
                for model in ROLLUPS:
                    model._default_manager.all().delete()
                step(f"emptied the rollups; folding {end:,} events")
                for start in range(0, end, chunk):
                    _fold_range(chain, start, min(end, start + chunk), finest_only=True)
                    step(f"folded events {start + 1:,}–{min(end, start + chunk):,}")
                for statement in sql.derived_inserts(dialect):
                    cur.execute(statement)
                step("filled the coarser grains from the finest")
        now = timezone.now()
        cursor.last_seq = end
        cursor.folded_at = now
        cursor.rebuilt_at = now
        cursor.save(update_fields=["last_seq", "folded_at", "rebuilt_at"])
    return FoldResult(0, end, time.perf_counter() - started)


def pending_events(chain: str = DEFAULT_CHAIN) -> int:
    """Events appended but not yet folded: how far the dashboard lags behind."""
    cursor = FoldCursor.objects.filter(chain=chain).values_list("last_seq", flat=True).first()
    return _head_seq(chain) - (cursor or 0)


def _fold_vocabulary() -> tuple[list[str], list[str]]:
    """The case actions the fold counts and the states that make up the backlog."""
    return [f"case.{name}" for name in TRANSITIONS], sorted(str(s) for s in OPEN_STATES)


def _fold_range(chain: str, start: int, end: int, finest_only: bool = False) -> None:
    """Add the events with seq in (start, end] to every rollup (or to the finest grains)."""
    dialect = sql.Dialect.for_connection(connection, settings.TIME_ZONE)
    actions, open_states = _fold_vocabulary()
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {sql.DELTA}")
        cur.execute(sql.create_delta(dialect, actions), [chain, start, end] * 2)
        for statement in sql.flow_upserts(dialect, open_states, finest_only):
            cur.execute(statement)
        cur.execute(sql.application_upsert(dialect), [chain, start, end])
        cur.execute(f"DROP TABLE {sql.DELTA}")
