"""Restore an archive made by `tongban.core.backup` and prove the result equals it.

Order: read the manifest; check every member's SHA-256 and that the archive holds exactly
the members the manifest lists (nothing is written before this passes); check the database
vendor, that this code knows every migration the archive has applied, and that the target
database and storage hold nothing the restore would overwrite (unless forced); then the
database, the files, the keys (if archived); `migrate` (an older backup onto newer code);
and finally the verification: counts and audit chain heads equal the manifest, the audit
chain verifies from genesis, every `Upload` row has its file with its size, and the keys
on this machine are the ones the data needs.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader

from .backup import (
    FILES_PREFIX,
    FORMAT_VERSION,
    KEY_PREFIXES,
    KEY_TABLES,
    MANIFEST,
    BackupError,
    Log,
    _quote,
    _table,
    key_fingerprints,
    licence_key_dir,
    live_facts,
    personal_key_dir,
    pg_binary,
    pg_environment,
    storage_dir,
    vendor,
)

_CHUNK = 1024 * 1024


@dataclass
class Check:
    name: str
    expected: Any
    actual: Any

    @property
    def ok(self) -> bool:
        return bool(self.expected == self.actual)


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def add(self, name: str, expected: Any, actual: Any) -> None:
        self.checks.append(Check(name, expected, actual))


# --- reading and checking the archive -----------------------------------------------------


def _safe_name(name: str) -> bool:
    """Only relative paths under our prefixes, without `..`: an archive cannot write outside
    the storage and key directories."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name != path.as_posix():
        return False
    return name == MANIFEST or name.startswith(("database/", FILES_PREFIX, "keys/"))


def read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        handle = archive.extractfile(MANIFEST)
    except KeyError:
        handle = None
    if handle is None:
        raise BackupError("归档中没有 manifest.json：不是通办备份文件")
    manifest: dict[str, Any] = json.loads(handle.read().decode("utf-8"))
    if manifest.get("format") != "tongban-backup":
        raise BackupError("manifest.json 不是通办备份清单")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"备份格式版本 {manifest.get('format_version')} 不受支持（本程序为 {FORMAT_VERSION}）"
        )
    return manifest


