"""Back up the database, the stored files and (optionally) the key files into one archive.

The archive is a `.tar` or `.tar.gz` with these members:

    database/tongban.sqlite3   SQLite: a copy made with the online backup API
    database/tongban.pgdump    PostgreSQL: `pg_dump --format=custom`
    files/<path>               everything under the storage directory (MEDIA_ROOT)
    keys/personal/<name>       with --include-keys: field.keys, lookup.key (TONGBAN_KEY_DIR)
    keys/licences/<name>       with --include-keys: the licence-signing key files
    manifest.json              what the snapshot holds, and the SHA-256 of every member above

Consistency while the service runs: the database snapshot is taken **first**, the files are
copied **after** it. A material file is written to storage before the transaction that
creates its `Upload` row commits (`cases/actions/uploads.py`), and stored files are never
changed or deleted, so every file the snapshot refers to already exists when the copy starts.
A file written after the snapshot may land in the archive too: no row refers to it, which is
harmless. The opposite order could archive a row whose file was not copied — a material the
restored system could not show. The backup checks this: every `Upload` row of the snapshot
must have its file in the archive, or the backup fails.

The snapshot itself: SQLite's backup API copies the database in one step inside one read
transaction, which WAL mode lets run beside the writers; PostgreSQL's exported snapshot
(`pg_export_snapshot`) is handed to `pg_dump --snapshot`, so the counts and chain heads in
the manifest are read from exactly the state the dump holds.

Keys are not archived by default: docs/cases.md asks for them to be backed up separately
(a dump plus its keys is the data; a dump alone is not). The manifest always records key
*fingerprints*, so a restore can tell whether the machine holds the right keys.
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"sqlite": "database/tongban.sqlite3", "postgresql": "database/tongban.pgdump"}
FILES_PREFIX = "files/"
KEY_PREFIXES = {"personal": "keys/personal/", "licences": "keys/licences/"}
# The tables whose row counts a restore must reproduce (manifest "counts").
KEY_TABLES = {
    "users": "core.User",
    "audit_events": "core.AuditEvent",
    "applications": "cases.Application",
    "cases": "cases.Case",
    "uploads": "cases.Upload",
    "licences": "licences.Licence",
    "tickets": "tickets.Ticket",
    "ratings": "feedback.Rating",
    "rectifications": "feedback.Rectification",
}
_CHUNK = 1024 * 1024
# Files up to this size are staged in memory before they go into the tar, larger ones in a
# temporary file: the tar header must carry the size before the content is read.
_SPOOL_MAX = 16 * 1024 * 1024

Log = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (in Chinese)."""


@dataclass
class SnapshotFacts:
    """What one database snapshot holds, read from the snapshot itself."""

    counts: dict[str, int]
    chain_heads: dict[str, dict[str, Any]]
    migrations: dict[str, str]
    upload_files: dict[str, int] = field(default_factory=dict)  # path -> size
    licence_key_ids: list[str] = field(default_factory=list)


# --- reading facts through any DB-API cursor (the snapshot file, or the exported snapshot) --


def _table(label: str) -> str:
    return str(apps.get_model(label)._meta.db_table)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_facts(cursor: Any, tables: set[str]) -> SnapshotFacts:
    """Counts, chain heads, migration state, referenced files and licence key ids."""

    def rows(sql: str) -> list[tuple[Any, ...]]:
        cursor.execute(sql)
        return list(cursor.fetchall())

    counts = {}
    for name, label in KEY_TABLES.items():
        table = _table(label)
        if table in tables:
            counts[name] = int(rows(f"SELECT COUNT(*) FROM {_quote(table)}")[0][0])
    heads: dict[str, dict[str, Any]] = {}
    head_table = _table("core.AuditChainHead")
    if head_table in tables:
        for chain, last_seq, last_hash in rows(
            f"SELECT chain, last_seq, last_hash FROM {_quote(head_table)} ORDER BY chain"
        ):
            heads[str(chain)] = {"last_seq": int(last_seq), "last_hash": str(last_hash)}
    migrations: dict[str, str] = {}
    if "django_migrations" in tables:
        for app, name in rows("SELECT app, name FROM django_migrations"):
            # Migration names start with a zero-padded number, so the greatest is the latest.
            migrations[str(app)] = max(migrations.get(str(app), ""), str(name))
    facts = SnapshotFacts(
        counts=counts, chain_heads=heads, migrations=dict(sorted(migrations.items()))
    )
    upload_table = _table("cases.Upload")
    if upload_table in tables:
        cursor.execute(f"SELECT file, size FROM {_quote(upload_table)}")
        while batch := cursor.fetchmany(10_000):
            facts.upload_files.update({str(path): int(size) for path, size in batch if path})
    licence_table = _table("licences.Licence")
    if licence_table in tables:
        facts.licence_key_ids = sorted(
            str(key_id)
            for (key_id,) in rows(f"SELECT DISTINCT key_id FROM {_quote(licence_table)}")
            if key_id
        )
    return facts


