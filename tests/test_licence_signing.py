"""Signed licence records: canonical bytes, Ed25519 and SM2 signers, the key ring and its
rotation, the QR payload, and the offline verifier run as a separate process.

No database: keys live in tmp_path, and the verifier process runs without Django settings.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from Cryptodome.Util.asn1 import DerBitString, DerObjectId, DerSequence
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from tongban.core.identifiers import make_org_code, make_uscc
from tongban.licences.canonical import RECORD_FIELDS, canonical_bytes
from tongban.licences.identifier import build_identifier
from tongban.licences.payload import (
    MAX_RECORD_BYTES,
    InvalidPayload,
    decode_payload,
    encode_payload,
)
from tongban.licences.signing import (
    ED25519,
    SM2,
    Ed25519Signer,
    KeyRing,
    KeyRingError,
    SignedRecord,
    SM2Signer,
    Verdict,
    configured_algorithm,
    sign_record,
    verify_record,
    verify_signature,
)

REPO = Path(__file__).resolve().parent.parent
HOLDER_USCC = make_uscc("91430104" + make_org_code("MA4L1234"))
ISSUER_USCC = "11430000006122244L"
# The face of a business licence (营业执照): ten fields of ordinary length.
FACE = {
    "名称": "长沙市岳麓区湘江源餐饮管理有限公司",
    "统一社会信用代码": HOLDER_USCC,
    "类型": "有限责任公司（自然人投资或控股）",
    "法定代表人": "王建国",
    "经营范围": (
        "餐饮服务；食品销售；餐饮管理；外卖递送服务；食品互联网销售；日用百货销售；"
        "会议及展览服务。（依法须经批准的项目，经相关部门批准后方可开展经营活动）"
    ),
    "注册资本": "伍佰万元整",
    "成立日期": "2026年11月21日",
    "营业期限": "2026年11月21日至长期",
    "住所": "湖南省长沙市岳麓区麓谷街道桐梓坡西路229号麓谷国际工业园A2栋301室",
    "登记机关": "长沙市岳麓区市场监督管理局",
}


def make_record(**changes: Any) -> dict[str, Any]:
    identifier = build_identifier("11100000000013338W011", ISSUER_USCC, "B7K2M9Q4X1Z8C3V6N5L0")
    record: dict[str, Any] = {
        "identifier": str(identifier),
        "type_code": identifier.type_code,
        "type_name": "营业执照",
        "holder_name": FACE["名称"],
        "holder_id": HOLDER_USCC,
        "holder_kind": "organisation",
        "issuer_name": FACE["登记机关"],
        "issuer_code": ISSUER_USCC,
        "issued_on": datetime.date(2026, 11, 21),
        "expires_on": None,
        "data": dict(FACE),
        "version": identifier.version,
    }
    record.update(changes)
    return record


@pytest.fixture(params=[ED25519, SM2])
def ring(request: pytest.FixtureRequest, tmp_path: Path) -> KeyRing:
    keyring = KeyRing(tmp_path / "keys", request.param)
    keyring.ensure_active_key(create=True)
    return keyring


# ---------------------------------------------------------------- canonical bytes


def test_canonical_bytes_are_sorted_compact_utf8() -> None:
    record = make_record(data={"面积": "120.50", "层数": 3}, expires_on="2031-11-20")
    text = canonical_bytes(record).decode("utf-8")
    assert text.startswith('{"data":{"层数":3,"面积":"120.50"},"expires_on":"2031-11-20",')
    assert '"issued_on":"2026-11-21"' in text
    assert " " not in text.replace(FACE["类型"], "")
    assert "\\u" not in text  # Chinese is written as itself
    assert json.loads(text).keys() == set(RECORD_FIELDS)


def test_a_date_and_its_iso_string_give_the_same_bytes() -> None:
    assert canonical_bytes(make_record()) == canonical_bytes(make_record(issued_on="2026-11-21"))


@pytest.mark.parametrize(
    "value", [1.5, float("nan"), float("inf"), decimal.Decimal("1.50"), 2**53, {1: "x"}]
)
def test_values_that_could_serialise_differently_are_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        canonical_bytes(make_record(data={"金额": value}))


@pytest.mark.parametrize(
    "changes",
    [
        {"issued_on": datetime.datetime(2026, 11, 21, 9, 0)},
        {"issued_on": "2026/11/21"},
        {"holder_kind": "company"},
        {"version": "1"},
        {"data": ["not", "a", "mapping"]},
        {"extra": "field"},
    ],
)
def test_malformed_records_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        canonical_bytes(make_record(**changes))


def test_a_missing_field_is_refused() -> None:
    record = make_record()
    del record["expires_on"]
    with pytest.raises(ValueError, match="expires_on"):
        canonical_bytes(record)


# ---------------------------------------------------------------- signing and verifying


def test_sign_and_verify_round_trip(ring: KeyRing) -> None:
    record = make_record()
    signed = sign_record(record, ring)
    assert signed.algorithm == ring.algorithm
    assert len(signed.signature) == 64
    assert verify_record(record, signed, ring.public_keys()) is Verdict.VALID


def test_a_changed_field_is_tampered(ring: KeyRing) -> None:
    signed = sign_record(make_record(), ring)
    forged = make_record(data={**FACE, "注册资本": "伍仟万元整"})
    assert verify_record(forged, signed, ring.public_keys()) is Verdict.TAMPERED


def test_a_signature_by_a_key_not_published_is_an_unknown_key(
    ring: KeyRing, tmp_path: Path
) -> None:
    other = KeyRing(tmp_path / "other", ring.algorithm)
    other.generate()
    signed = sign_record(make_record(), other)
    assert verify_record(make_record(), signed, ring.public_keys()) is Verdict.UNKNOWN_KEY


def test_a_forger_reusing_a_published_key_id_is_tampered(ring: KeyRing) -> None:
    published = ring.active_signer()
    impostor_class = Ed25519Signer if ring.algorithm == ED25519 else SM2Signer
    impostor = impostor_class.generate(published.key_id)
    record = make_record(holder_name="冒名顶替有限公司")
    signature = impostor.sign(canonical_bytes(record))
    signed = SignedRecord(
        published.key_id, ring.algorithm, base64.b64encode(signature).decode("ascii")
    )
    assert verify_record(record, signed, ring.public_keys()) is Verdict.TAMPERED


def test_a_payload_naming_another_algorithm_than_its_key_is_tampered(ring: KeyRing) -> None:
    signed = sign_record(make_record(), ring)
    other = SM2 if ring.algorithm == ED25519 else ED25519
    relabelled = SignedRecord(signed.key_id, other, signed.signature_b64)
    assert verify_record(make_record(), relabelled, ring.public_keys()) is Verdict.TAMPERED


def test_sm2_signatures_are_randomised_but_both_verify(tmp_path: Path) -> None:
    signer = SM2Signer.generate("sm2-test")
    first, second = signer.sign(b"licence"), signer.sign(b"licence")
    assert first != second
    for signature in (first, second):
        assert verify_signature(SM2, signer.public_key_text(), b"licence", signature)
    assert not verify_signature(SM2, signer.public_key_text(), b"licencf", first)


def test_sm2_keys_whose_x_starts_with_0_or_4_work() -> None:
    # gmssl's constructor would strip those digits along with the "04" prefix.
    scalar = next(d for d in range(1, 200) if SM2Signer("probe", d).public_key_text()[2] in "04")
    signer = SM2Signer("sm2-edge", scalar)
    assert verify_signature(SM2, signer.public_key_text(), b"m", signer.sign(b"m"))


@pytest.mark.parametrize(
    ("algorithm", "public_key", "signature"),
    [
        (ED25519, "not a PEM", bytes(64)),
        (ED25519, None, b""),
        (ED25519, None, bytes(64)),
        (SM2, "04" + "00" * 64, bytes(64)),  # not a point on the curve
        (SM2, None, bytes(64)),  # r = s = 0
        (SM2, None, b"\xff" * 64),  # r, s >= n
        (SM2, None, b"short"),
        ("rsa", None, bytes(64)),
    ],
)
def test_bad_keys_and_signatures_are_false_never_an_exception(
    algorithm: str, public_key: str | None, signature: bytes
) -> None:
    if public_key is None:
        signer_class = SM2Signer if algorithm == SM2 else Ed25519Signer
        public_key = signer_class.generate("k").public_key_text()
    assert verify_signature(algorithm, public_key, b"message", signature) is False


# ---------------------------------------------------------------- SM2 interoperability


def _openssl_has_sm2() -> bool:
    if shutil.which("openssl") is None:
        return False
    listed = subprocess.run(
        ["openssl", "list", "-public-key-algorithms"], capture_output=True, text=True, check=False
    )
    return "SM2" in listed.stdout


needs_openssl_sm2 = pytest.mark.skipif(not _openssl_has_sm2(), reason="OpenSSL without SM2")
DISTID = "distid:1234567812345678"  # the GM/T 0009 default user id


def _sm2_public_pem(point_hex: str) -> str:
    algorithm = DerSequence([DerObjectId("1.2.840.10045.2.1"), DerObjectId("1.2.156.10197.1.301")])
    spki = DerSequence([algorithm, DerBitString(bytes.fromhex(point_hex))]).encode()
    body = base64.encodebytes(spki).decode("ascii")
    return f"-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n"


@needs_openssl_sm2
def test_openssl_accepts_our_sm2_signature(tmp_path: Path) -> None:
    signer = SM2Signer.generate("sm2-interop")
    message = "电子证照".encode()
    signature = signer.sign(message)
    # SM2 signatures travel as the same DER SEQUENCE of two INTEGERs as ECDSA ones.
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    (tmp_path / "pub.pem").write_text(_sm2_public_pem(signer.public_key_text()))
    (tmp_path / "msg").write_bytes(message)
    (tmp_path / "sig.der").write_bytes(der)
    result = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg",
         "-sigfile", "sig.der", "-digest", "sm3", "-pkeyopt", DISTID],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@needs_openssl_sm2
def test_we_accept_an_openssl_sm2_signature(tmp_path: Path) -> None:
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "msg").write_bytes("电子证照".encode())
    openssl("genpkey", "-algorithm", "SM2", "-out", "key.pem")
    openssl("pkey", "-in", "key.pem", "-pubout", "-outform", "DER", "-out", "pub.der")
    openssl("pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "msg", "-out", "sig.der",
            "-digest", "sm3", "-pkeyopt", DISTID)  # fmt: skip
    point = (tmp_path / "pub.der").read_bytes()[-65:].hex()  # the uncompressed point ends the SPKI
    r, s = decode_dss_signature((tmp_path / "sig.der").read_bytes())
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert verify_signature(SM2, point, "电子证照".encode(), signature)
    assert not verify_signature(SM2, point, "电子证件".encode(), signature)


# ---------------------------------------------------------------- key ring


def test_generated_keys_are_private_files_named_by_key_id(tmp_path: Path) -> None:
    keyring = KeyRing(tmp_path / "keys", ED25519)
    signer = keyring.generate()
    assert re.fullmatch(r"ed25519-[0-9]{8}-[0-9a-f]{6}", signer.key_id)
    path = tmp_path / "keys" / f"{signer.key_id}.ed25519.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_no_key_is_an_error_unless_creation_is_allowed(tmp_path: Path) -> None:
    keyring = KeyRing(tmp_path / "keys", SM2)
    with pytest.raises(KeyRingError, match="No sm2 licence-signing key"):
        keyring.ensure_active_key(create=False)
    created = keyring.ensure_active_key(create=True)
    assert keyring.ensure_active_key(create=False).key_id == created.key_id
    assert len(list((tmp_path / "keys").iterdir())) == 1


def test_rotation_new_records_use_the_new_key_old_records_still_verify(ring: KeyRing) -> None:
    old_record = make_record()
    old_signed = sign_record(old_record, ring)
    new_key = ring.generate()
    new_record = make_record(version=2, holder_name="长沙市岳麓区湘江源餐饮集团有限公司")
    new_signed = sign_record(new_record, ring)
    assert new_signed.key_id == new_key.key_id != old_signed.key_id
    published = ring.public_keys()
    assert [key["key_id"] for key in published] == [old_signed.key_id, new_key.key_id]
    assert verify_record(old_record, old_signed, published) is Verdict.VALID
    assert verify_record(new_record, new_signed, published) is Verdict.VALID


def test_keys_survive_a_new_key_ring_on_the_same_directory(ring: KeyRing) -> None:
    signed = sign_record(make_record(), ring)
    reopened = KeyRing(ring.directory, ring.algorithm)
    assert reopened.public_keys() == ring.public_keys()
    assert verify_record(make_record(), signed, reopened.public_keys()) is Verdict.VALID
    assert reopened.active_signer().key_id == signed.key_id


def test_the_configured_algorithm_picks_the_signer(tmp_path: Path) -> None:
    KeyRing(tmp_path, ED25519).generate()
    KeyRing(tmp_path, SM2).generate()
    assert KeyRing(tmp_path, ED25519).active_signer().algorithm == ED25519
    assert KeyRing(tmp_path, SM2).active_signer().algorithm == SM2
    assert {key["algorithm"] for key in KeyRing(tmp_path, SM2).public_keys()} == {ED25519, SM2}


def test_public_keys_hold_no_private_material(ring: KeyRing) -> None:
    (key,) = ring.public_keys()
    assert set(key) == {"key_id", "algorithm", "public_key", "created"}
    assert "PRIVATE" not in key["public_key"]
    datetime.datetime.fromisoformat(key["created"])


def test_a_key_file_whose_name_disagrees_with_its_content_is_refused(tmp_path: Path) -> None:
    keyring = KeyRing(tmp_path, ED25519)
    signer = keyring.generate()
    (tmp_path / f"{signer.key_id}.ed25519.key").rename(tmp_path / "ed25519-renamed.ed25519.key")
    with pytest.raises(KeyRingError, match="does not match"):
        keyring.active_signer()


def test_algorithm_and_directory_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TONGBAN_KEY_DIR", str(tmp_path))
    monkeypatch.setenv("TONGBAN_LICENCE_ALGORITHM", "SM2")
    keyring = KeyRing()
    assert keyring.directory == tmp_path / "licences"
    assert keyring.algorithm == SM2
    monkeypatch.setenv("TONGBAN_LICENCE_ALGORITHM", "rsa")
    with pytest.raises(KeyRingError, match="not supported"):
        configured_algorithm()


def test_the_default_key_directory_is_ignored_by_git() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "-q", "var/keys/licences/x.ed25519.key"], cwd=REPO, check=False
    )
    assert result.returncode == 0


# ---------------------------------------------------------------- payload


def test_payload_round_trip(ring: KeyRing) -> None:
    record = make_record(expires_on=datetime.date(2031, 11, 20))
    signed = sign_record(record, ring)
    payload = encode_payload(record, signed)
    assert payload.startswith(f"TB1.{ring.algorithm}.{signed.key_id}.")
    decoded, decoded_signed = decode_payload(payload)
    assert decoded_signed == signed
    assert decoded["expires_on"] == "2031-11-20"
    assert verify_record(decoded, decoded_signed, ring.public_keys()) is Verdict.VALID


def test_a_payload_fits_a_qr_code(ring: KeyRing) -> None:
    """Ten face fields of Chinese text, as on a business licence, fit in 1 200 characters.

    Measured: 1 158 canonical bytes → 1 075 characters (ed25519) / 1 067 (sm2); with a
    48-character verify URL in front that is a version 27 QR code at error level M. Chinese
    deflates poorly (three UTF-8 bytes per character, few repeats), so long 经营范围 texts
    are what pushes a payload up.
    """
    record = make_record()
    payload = encode_payload(record, sign_record(record, ring))
    assert len(payload) <= 1200
    assert len(canonical_bytes(record)) > len(payload)  # compression pays for base64


def _tamper(payload: str, change: Callable[[dict[str, Any]], None]) -> str:
    """Re-encode the payload's record after `change`, keeping the original signature."""
    record, signed = decode_payload(payload)
    change(record)
    return encode_payload(record, signed)


