"""The audit trail is append-only and hash-chained; audit_verify finds the first broken link."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tongban.core.audit import GENESIS_HASH, event_hash, record_event, verify_audit_chain
from tongban.core.models import AppendOnlyError, AuditEvent
from tongban.core.request_context import RequestContext, reset_request_context, set_request_context

pytestmark = pytest.mark.django_db


def _record(n: int, chain: str = "main") -> list[AuditEvent]:
    return [
        record_event(
            action="case_accepted",
            object_type="case",
            object_id=f"C{i}",
            role="clerk",
            before={"state": "已接件"},
            after={"state": "已受理", "备注": f"第{i}件"},
            chain=chain,
        )
        for i in range(1, n + 1)
    ]


def _raw_update(seq: int, column: str, value: str) -> None:
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE chain = 'main' AND seq = %s", [value, seq]
        )


def _raw_delete(seq: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {AuditEvent._meta.db_table} WHERE chain = 'main' AND seq = %s", [seq]
        )


def test_events_link_to_their_predecessor() -> None:
    first, second, third = _record(3)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]
    stored = AuditEvent.objects.get(seq=2)
    assert event_hash(stored) == stored.hash  # survives the database round trip


def test_request_id_and_channel_come_from_the_request_context() -> None:
    token = set_request_context(RequestContext(request_id="req-12345678", channel="web"))
    try:
        (event,) = _record(1)
    finally:
        reset_request_context(token)
    assert (event.request_id, event.channel) == ("req-12345678", "web")


def test_intact_chain_verifies() -> None:
    _record(5)
    report = verify_audit_chain()
    assert report.ok
    assert report.checked == 5


def test_altered_content_is_reported_at_that_event(capsys: pytest.CaptureFixture[str]) -> None:
    _record(5)
    _raw_update(3, "object_id", "C999")
    report = verify_audit_chain()
    assert not report.ok
    assert report.breaks[0].seq == 3
    assert "被改动" in report.breaks[0].problem
    with pytest.raises(CommandError):
        call_command("audit_verify")
    assert "第 3 条" in capsys.readouterr().err


def test_rehashed_alteration_is_caught_by_the_next_link() -> None:
    events = _record(4)
    # A forger who also recomputes the altered row's own hash still breaks event 3's link.
    victim = AuditEvent.objects.get(seq=2)
    victim.object_id = "forged"
    _raw_update(2, "object_id", "forged")
    _raw_update(2, "hash", event_hash(victim))
    report = verify_audit_chain()
    assert report.breaks[0].seq == 3
    assert events[1].hash != event_hash(victim)


def test_deleted_middle_event_is_reported() -> None:
    _record(5)
    _raw_delete(2)
    report = verify_audit_chain()
    assert report.breaks[0].seq == 2
    assert "缺失" in report.breaks[0].problem


def test_deleted_last_event_is_reported_through_the_chain_head() -> None:
    _record(3)
    _raw_delete(3)
    report = verify_audit_chain()
    assert report.breaks[0].seq == 3
    assert "末尾" in report.breaks[0].problem


def test_chains_are_verified_independently() -> None:
    _record(2, chain="main")
    _record(2, chain="tickets")
    _raw_update(1, "action", "tampered")
    report = verify_audit_chain()
    assert [(b.chain, b.seq) for b in report.breaks] == [("main", 1)]
    assert report.checked == 3  # main stopped at its break, tickets fully checked


def test_command_reports_success(capsys: pytest.CaptureFixture[str]) -> None:
    _record(2)
    call_command("audit_verify")
    assert "共校验 2 条事件" in capsys.readouterr().out


def test_orm_refuses_to_change_or_delete_events() -> None:
    (event,) = _record(1)
    event.action = "other"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