def live_facts(using: str = DEFAULT_DB_ALIAS) -> SnapshotFacts:
    """The same facts read from the live database (after a restore, or for a comparison)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return read_facts(cursor, set(connection.introspection.table_names(cursor)))


# --- keys ---------------------------------------------------------------------------------


def fingerprint(secret: str) -> str:
    """A short, one-way name for a key: equal keys give equal fingerprints, and the key
    cannot be recovered from it (the keys are 32 random bytes)."""
    return hashlib.sha256(b"tongban-key-fingerprint\0" + secret.encode()).hexdigest()[:16]


def personal_key_dir() -> Path:
    from tongban.core.fieldcrypto import key_dir

    return key_dir()


def licence_key_dir() -> Path:
    from tongban.licences.records import published_keys

    return published_keys().directory


def key_fingerprints() -> dict[str, Any]:
    """Fingerprints of the personal-data keys and the ids of the licence keys on disk."""
    from tongban.core.fieldcrypto import configured_key

    field = configured_key("TONGBAN_FIELD_KEYS", "field.keys")
    lookup = configured_key("TONGBAN_LOOKUP_KEY", "lookup.key")
    directory = licence_key_dir()
    licence_ids = (
        sorted(p.name[: -len(".key")].rpartition(".")[0] for p in directory.glob("*.key"))
        if directory.is_dir()
        else []
    )
    return {
        "field_keys": (
            {
                "source": field[0],
                "fingerprints": [fingerprint(k.strip()) for k in field[1].split(",") if k.strip()],
            }
            if field
            else None
        ),
        "lookup_key": {"source": lookup[0], "fingerprint": fingerprint(lookup[1])}
        if lookup
        else None,
        "licence_key_ids": licence_ids,
    }


def key_files() -> list[tuple[str, Path]]:
    """(member name, path) of every key file on disk, for --include-keys."""
    found: list[tuple[str, Path]] = []
    for name in ("field.keys", "lookup.key"):
        path = personal_key_dir() / name
        if path.is_file():
            found.append((KEY_PREFIXES["personal"] + name, path))
    directory = licence_key_dir()
    if directory.is_dir():
        for path in sorted(directory.glob("*.key")):
            found.append((KEY_PREFIXES["licences"] + path.name, path))
    return found


# --- the database snapshot ----------------------------------------------------------------


def storage_dir() -> Path:
    return Path(settings.MEDIA_ROOT)


def vendor(using: str = DEFAULT_DB_ALIAS) -> str:
    return str(connections[using].vendor)


def pg_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（Debian: apt-get install postgresql-client）。"
            f" / {name} not found: install the PostgreSQL client tools (postgresql-client)."
        )
    return path


def pg_environment(using: str = DEFAULT_DB_ALIAS) -> dict[str, str]:
    """libpq variables for pg_dump/pg_restore: the password never appears on a command line."""
    params = connections[using].settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", params.get("HOST")),
        ("PGPORT", params.get("PORT")),
        ("PGUSER", params.get("USER")),
        ("PGPASSWORD", params.get("PASSWORD")),
        ("PGDATABASE", params.get("NAME")),
        ("PGSSLMODE", (params.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _snapshot_sqlite(target: Path, using: str) -> SnapshotFacts:
    source_path = connections[using].settings_dict["NAME"]
    source = sqlite3.connect(source_path, timeout=20)
    copy = sqlite3.connect(target)
    try:
        source.execute("PRAGMA busy_timeout=20000")
        # pages=-1 (the default): the whole database in one step, inside one read
        # transaction — a consistent snapshot that WAL lets writers run beside.
        source.backup(copy)
        # A self-contained file: no -wal/-shm companions needed to read it.
        copy.execute("PRAGMA journal_mode=DELETE")
        cursor = copy.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {str(row[0]) for row in cursor.fetchall()}
        return read_facts(cursor, tables)
    finally:
        copy.close()
        source.close()


def _snapshot_postgresql(target: Path, using: str) -> SnapshotFacts:
    pg_dump = pg_binary("pg_dump")
    # Our own connection, so the exporting transaction is not Django's request connection.
    exporter = connections.create_connection(using)
    try:
        exporter.set_autocommit(False)
        with exporter.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = {str(row[0]) for row in cursor.fetchall()}
            facts = read_facts(cursor, tables)
            # The snapshot stays valid while this transaction is open: pg_dump sees exactly
            # the state the facts above were read from.
            result = subprocess.run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot_id}", f"--file={target}"],
                env=pg_environment(using),
                capture_output=True,
                text=True,
                check=False,
            )
        exporter.rollback()
    finally:
        exporter.close()
    if result.returncode != 0:
        raise BackupError(f"pg_dump 失败（退出码 {result.returncode}）：{result.stderr.strip()}")
    return facts


def snapshot_database(target: Path, using: str = DEFAULT_DB_ALIAS) -> SnapshotFacts:
    kind = vendor(using)
    if kind == "sqlite":
        return _snapshot_sqlite(target, using)
    if kind == "postgresql":
        return _snapshot_postgresql(target, using)
    raise BackupError(f"不支持的数据库类型：{kind}（仅支持 SQLite 和 PostgreSQL）")


# --- writing the archive ------------------------------------------------------------------


class _Hashing:
    """A read-only file wrapper that hashes what passes through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def add_member(
    archive: tarfile.TarFile, name: str, path: Path, mode: int = 0o644
) -> tuple[str, int]:
    """Copy one file into the archive; (sha256, size). The file is staged first, so a file
    that grows or is still being written cannot make the header's size wrong."""
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_MAX) as spool, path.open("rb") as source:
        hashing = _Hashing(source)
        shutil.copyfileobj(hashing, spool, _CHUNK)
        size = spool.tell()
        spool.seek(0)
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = mode
        info.mtime = int(path.stat().st_mtime)
        archive.addfile(info, spool)
    return hashing.digest.hexdigest(), size