def verify_members(archive: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Every member's SHA-256 equals the manifest's, and no member is missing or extra."""
    listed: dict[str, dict[str, Any]] = manifest.get("members", {})
    seen: set[str] = set()
    problems: list[str] = []
    for member in archive:
        if not _safe_name(member.name):
            raise BackupError(f"归档成员路径不安全，拒绝恢复：{member.name}")
        if member.name == MANIFEST:
            continue
        if not member.isfile():
            raise BackupError(f"归档成员不是普通文件，拒绝恢复：{member.name}")
        if member.name in seen:
            raise BackupError(f"归档成员重复，拒绝恢复：{member.name}")
        seen.add(member.name)
        expected = listed.get(member.name)
        if expected is None:
            problems.append(f"清单中没有的成员：{member.name}")
            continue
        digest = hashlib.sha256()
        handle = archive.extractfile(member)
        assert handle is not None
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
        if digest.hexdigest() != expected["sha256"]:
            problems.append(f"校验和不符：{member.name}")
    problems += [f"归档中缺少成员：{name}" for name in sorted(set(listed) - seen)]
    if problems:
        shown = "；".join(problems[:5]) + ("……" if len(problems) > 5 else "")
        raise BackupError(f"归档校验失败（{len(problems)} 处），未做任何更改：{shown}")


# --- what the target already holds -------------------------------------------------------


def database_has_data(using: str = DEFAULT_DB_ALIAS) -> bool:
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for label in KEY_TABLES.values():
            table = _table(label)
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")
                if cursor.fetchone() is not None:
                    return True
    return False


def _file_differs(path: Path, digest: str) -> bool:
    if not path.exists():
        return False
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest() != digest


def _destination(name: str) -> Path:
    if name.startswith(FILES_PREFIX):
        return storage_dir() / name[len(FILES_PREFIX) :]
    if name.startswith(KEY_PREFIXES["personal"]):
        return personal_key_dir() / name[len(KEY_PREFIXES["personal"]) :]
    if name.startswith(KEY_PREFIXES["licences"]):
        return licence_key_dir() / name[len(KEY_PREFIXES["licences"]) :]
    raise BackupError(f"无法确定成员的恢复位置：{name}")


def conflicts(manifest: dict[str, Any]) -> list[str]:
    """Files and keys on this machine that the archive would replace with other content."""
    return [
        name
        for name, member in manifest["members"].items()
        if name.startswith((FILES_PREFIX, "keys/"))
        and _file_differs(_destination(name), member["sha256"])
    ]


def unknown_migrations(manifest: dict[str, Any]) -> list[str]:
    """Migrations applied in the archive that this code does not have (a newer backup)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    on_disk = {app: set() for app in loader.migrated_apps}  # type: dict[str, set[str]]
    for app, name in loader.disk_migrations:
        on_disk.setdefault(app, set()).add(name)
    return [
        f"{app}.{name}"
        for app, name in manifest.get("migrations", {}).items()
        if app in on_disk and name not in on_disk[app]
    ]


# --- writing ------------------------------------------------------------------------------


def _extract_to(archive: tarfile.TarFile, name: str, path: Path, mode: int) -> None:
    """Write one member atomically (temporary file + rename) with the given mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if mode == 0o600 else 0o755)
    source = archive.extractfile(name)
    assert source is not None
    descriptor, temporary = tempfile.mkstemp(prefix=".restore-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            shutil.copyfileobj(source, handle, _CHUNK)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _restore_sqlite(dump: Path, using: str) -> None:
    target = connections[using].settings_dict["NAME"]
    connections[using].close()
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(dump)
    destination = sqlite3.connect(target, timeout=20)
    try:
        # The backup API in reverse: replaces the target's pages under its own lock, so
        # stale -wal/-shm files of the old database cannot mix with the restored one.
        source.backup(destination)
        destination.execute("PRAGMA journal_mode=WAL")
    finally:
        destination.close()
        source.close()


def _restore_postgresql(dump: Path, using: str) -> None:
    pg_restore = pg_binary("pg_restore")
    connection = connections[using]
    # Tables the dump does not know (added by newer migrations on this machine) would make
    # the later `migrate` fail, so every table goes before pg_restore recreates its own.
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if tables:
            cursor.execute(
                "DROP TABLE IF EXISTS " + ", ".join(_quote(t) for t in tables) + " CASCADE"
            )
    connection.close()
    result = subprocess.run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ],
        env=pg_environment(using),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore 失败（退出码 {result.returncode}）：{result.stderr.strip()}")


def _reset_key_caches() -> None:
    from tongban.core import fieldcrypto

    fieldcrypto._fernet.cache_clear()
    fieldcrypto._lookup_key.cache_clear()


# --- verification -------------------------------------------------------------------------


def verify_restored(report: RestoreReport, using: str = DEFAULT_DB_ALIAS) -> None:
    from tongban.core.audit import verify_audit_chain

    manifest = report.manifest
    facts = live_facts(using)
    for name, expected in manifest["counts"].items():
        report.add(f"行数 {name}", expected, facts.counts.get(name))
    report.add("审计链头", manifest["audit_chain_heads"], facts.chain_heads)
    chain = verify_audit_chain()
    report.add(
        f"审计链校验（{chain.checked} 条事件）",
        [],
        [f"链 {b.chain} 第 {b.seq} 条：{b.problem}" for b in chain.breaks],
    )
    root = storage_dir()
    missing = [
        name
        for name, size in facts.upload_files.items()
        if not (root / name).is_file() or (root / name).stat().st_size != size
    ]
    report.add("上传文件齐全（缺失或大小不符）", [], missing[:5])
    _verify_keys(report, facts.licence_key_ids)


def _verify_keys(report: RestoreReport, licence_key_ids: list[str]) -> None:
    recorded = report.manifest.get("keys", {})
    here = key_fingerprints()
    lookup = recorded.get("lookup_key")
    if lookup:
        actual = here["lookup_key"]["fingerprint"] if here["lookup_key"] else None
        report.add("查询摘要密钥（TONGBAN_LOOKUP_KEY）指纹", lookup["fingerprint"], actual)
    field_keys = recorded.get("field_keys")
    if field_keys:
        # The archive's encrypting key (its first) must be one this machine can decrypt with.
        wanted = field_keys["fingerprints"][0]
        available = here["field_keys"]["fingerprints"] if here["field_keys"] else []
        report.add("个人信息加密密钥（TONGBAN_FIELD_KEYS）可解密", True, wanted in available)
    missing = sorted(set(licence_key_ids) - set(here["licence_key_ids"]))
    report.add("证照签名密钥齐全（缺少的密钥）", [], missing)


# --- the whole restore --------------------------------------------------------------------


def restore_backup(
    archive_path: Path,
    *,
    force: bool = False,
    log: Log = lambda message: None,
    using: str = DEFAULT_DB_ALIAS,
) -> RestoreReport:
    if not archive_path.is_file():
        raise BackupError(f"备份文件不存在：{archive_path}")
    try:
        archive = tarfile.open(archive_path, "r:*")  # noqa: SIM115 (closed by the with below)
    except tarfile.TarError as exc:
        raise BackupError(f"无法读取备份文件 {archive_path}：{exc}") from exc
    with archive:
        manifest = read_manifest(archive)
        log("校验归档成员的 SHA-256……")
        verify_members(archive, manifest)
        kind = vendor(using)
        if kind == "sqlite":
            # A fresh machine: the database file's directory may not exist yet.
            Path(connections[using].settings_dict["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        if manifest["database"]["vendor"] != kind:
            raise BackupError(
                f"数据库类型不符：备份来自 {manifest['database']['vendor']}，"
                f"当前 DATABASE_URL 是 {kind}"
            )
        newer = unknown_migrations(manifest)
        if newer:
            raise BackupError(
                f"备份来自更新版本的程序（本程序没有迁移 {', '.join(newer[:3])}），请先升级程序"
            )
        if not force:
            if database_has_data(using):
                raise BackupError("目标数据库已有数据；确认要覆盖请加 --force")
            clashing = conflicts(manifest)
            if clashing:
                raise BackupError(
                    f"目标机器上有 {len(clashing)} 个文件或密钥与备份内容不同"
                    f"（例如 {clashing[0]}）；确认要覆盖请加 --force"
                )
        report = RestoreReport(manifest=manifest)
        with tempfile.TemporaryDirectory(prefix=".tongban-restore-") as staging:
            member = manifest["database"]["member"]
            dump = Path(staging) / PurePosixPath(member).name
            _extract_to(archive, member, dump, 0o600)
            log(f"恢复数据库（{kind}）……")
            if kind == "sqlite":
                _restore_sqlite(dump, using)
            else:
                _restore_postgresql(dump, using)
        log("恢复存储文件……")
        stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
        for name in manifest["members"]:
            if name.startswith(FILES_PREFIX):
                _extract_to(archive, name, _destination(name), 0o644)
            elif name.startswith("keys/"):
                destination = _destination(name)
                if _file_differs(destination, manifest["members"][name]["sha256"]):
                    # Never destroy a key: the one replaced (under --force) is kept aside.
                    replaced = destination.with_name(f"{destination.name}.replaced-{stamp}")
                    os.replace(destination, replaced)
                    report.notes.append(f"原密钥已改名保留：{replaced}")
                _extract_to(archive, name, destination, 0o600)
        if manifest["keys"].get("archived"):
            report.notes.append(f"已恢复 {len(manifest['keys']['archived'])} 个密钥文件")
        else:
            report.notes.append("备份不含密钥文件：本机须已有备份时的密钥（见 docs/deploy.md）")
    _reset_key_caches()
    log("执行数据库迁移（migrate）……")
    call_command("migrate", database=using, interactive=False, verbosity=0)
    log("校验恢复结果……")
    verify_restored(report, using)
    return report
