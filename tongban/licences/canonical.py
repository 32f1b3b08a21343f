"""The canonical bytes of a licence record: exactly what is signed and what is verified.

The signer (the server, at issue time) and any offline verifier (our CLI, a phone app, another
province's system) must produce the same bytes from the same record, or a valid licence would
look tampered. So the form is fixed here and nowhere else:

- UTF-8 JSON, keys sorted (by code point, as Python's `sort_keys` does), no whitespace between
  tokens (`,` and `:` separators), Chinese written as itself (`ensure_ascii=False`).
- Dates become ISO 8601 strings (`2026-11-21`; date-times keep their offset).
- No floating-point numbers anywhere: 0.1 has no exact binary form and languages print floats
  differently, so amounts, areas and the like are strings ("1234.50"). Integers must fit in
  ±(2**53 - 1) so that a JavaScript verifier reads them exactly.
- Strings are signed as given (no Unicode normalisation): the issuer stores what it signs.

The record has exactly these top-level fields (`RECORD_FIELDS`):

    identifier   str   the GB/T 36904 identifier of this version (tongban.licences.identifier)
    type_code    str   证照类型代码
    type_name    str   证照类型名称, e.g. 营业执照
    holder_name  str   持证主体名称 (a person's or an organisation's name)
    holder_id    str   持证主体代码: resident ID number (person) or USCC (organisation)
    holder_kind  str   "person" (自然人) or "organisation" (法人和其他组织)
    issuer_name  str   颁发机构名称
    issuer_code  str   颁发机构代码 (USCC)
    issued_on    date  颁发日期 (a date or "YYYY-MM-DD")
    expires_on   date  有效期截止日期, or None for a licence without an end date (长期)
    data         dict  the fields printed on the licence face (照面信息), name → value
    version      int   the version number in the identifier (1 for 001)
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any, TypedDict

HOLDER_KINDS = ("person", "organisation")
RECORD_FIELDS = (
    "identifier",
    "type_code",
    "type_name",
    "holder_name",
    "holder_id",
    "holder_kind",
    "issuer_name",
    "issuer_code",
    "issued_on",
    "expires_on",
    "data",
    "version",
)
_TEXT_FIELDS = RECORD_FIELDS[:8]
_MAX_SAFE_INTEGER = 2**53 - 1


class LicenceRecord(TypedDict):
    """The shape of a record (documentation and type checking; see the module docstring)."""

    identifier: str
    type_code: str
    type_name: str
    holder_name: str
    holder_id: str
    holder_kind: str
    issuer_name: str
    issuer_code: str
    issued_on: datetime.date | str
    expires_on: datetime.date | str | None
    data: dict[str, Any]
    version: int


def canonical_bytes(record: Mapping[str, Any]) -> bytes:
    """The bytes to sign. Raises ValueError for a malformed record, TypeError for a float."""
    _check_fields(record)
    plain = {name: _plain(record[name], name) for name in RECORD_FIELDS}
    plain["issued_on"] = _date_text(record["issued_on"], "issued_on")
    if record["expires_on"] is not None:
        plain["expires_on"] = _date_text(record["expires_on"], "expires_on")
    text = json.dumps(
        plain, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return text.encode("utf-8")


def _check_fields(record: Mapping[str, Any]) -> None:
    missing = [name for name in RECORD_FIELDS if name not in record]
    extra = sorted(set(record) - set(RECORD_FIELDS))
    if missing or extra:
        raise ValueError(f"licence record fields: missing {missing}, unexpected {extra}")
    for name in _TEXT_FIELDS:
        if not isinstance(record[name], str):
            raise ValueError(f"licence record field {name} must be a string")
    if record["holder_kind"] not in HOLDER_KINDS:
        raise ValueError(f"holder_kind must be one of {HOLDER_KINDS}")
    if not isinstance(record["data"], Mapping):
        raise ValueError("licence record field data must be a mapping of face fields")
    version = record["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValueError("licence record field version must be an integer")


def _date_text(value: Any, name: str) -> str:
    # A datetime is a date subclass; a date field holding a time is a bug, not a date.
    if isinstance(value, datetime.datetime):
        raise ValueError(f"{name} must be a date, not a date-time")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            parsed = datetime.date.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.isoformat() == value:
            return value
    raise ValueError(f"{name} must be a date or a YYYY-MM-DD string")


def _plain(value: Any, path: str) -> Any:
    """A copy of `value` made only of JSON types, or TypeError naming where it went wrong."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise TypeError(f"{path}: integer {value} is too large; write it as a string")
        return value
    if isinstance(value, float):
        raise TypeError(f"{path}: floats are not allowed in a signed record; use a string")
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be strings, not {type(key).__name__}")
            result[key] = _plain(item, f"{path}.{key}")
        return result
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"{path}: {type(value).__name__} cannot be signed; use a string")
