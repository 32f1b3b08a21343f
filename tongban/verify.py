"""Reference offline verifier for Tongban e-licence QR payloads.

    python -m tongban.verify <payload | verify-URL#payload | -> [--keys FILE_OR_URL]

The keys are the published list (GET /api/v1/licences/keys, or `KeyRing.public_keys()`):
`{"keys": [{"key_id", "algorithm", "public_key", ...}]}` or the bare list. Without --keys the
environment variable TONGBAN_LICENCE_KEYS names the file or URL. A saved keys file makes the
check work with no network at all.

Exit status: 0 有效签名 · 1 数据被篡改 · 2 无法解析 (or 无法核验: no readable keys) · 3 未知密钥.

Needs no Django settings and no database: it imports only the pure licence modules (and the
mask function, whose module does not touch settings on import).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tongban.core.identifiers import mask_identifier
from tongban.licences.payload import InvalidPayload, decode_payload
from tongban.licences.signing import Verdict, verify_record

EXIT_CODES = {Verdict.VALID: 0, Verdict.TAMPERED: 1, Verdict.UNKNOWN_KEY: 3}
EXIT_UNREADABLE = 2
UNREADABLE_LABEL = "无法解析"
OFFLINE_CAVEAT = (
    "提示：离线核验只能证明证照数据由发证机关签发且未被改动，不能发现之后的注销、吊销或变更；"
    "以发证机关的在线核验结果为准。"
)


class KeysError(Exception):
    """The public keys could not be read; the message is Chinese."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        keys = load_keys(args.keys or os.environ.get("TONGBAN_LICENCE_KEYS", ""))
    except KeysError as exc:
        print(f"核验结果：无法核验（{exc}）")
        return EXIT_UNREADABLE
    text = sys.stdin.read() if args.payload == "-" else args.payload
    try:
        record, signed = decode_payload(_payload_part(text))
    except InvalidPayload as exc:
        print(f"核验结果：{UNREADABLE_LABEL}（{exc}）")
        return EXIT_UNREADABLE
    verdict = verify_record(record, signed, keys)
    print(f"核验结果：{verdict.label}")
    for line in _describe(record, signed.key_id, verdict):
        print(line)
    return EXIT_CODES[verdict]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tongban.verify", description="离线核验通办电子证照二维码中的签名数据。"
    )
    parser.add_argument(
        "payload", help="二维码内容（TB1. 开头，或“核验网址#TB1...”）；“-”表示从标准输入读取"
    )
    parser.add_argument(
        "--keys",
        help="公钥列表 JSON 文件路径或 http(s) 地址（/api/v1/licences/keys 的输出）；"
        "默认取环境变量 TONGBAN_LICENCE_KEYS",
    )
    return parser


def _payload_part(text: str) -> str:
    # The QR code may hold "<verify URL>#<payload>" so that a phone camera opens the web page;
    # the payload is the fragment.
    text = text.strip()
    return text.rsplit("#", 1)[-1] if "#" in text else text


def load_keys(source: str) -> list[Mapping[str, Any]]:
    """The published keys from a file or an http(s) URL; KeysError with a Chinese reason."""
    if not source:
        raise KeysError("请用 --keys 指定公钥列表文件或地址")
    try:
        if source.startswith(("https://", "http://")):
            with urllib.request.urlopen(
                source, timeout=15
            ) as response:  # only http(s), checked above
                raw = response.read()
        else:
            raw = Path(source).read_bytes()
        loaded = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise KeysError(f"无法读取公钥列表 {source}：{exc}") from exc
    keys = loaded.get("keys") if isinstance(loaded, dict) else loaded
    if not isinstance(keys, list) or not all(_is_key_entry(key) for key in keys):
        raise KeysError(
            '公钥列表格式错误：应为 {"keys": [...]} 或列表，每项含 key_id、algorithm、public_key'
        )
    return keys


def _is_key_entry(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(value.get(field), str) for field in ("key_id", "algorithm", "public_key")
    )


def _describe(record: Mapping[str, Any], key_id: str, verdict: Verdict) -> list[str]:
    lines = []
    if verdict is not Verdict.VALID:
        lines.append("以下内容未通过签名核验，不可信，仅供查询时参考：")
    lines += [
        f"电子证照标识：{record['identifier']}",
        f"证照类型：{record['type_name']}",
        f"持证主体：{record['holder_name']}（{mask_identifier(record['holder_id'])}）",
        f"颁发机构：{record['issuer_name']}（{record['issuer_code']}）",
        f"颁发日期：{record['issued_on']}",
        f"有效期至：{_expiry_text(record['expires_on'])}",
        f"签名密钥：{key_id}",
    ]
    if verdict is Verdict.VALID:
        lines.append(OFFLINE_CAVEAT)
    return lines


def _expiry_text(expires_on: str | None) -> str:
    if expires_on is None:
        return "长期"
    if datetime.date.fromisoformat(expires_on) < datetime.date.today():
        return f"{expires_on}（已过期）"
    return expires_on


if __name__ == "__main__":
    sys.exit(main())
