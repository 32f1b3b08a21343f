"""Backup and restore (tongban/core/backup.py, backup_restore.py): a backup taken while a
thread keeps submitting applications restores into a fresh database with the manifest's
counts and audit chain heads, and the chain verifies; a tampered, unsafe, foreign or newer
archive is refused before anything is written; a mismatch after restore exits non-zero.

Runs on SQLite and PostgreSQL (the PostgreSQL tests need pg_dump and pg_restore, and a
user that may create databases).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, connections

from tongban.cases.models import Application, Upload
from tongban.core.audit import verify_audit_chain
from tongban.core.backup import BackupError, create_backup, live_facts
from tongban.core.backup_restore import restore_backup
from tongban.core.models import AuditEvent, User

from .case_helpers import import_case_catalog, shanghai, submit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(
    demo: None, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    if connection.vendor == "postgresql" and shutil.which("pg_dump") is None:
        pytest.fail("pg_dump not installed (Debian package postgresql-client)")
    settings.MEDIA_ROOT = settings.STORAGE_DIR = tmp_path / "storage"
    settings.TONGBAN_LICENCE_KEY_DIR = str(tmp_path / "licence-keys")
    # Key files of the checkout's var/keys must never be archived or overwritten by a test.
    monkeypatch.setenv("TONGBAN_KEY_DIR", str(tmp_path / "keys"))
    import_case_catalog("TREVIEW01")
    with time_machine.travel(shanghai(2026, 6, 1), tick=True):
        yield


@contextlib.contextmanager
def fresh_database(settings: Any, directory: Path) -> Iterator[None]:
    """Point the default connection at a new, empty database (and empty storage) for the
    duration; the test database is put back afterwards for the flush at teardown."""
    original_name = connection.settings_dict["NAME"]
    original_media = settings.MEDIA_ROOT
    connection.close()
    fresh = f"{original_name}_restore"
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(directory / "restored.sqlite3")
    else:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
            cursor.execute(f'CREATE DATABASE "{fresh}"')
        connection.close()
        connection.settings_dict["NAME"] = fresh
    settings.MEDIA_ROOT = settings.STORAGE_DIR = directory / "restored-storage"
    try:
        yield
    finally:
        connections.close_all()
        connection.settings_dict["NAME"] = original_name
        settings.MEDIA_ROOT = settings.STORAGE_DIR = original_media
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')


def rewrite_archive(
    source: Path,
    target: Path,
    change: Callable[[str, bytes], bytes],
    extra: dict[str, bytes] | None = None,
) -> Path:
    """A copy of the archive with each member's bytes passed through `change`."""
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        members = [(m.name, old.extractfile(m).read()) for m in old]  # type: ignore[union-attr]
        for name, data in [*members, *(extra or {}).items()]:
            content = change(name, data)
            info = tarfile.TarInfo(name)
            info.size = len(content)
            new.addfile(info, io.BytesIO(content))
    return target


def edit_manifest(edit: Callable[[dict[str, Any]], None]) -> Callable[[str, bytes], bytes]:
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


@pytest.fixture
def archive(world: None, persona: Callable[[str], User], tmp_path: Path) -> Path:
    """A backup of a world with two submitted applications (material files included)."""
    for _ in range(2):
        submit(persona("citizen"), item="TREVIEW01")
    return create_backup(tmp_path / "backups").path


def test_backup_while_writing_restores_into_fresh_database_with_same_counts_and_chain(
    world: None, persona: Callable[[str], User], settings: Any, tmp_path: Path
) -> None:
    citizen = persona("citizen")
    for _ in range(3):
        submit(citizen, item="TREVIEW01")
    stop = threading.Event()
    written: list[str] = []
    errors: list[BaseException] = []

    def keep_submitting() -> None:
        try:
            while not stop.is_set() and len(written) < 200:
                written.append(submit(citizen, item="TREVIEW01").number or "")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=keep_submitting)
    writer.start()
    try:
        while len(written) < 2 and writer.is_alive():  # the writer is under way
            stop.wait(0.05)
        result = create_backup(tmp_path / "backups" / "during-writes.tar.gz")
        during = len(written)
        while len(written) < during + 2 and writer.is_alive():  # and it went on after
            stop.wait(0.05)
    finally:
        stop.set()
        writer.join(timeout=120)
    assert not errors, errors
    manifest = result.manifest
    live = live_facts()
    # The snapshot holds some of the writes, not all: the writer went on after it.
    assert 3 <= manifest["counts"]["applications"] < live.counts["applications"]
    head = manifest["audit_chain_heads"]["main"]
    assert head["last_seq"] == manifest["counts"]["audit_events"]  # a consistent cut
    assert manifest["files"]["count"] >= manifest["uploads_referenced"] > 0
    assert manifest["database"]["vendor"] == connection.vendor

    with fresh_database(settings, tmp_path):
        report = restore_backup(result.path)
        assert report.ok, [c for c in report.checks if not c.ok]
        assert Application.objects.count() == manifest["counts"]["applications"]
        last = AuditEvent.objects.filter(chain="main").order_by("-seq").first()
        assert last is not None
        assert (last.seq, last.hash) == (head["last_seq"], head["last_hash"])
        assert verify_audit_chain().ok
        upload = Upload.objects.order_by("pk").first()
        assert upload is not None
        assert upload.file.read() == b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_tampered_member_is_refused_before_anything_changes(archive: Path, tmp_path: Path) -> None:
    def flip(name: str, data: bytes) -> bytes:
        return data + b"x" if name.startswith("files/") else data

    tampered = rewrite_archive(archive, tmp_path / "tampered.tar", flip)
    before = Application.objects.count()
    with pytest.raises(BackupError, match="校验和不符：files/materials/"):
        restore_backup(tampered, force=True)
    assert Application.objects.count() == before
    assert verify_audit_chain().ok