def test_a_tampered_payload_is_tampered(ring: KeyRing) -> None:
    payload = encode_payload(make_record(), sign_record(make_record(), ring))
    forged = _tamper(payload, lambda record: record.update(expires_on="2099-12-31"))
    record, signed = decode_payload(forged)
    assert verify_record(record, signed, ring.public_keys()) is Verdict.TAMPERED


def _deflate(data: bytes) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = compressor.compress(data) + compressor.flush()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


FLOAT_RECORD = _deflate(json.dumps({"version": 1.0}).encode())
PARTIAL_RECORD = _deflate(json.dumps({"version": 1}).encode())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "TB1"),
        ("https://example.org/", "TB1"),
        ("TB1.ed25519.k1.AAAA", "5段"),
        ("TB1.rsa.k1.AAAA.AAAA", "签名算法"),
        ("TB1.ed25519.K 1.AAAA.AAAA", "密钥编号"),
        ("TB1.ed25519.k1.AA+A.AAAA", "无效字符"),
        ("TB1.ed25519.k1.A.AAAA", "无法解码"),
        ("TB1.ed25519.k1.____.AAAA", "无法解压"),
        ("TB1.ed25519.k1.AAAA.AAAA", "不完整"),
        (f"TB1.ed25519.k1.{_deflate(bytes(MAX_RECORD_BYTES + 1))}.AAAA", "过大"),
        (f"TB1.ed25519.k1.{_deflate(b'[1, 2]')}.AAAA", "不是有效的证照记录"),
        (f"TB1.ed25519.k1.{FLOAT_RECORD}.AAAA", "不是有效的证照记录"),
        (f"TB1.ed25519.k1.{PARTIAL_RECORD}.AAAA", "缺少字段"),
    ],
)
def test_garbage_payloads_are_refused_in_chinese(text: str, reason: str) -> None:
    with pytest.raises(InvalidPayload, match=reason):
        decode_payload(text)


