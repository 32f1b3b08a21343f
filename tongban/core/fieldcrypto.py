"""Encryption of personal data at rest, and keyed hashes to look it up.

Resident ID numbers, phone numbers and form data are stored as Fernet tokens (AES-128-CBC +
HMAC-SHA256, from `cryptography`), so a database dump alone does not reveal them. Exact-match
lookups ("find the applicant by ID number") use an HMAC-SHA256 digest with a separate key:
equal numbers give equal digests, and the digest cannot be reversed without the key.

Keys (see docs/cases.md "Key handling"):
- TONGBAN_FIELD_KEYS: comma-separated Fernet keys; the first encrypts, all decrypt, so a new
  key can be put in front and old rows re-encrypted at leisure (`MultiFernet.rotate`).
- TONGBAN_LOOKUP_KEY: the HMAC key. Changing it means recomputing every digest; keep it.
- Unset: keys are read from files in TONGBAN_KEY_DIR (default <repo>/var/keys), which a demo
  or debug run creates on first use. A real deployment must set them or provide the files —
  never inside the repository, never in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_create_lock = threading.Lock()


def key_dir() -> Path:
    return Path(os.environ.get("TONGBAN_KEY_DIR", settings.VAR_DIR / "keys"))


def configured_key(name: str, file_name: str) -> tuple[str, str] | None:
    """Where a key is configured and its value: the environment variable or setting `name`,
    else its file in the key directory ("environment" / "file"); None if neither exists.
    Never creates a key (backups read keys through this)."""
    raw = os.environ.get(name) or getattr(settings, name, "")
    if raw:
        return "environment", str(raw)
    path = key_dir() / file_name
    if path.exists():
        return "file", path.read_text().strip()
    return None


def _from_file(name: str, make: Any) -> str:
    path = key_dir() / name
    if path.exists():
        return path.read_text().strip()
    if not settings.INSECURE_DEFAULTS_ALLOWED:
        raise ImproperlyConfigured(
            f"Personal-data key missing: set the environment variable or provide {path}."
        )
    with _create_lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Created with owner-only permissions before anything is written into it.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(make())
    return path.read_text().strip()


@cache
def _fernet() -> MultiFernet:
    found = configured_key("TONGBAN_FIELD_KEYS", "field.keys")
    raw = found[1] if found else _from_file("field.keys", lambda: Fernet.generate_key().decode())
    keys = [Fernet(key.strip().encode()) for key in raw.split(",") if key.strip()]
    return MultiFernet(keys)


@cache
def _lookup_key() -> bytes:
    found = configured_key("TONGBAN_LOOKUP_KEY", "lookup.key")
    raw = (
        found[1]
        if found
        else _from_file("lookup.key", lambda: base64.b64encode(os.urandom(32)).decode())
    )
    return raw.encode()


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "Cannot decrypt personal data: none of TONGBAN_FIELD_KEYS matches."
        ) from exc


def lookup_digest(value: str) -> str:
    """The keyed digest used to find a row by an exact value (normalised: stripped, upper)."""
    normalised = value.strip().upper()
    if not normalised:
        return ""
    return hmac.new(_lookup_key(), normalised.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python code sees the plain string."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        return encrypt_text(str(value))


class EncryptedJSONField(models.TextField):
    """JSON stored as one Fernet token (a dict or list in Python)."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(decrypt_text(value))

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            value = {}
        return encrypt_text(json.dumps(value, ensure_ascii=False, sort_keys=True))
