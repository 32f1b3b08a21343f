"""The text in a licence's QR code: the signed record, checkable offline with the public key.

    TB1.<algorithm>.<key_id>.<data>.<signature>

- `TB1`: format and version of this payload (a future change gets TB2, and verifiers can tell).
- `algorithm`: "ed25519" or "sm2"; `key_id`: which published key signed it.
- `data`: base64url (no padding) of the raw DEFLATE stream (RFC 1951, no zlib header: six bytes
  fewer) of the record's canonical bytes (tongban.licences.canonical). A JavaScript verifier
  inflates it with `DecompressionStream("deflate-raw")`.
- `signature`: base64url (no padding) of the 64 signature bytes.

Every part uses only [A-Za-z0-9_-] and the separator is ".", so the payload can sit in a URL
path or fragment unescaped. The whole record travels in the code on purpose: a verifier with
the public key needs no network lookup, and what it shows is what was signed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from typing import Any

from tongban.licences.canonical import canonical_bytes
from tongban.licences.signing import ALGORITHMS, KEY_ID_SHAPE, SignedRecord

PREFIX = "TB1"
# A real record is a few hundred bytes; the cap stops a crafted code from inflating to
# gigabytes in a verifier (a "zip bomb").
MAX_RECORD_BYTES = 64 * 1024
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class InvalidPayload(ValueError):
    """The text is not a readable Tongban licence payload; the message says why, in Chinese."""


def encode_payload(record: Mapping[str, Any], signed: SignedRecord) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = compressor.compress(canonical_bytes(record)) + compressor.flush()
    return ".".join(
        [PREFIX, signed.algorithm, signed.key_id, _b64url(deflated), _b64url(signed.signature)]
    )


def decode_payload(text: str) -> tuple[dict[str, Any], SignedRecord]:
    """The record and its signature; InvalidPayload if the text cannot be read.

    This only reads; whether the signature is good is `signing.verify_record`'s answer.
    """
    parts = (text or "").strip().split(".")
    if parts[0] != PREFIX:
        raise InvalidPayload(f"这不是通办电子证照核验码：应以“{PREFIX}.”开头")
    if len(parts) != 5:
        raise InvalidPayload(f"核验码不完整：应有5段，实有{len(parts)}段，请重新扫描")
    _, algorithm, key_id, data_part, signature_part = parts
    if algorithm not in ALGORITHMS:
        raise InvalidPayload(f"核验码中的签名算法“{algorithm}”无法识别")
    if not KEY_ID_SHAPE.fullmatch(key_id):
        raise InvalidPayload("核验码中的密钥编号格式错误")
    record = _read_record(_unb64url(data_part, "数据"))
    signature = _unb64url(signature_part, "签名")
    signed = SignedRecord(key_id, algorithm, base64.b64encode(signature).decode("ascii"))
    return record, signed


def _read_record(deflated: bytes) -> dict[str, Any]:
    inflater = zlib.decompressobj(-15)
    try:
        raw = inflater.decompress(deflated, MAX_RECORD_BYTES + 1)
    except zlib.error as exc:
        raise InvalidPayload("核验码中的数据段无法解压，可能扫描不完整") from exc
    if len(raw) > MAX_RECORD_BYTES:
        raise InvalidPayload("核验码中的数据过大，不是通办签发的证照")
    if not inflater.eof:
        raise InvalidPayload("核验码中的数据段不完整，可能扫描不完整")
    try:
        record = json.loads(raw.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidPayload("核验码中的数据不是有效的证照记录") from exc
    if not isinstance(record, dict):
        raise InvalidPayload("核验码中的数据不是有效的证照记录")
    try:
        canonical_bytes(record)
    except (TypeError, ValueError) as exc:
        raise InvalidPayload("核验码中的证照记录缺少字段或字段类型不对") from exc
    return record


def _no_float(text: str) -> Any:
    raise ValueError(f"number {text} is not allowed in a licence record")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str, what: str) -> bytes:
    if not _BASE64URL.fullmatch(text):
        raise InvalidPayload(f"核验码中的{what}段含有无效字符或为空")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidPayload(f"核验码中的{what}段无法解码，可能扫描不完整") from exc
