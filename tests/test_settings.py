"""Deployment settings come from the environment and fail loudly when unsafe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if k not in {"TONGBAN_DEMO", "DEBUG", "SECRET_KEY"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_secret_key_is_required_outside_demo_and_debug() -> None:
    result = _python("import tongban.settings")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert _python("import tongban.settings", TONGBAN_DEMO="1").returncode == 0
    assert _python("import tongban.settings", SECRET_KEY="x" * 50).returncode == 0


def test_allowed_hosts_come_from_the_environment() -> None:
    result = _python(
        "import tongban.settings as s; print(s.ALLOWED_HOSTS)",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="zwfw.yueyang.gov.cn, 10.0.0.5",
    )
    assert result.stdout.strip() == "['zwfw.yueyang.gov.cn', '10.0.0.5']"


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path: Path) -> None:
    code = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor();"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0],"
        " c.execute('PRAGMA busy_timeout').fetchone()[0],"
        " connection.settings_dict['OPTIONS']['transaction_mode'])"
    )
    result = _python(
        code,
        DJANGO_SETTINGS_MODULE="tongban.settings",
        TONGBAN_DEMO="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000", "IMMEDIATE"]


def test_postgres_url_selects_psycopg_backend() -> None:
    result = _python(
        "import tongban.settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'])",
        TONGBAN_DEMO="1",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/tongban",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "tongban"]