# ---------------------------------------------------------------- offline verifier (CLI)


def _verify_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # No DJANGO_SETTINGS_MODULE: the verifier must work with no project configuration.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "TONGBAN"))}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "tongban.verify", *args],
        cwd=REPO, env=env, capture_output=True, text=True, encoding="utf-8", timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def keys_file(ring: KeyRing, tmp_path: Path) -> Path:
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": ring.public_keys()}), encoding="utf-8")
    return path


def test_cli_accepts_a_valid_payload(ring: KeyRing, keys_file: Path) -> None:
    payload = encode_payload(make_record(), sign_record(make_record(), ring))
    result = _verify_cli(payload, "--keys", str(keys_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "核验结果：有效签名" in result.stdout
    assert make_record()["identifier"] in result.stdout
    assert HOLDER_USCC[:4] + "*" * 10 + HOLDER_USCC[-4:] in result.stdout
    assert HOLDER_USCC not in result.stdout
    assert "长沙市岳麓区市场监督管理局" in result.stdout


def test_cli_rejects_a_tampered_payload(ring: KeyRing, keys_file: Path) -> None:
    payload = encode_payload(make_record(), sign_record(make_record(), ring))
    forged = _tamper(payload, lambda record: record.update(holder_name="冒名顶替有限公司"))
    result = _verify_cli(forged, "--keys", str(keys_file))
    assert result.returncode == 1
    assert "核验结果：数据被篡改" in result.stdout
    assert "不可信" in result.stdout


@pytest.mark.parametrize("ring", [ED25519], indirect=True)
def test_cli_unknown_key_and_unreadable_payload(
    ring: KeyRing, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tongban.verify import main

    keys = tmp_path / "bare-list.json"
    keys.write_text(json.dumps(ring.public_keys()), encoding="utf-8")  # a bare list works too
    stranger = KeyRing(tmp_path / "stranger", ED25519)
    stranger.generate()
    payload = encode_payload(make_record(), sign_record(make_record(), stranger))
    assert main([payload, "--keys", str(keys)]) == 3
    assert "核验结果：未知密钥" in capsys.readouterr().out
    assert main(["TB1.garbage", "--keys", str(keys)]) == 2
    assert "核验结果：无法解析" in capsys.readouterr().out
    assert main([payload, "--keys", str(tmp_path / "missing.json")]) == 2
    assert "无法读取公钥列表" in capsys.readouterr().out
    own = encode_payload(make_record(), sign_record(make_record(), ring))
    assert main(["https://gov.example/licences/verify#" + own, "--keys", str(keys)]) == 0