def add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = int(datetime.datetime.now().timestamp())
    archive.addfile(info, _BytesReader(data))


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk = bytes(self.data[self.offset : end])
        self.offset += len(chunk)
        return chunk


def _archive_path(target: Path, compress: bool) -> Path:
    name = target.name
    if name.endswith((".tar", ".tar.gz", ".tgz")):
        return target
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return target / f"tongban-{stamp}.tar{'.gz' if compress else ''}"


def _iter_storage(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]


def create_backup(
    target: Path,
    *,
    include_keys: bool = False,
    compress: bool = True,
    log: Log = lambda message: None,
    using: str = DEFAULT_DB_ALIAS,
) -> BackupResult:
    """Write one archive (see the module docstring) and return its path and manifest."""
    path = _archive_path(target, compress)
    if path.exists():
        raise BackupError(f"目标文件已存在：{path}（不会覆盖已有备份）")
    path.parent.mkdir(parents=True, exist_ok=True)
    gzip = path.name.endswith((".gz", ".tgz"))
    kind = vendor(using)
    if kind not in DB_MEMBER:
        raise BackupError(f"不支持的数据库类型：{kind}（仅支持 SQLite 和 PostgreSQL）")
    partial = path.with_name(path.name + ".partial")
    members: dict[str, dict[str, Any]] = {}
    # Staged next to the archive, not in /tmp: a large database's dump needs the room.
    with tempfile.TemporaryDirectory(prefix=".tongban-backup-", dir=path.parent) as staging:
        db_file = Path(staging) / Path(DB_MEMBER[kind]).name
        log(f"数据库快照（{kind}）……")
        # 1. The database first — see the module docstring for why the order matters.
        facts = snapshot_database(db_file, using)
        try:
            with tarfile.open(partial, "w:gz" if gzip else "w") as archive:
                digest, size = add_member(archive, DB_MEMBER[kind], db_file, 0o600)
                members[DB_MEMBER[kind]] = {"sha256": digest, "size": size}
                db_file.unlink()
                # 2. Then the stored files.
                log("复制存储文件……")
                file_count = file_bytes = 0
                for relative, file_path in _iter_storage(storage_dir()):
                    digest, size = add_member(archive, FILES_PREFIX + relative, file_path)
                    members[FILES_PREFIX + relative] = {"sha256": digest, "size": size}
                    file_count += 1
                    file_bytes += size
                missing = sorted(
                    name for name in facts.upload_files if FILES_PREFIX + name not in members
                )
                if missing:
                    raise BackupError(
                        f"快照中有 {len(missing)} 个上传记录找不到文件（例如 {missing[0]}），"
                        f"存储目录 {storage_dir()} 不完整"
                    )
                # 3. Keys, only when asked.
                archived_keys: list[str] = []
                if include_keys:
                    for name, key_path in key_files():
                        digest, size = add_member(archive, name, key_path, 0o600)
                        members[name] = {"sha256": digest, "size": size}
                        archived_keys.append(name)
                manifest = {
                    "format": "tongban-backup",
                    "format_version": FORMAT_VERSION,
                    "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
                    "database": {"vendor": kind, "member": DB_MEMBER[kind]},
                    "migrations": facts.migrations,
                    "counts": facts.counts,
                    "audit_chain_heads": facts.chain_heads,
                    "files": {"count": file_count, "bytes": file_bytes},
                    "uploads_referenced": len(facts.upload_files),
                    "keys": {
                        "archived": archived_keys,
                        **key_fingerprints(),
                        "licence_key_ids_used": facts.licence_key_ids,
                    },
                    "members": members,
                }
                add_bytes(
                    archive,
                    MANIFEST,
                    json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"),
                )
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
            raise
    # Only a complete archive gets the final name; owner-only, as it holds personal data.
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return BackupResult(path=path, manifest=manifest)