def test_member_missing_from_archive_is_refused(archive: Path, tmp_path: Path) -> None:
    def add_phantom(manifest: dict[str, Any]) -> None:
        manifest["members"]["files/materials/phantom.pdf"] = {"sha256": "0" * 64, "size": 1}

    broken = rewrite_archive(archive, tmp_path / "short.tar", edit_manifest(add_phantom))
    with pytest.raises(BackupError, match=re.escape("归档中缺少成员：files/materials/phantom.pdf")):
        restore_backup(broken, force=True)


def test_member_outside_the_storage_directory_is_refused(archive: Path, tmp_path: Path) -> None:
    evil = rewrite_archive(
        archive, tmp_path / "evil.tar", lambda name, data: data, {"files/../../evil.txt": b"x"}
    )
    with pytest.raises(BackupError, match="路径不安全"):
        restore_backup(evil, force=True)
    assert not (tmp_path / "evil.txt").exists()


def test_archive_of_the_other_database_vendor_is_refused(archive: Path, tmp_path: Path) -> None:
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    def set_vendor(manifest: dict[str, Any]) -> None:
        manifest["database"]["vendor"] = other

    foreign = rewrite_archive(archive, tmp_path / "foreign.tar", edit_manifest(set_vendor))
    with pytest.raises(BackupError, match=f"备份来自 {other}"):
        restore_backup(foreign, force=True)


def test_archive_from_newer_code_is_refused(archive: Path, tmp_path: Path) -> None:
    def future(manifest: dict[str, Any]) -> None:
        manifest["migrations"]["core"] = "9999_from_the_future"

    newer = rewrite_archive(archive, tmp_path / "newer.tar", edit_manifest(future))
    with pytest.raises(BackupError, match=re.escape("core.9999_from_the_future")):
        restore_backup(newer, force=True)


def test_restore_refuses_a_database_with_data_unless_forced(archive: Path) -> None:
    with pytest.raises(CommandError, match="已有数据"):
        call_command("restore", str(archive))


def test_mismatch_after_restore_is_reported_and_exits_non_zero(
    archive: Path, settings: Any, tmp_path: Path
) -> None:
    def one_more(manifest: dict[str, Any]) -> None:
        manifest["counts"]["applications"] += 1

    lying = rewrite_archive(archive, tmp_path / "lying.tar", edit_manifest(one_more))
    errors = io.StringIO()
    with fresh_database(settings, tmp_path), pytest.raises(CommandError, match="校验失败"):
        call_command("restore", str(lying), stdout=io.StringIO(), stderr=errors)
    assert "不符  行数 applications：备份为 3，恢复后为 2" in errors.getvalue()


def test_backup_fails_when_a_referenced_file_is_missing(
    world: None, persona: Callable[[str], User], tmp_path: Path
) -> None:
    submit(persona("citizen"), item="TREVIEW01")
    Path(Upload.objects.first().file.path).unlink()  # type: ignore[union-attr]
    with pytest.raises(BackupError, match="找不到文件"):
        create_backup(tmp_path / "backups" / "incomplete.tar")
    assert list((tmp_path / "backups").iterdir()) == []  # no partial archive left behind


def test_command_with_keys_restores_licence_keys_owner_only(
    archive: Path, settings: Any, tmp_path: Path
) -> None:
    from tongban.licences.records import licence_keyring

    key_id = licence_keyring().active_signer().key_id
    output = io.StringIO()
    call_command("backup", str(tmp_path / "with-keys.tar"), "--include-keys", stdout=output)
    assert "备份完成" in output.getvalue()
    assert "密钥文件：1" in output.getvalue()
    shutil.rmtree(settings.TONGBAN_LICENCE_KEY_DIR)
    with fresh_database(settings, tmp_path):
        output = io.StringIO()
        call_command("restore", str(tmp_path / "with-keys.tar"), stdout=output)
        assert "恢复完成" in output.getvalue()
    restored = list(Path(settings.TONGBAN_LICENCE_KEY_DIR).glob(f"{key_id}.*.key"))
    assert len(restored) == 1
    assert restored[0].stat().st_mode & 0o777 == 0o600
