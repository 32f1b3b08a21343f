"""Append and verify the hash-chained audit trail.

Each event stores the SHA-256 of its predecessor and of its own canonical content, so
altering, inserting or removing any row breaks the chain at that point. Appending locks the
chain's head row: events of one chain get a strict, gap-free sequence even under concurrent
writers on PostgreSQL, and SQLite serialises writers anyway.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent, User
from .request_context import current_request_context

GENESIS_HASH = "0" * 64
DEFAULT_CHAIN = "main"


def _canonical_time(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over every recorded field and the predecessor's hash."""
    content = {
        "chain": event.chain,
        "seq": event.seq,
        "occurred_at": _canonical_time(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "channel": event.channel,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_event(
    *,
    action: str,
    object_type: str,
    object_id: str | int,
    actor: User | None = None,
    role: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    channel: str | None = None,
    chain: str = DEFAULT_CHAIN,
) -> AuditEvent:
    """Append one event. Call it inside the transaction that makes the change it records."""
    context = current_request_context()
    # No savepoint: an event that cannot be written must fail the change it records, so
    # there is nothing to roll back to (two statements fewer per change when nested).
    with transaction.atomic(savepoint=False):
        # Lock the head first: it exists for every chain but a new one's first event, so the
        # usual append is three statements (lock, insert, update). A missing head is created
        # (get_or_create survives a concurrent creator) and then locked like any other.
        head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
        if head is None:
            AuditChainHead.objects.get_or_create(
                chain=chain, defaults={"last_seq": 0, "last_hash": GENESIS_HASH}
            )
            head = AuditChainHead.objects.select_for_update().get(chain=chain)
        # Round-trip through JSON so the hash is computed on exactly what the database
        # will give back (tuples become lists, dates must already be strings).
        event = AuditEvent(
            chain=chain,
            seq=head.last_seq + 1,
            occurred_at=timezone.now(),
            actor=actor,
            actor_name=(actor.get_username() if actor else ""),
            role=role,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=json.loads(json.dumps(before, ensure_ascii=False)) if before else None,
            after=json.loads(json.dumps(after, ensure_ascii=False)) if after else None,
            channel=channel if channel is not None else context.channel,
            request_id=context.request_id,
            prev_hash=head.last_hash,
        )
        event.hash = event_hash(event)
        event.save()
        head.last_seq = event.seq
        head.last_hash = event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


def snapshot(obj: models.Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON-safe summary of a row's own fields, for an event's before/after."""
    result: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        value = getattr(obj, field.attname)
        result[field.name] = (
            value if isinstance(value, (str, int, bool, type(None))) else str(value)
        )
    return result


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    seq: int
    problem: str


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    breaks: list[ChainBreak]

    @property
    def ok(self) -> bool:
        return not self.breaks


def _verify_chain(chain: str, events: Iterator[AuditEvent]) -> tuple[int, ChainBreak | None]:
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for event in events:
        checked += 1
        if event.seq != expected_seq:
            return checked, ChainBreak(chain, expected_seq, f"第{expected_seq}条事件缺失")
        if event.prev_hash != prev_hash:
            return checked, ChainBreak(
                chain, event.seq, "前一事件哈希不符（其前的事件被改动或删除）"
            )
        if event_hash(event) != event.hash:
            return checked, ChainBreak(chain, event.seq, "事件内容与哈希不符（本事件被改动）")
        prev_hash = event.hash
        expected_seq += 1
    head = AuditChainHead.objects.filter(chain=chain).first()
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev_hash):
        return checked, ChainBreak(
            chain,
            last_seq + 1,
            f"链头记录到第{head.last_seq}条，但只找到{last_seq}条（末尾事件被删除）",
        )
    return checked, None


def verify_audit_chain() -> VerifyReport:
    """Walk every chain from genesis and report the first broken link of each."""
    chains = set(AuditChainHead.objects.values_list("chain", flat=True))
    chains |= set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    total = 0
    breaks: list[ChainBreak] = []
    for chain in sorted(chains):
        events = AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000)
        checked, problem = _verify_chain(chain, events)
        total += checked
        if problem is not None:
            breaks.append(problem)
    return VerifyReport(checked=total, breaks=breaks)
