"""Signing licence records, with named keys so keys can rotate.

Two algorithms:
- "ed25519" (default) via `cryptography`: fast, small keys, deterministic signatures.
- "sm2" via the pure-Python `gmssl` package: SM2 with SM3 and the default user id
  1234567812345678 (GM/T 0009), for deployments that must use the national algorithms.
  Signatures are the fixed-length 64-byte r‖s form (not DER) to keep the QR payload short.

Every signature names its key (`key_id`). The key ring keeps every key it ever generated:
rotation adds a newer key that signs from then on, while licences signed by older keys still
verify against their public keys, which `KeyRing.public_keys()` publishes.

Key files live in `<TONGBAN_KEY_DIR>/licences` (the same key directory as the personal-data
keys, see tongban.core.fieldcrypto), one per key, named `<key_id>.<algorithm>.key`, created
with mode 0600 and holding JSON: key_id, algorithm, created (ISO date-time, UTC) and
private_key (PKCS #8 PEM for ed25519, the 64-hex private scalar for sm2). The created time is
stored rather than taken from the file's mtime because a backup restore resets mtimes, and the
newest key decides which key signs.

Verification (`verify_signature`, `verify_record`) imports neither Django nor the key ring's
settings lookup, so the offline verifier runs without a project configuration.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import enum
import json
import logging
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from gmssl import sm2

from tongban.licences.canonical import canonical_bytes

logger = logging.getLogger(__name__)

ED25519 = "ed25519"
SM2 = "sm2"
ALGORITHMS = (ED25519, SM2)
DEFAULT_ALGORITHM = ED25519
KEY_ID_SHAPE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_KEY_SUFFIX = ".key"


class Signer(Protocol):
    algorithm: str
    key_id: str

    def sign(self, message: bytes) -> bytes: ...

    def public_key_text(self) -> str: ...


class _StoredSigner(Signer, Protocol):
    """What the key ring needs on top of Signer: writing the private key to a file."""

    def private_key_text(self) -> str: ...


class Ed25519Signer:
    algorithm = ED25519

    def __init__(self, key_id: str, private_key: Ed25519PrivateKey) -> None:
        self.key_id = key_id
        self._private_key = private_key

    @classmethod
    def generate(cls, key_id: str) -> Ed25519Signer:
        return cls(key_id, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_text(cls, key_id: str, text: str) -> Ed25519Signer:
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"key {key_id} is not an Ed25519 private key")
        return cls(key_id, key)

    def sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message)

    def public_key_text(self) -> str:
        return (
            self._private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )

    def private_key_text(self) -> str:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")


# The SM2 recommended curve (GM/T 0003.5), as gmssl tabulates it.
_SM2_CURVE = sm2.default_ecc_table
_SM2_N = int(_SM2_CURVE["n"], 16)
_SM2_P = int(_SM2_CURVE["p"], 16)
_SM2_A = int(_SM2_CURVE["a"], 16)
_SM2_B = int(_SM2_CURVE["b"], 16)
_SM2_SIGNATURE_BYTES = 64


def _sm2(private_hex: str, public_xy_hex: str) -> Any:
    """A gmssl CryptSM2 holding exactly the given public point.

    gmssl's constructor strips a leading "04" with `str.lstrip("04")`, which also eats any
    0 or 4 digits at the start of the x coordinate; setting the attribute afterwards avoids it.
    """
    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    crypt.public_key = public_xy_hex
    return crypt


class SM2Signer:
    algorithm = SM2

    def __init__(self, key_id: str, private_scalar: int) -> None:
        if not 1 <= private_scalar <= _SM2_N - 2:
            raise ValueError(f"key {key_id}: SM2 private key out of range")
        self.key_id = key_id
        self._private_hex = f"{private_scalar:064x}"
        # d·G; gmssl has no public helper for it, only this scalar multiplication.
        point = _sm2(self._private_hex, "")._kg(private_scalar, _SM2_CURVE["g"])
        self._public_xy_hex: str = point

    @classmethod
    def generate(cls, key_id: str) -> SM2Signer:
        return cls(key_id, secrets.randbelow(_SM2_N - 2) + 1)

    @classmethod
    def from_private_text(cls, key_id: str, text: str) -> SM2Signer:
        if not re.fullmatch(r"[0-9a-fA-F]{64}", text.strip()):
            raise ValueError(f"key {key_id} is not a 64-hex SM2 private key")
        return cls(key_id, int(text.strip(), 16))

    def sign(self, message: bytes) -> bytes:
        crypt = _sm2(self._private_hex, self._public_xy_hex)
        while True:
            # gmssl's own nonce comes from `random` (not a CSPRNG); a predictable nonce gives
            # away the private key, so pass one from `secrets`.
            nonce = f"{secrets.randbelow(_SM2_N - 1) + 1:064x}"
            signature = crypt.sign_with_sm3(message, nonce)
            if signature:  # None when r or s came out 0: retry with another nonce
                return bytes.fromhex(signature)

    def public_key_text(self) -> str:
        return "04" + self._public_xy_hex

    def private_key_text(self) -> str:
        return self._private_hex


_SIGNER_CLASSES: dict[str, type[Ed25519Signer] | type[SM2Signer]] = {
    ED25519: Ed25519Signer,
    SM2: SM2Signer,
}


def verify_signature(
    algorithm: str, public_key_text: str, message: bytes, signature: bytes
) -> bool:
    """True only for a good signature; any malformed key or signature gives False."""
    try:
        if algorithm == ED25519:
            return _verify_ed25519(public_key_text, message, signature)
        if algorithm == SM2:
            return _verify_sm2(public_key_text, message, signature)
    except Exception:  # a verifier reads untrusted input: no exception may escape as "valid"
        logger.debug("signature check failed with an exception", exc_info=True)
    return False


def _verify_ed25519(public_key_text: str, message: bytes, signature: bytes) -> bool:
    key = serialization.load_pem_public_key(public_key_text.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _verify_sm2(public_key_text: str, message: bytes, signature: bytes) -> bool:
    point = public_key_text.strip().lower()
    if not re.fullmatch(r"04[0-9a-f]{128}", point) or not _on_sm2_curve(point[2:]):
        return False
    if len(signature) != _SM2_SIGNATURE_BYTES:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    # gmssl does not check the ranges GM/T 0003.2 requires before verifying.
    if not (1 <= r < _SM2_N and 1 <= s < _SM2_N):
        return False
    return bool(_sm2("", point[2:]).verify_with_sm3(signature.hex(), message))


def _on_sm2_curve(xy_hex: str) -> bool:
    x, y = int(xy_hex[:64], 16), int(xy_hex[64:], 16)
    return x < _SM2_P and y < _SM2_P and (y * y - x**3 - _SM2_A * x - _SM2_B) % _SM2_P == 0


class KeyRingError(RuntimeError):
    """The key ring cannot give a signing key (missing, unreadable, misnamed)."""


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    algorithm: str
    created: datetime.datetime
    signer: _StoredSigner


def default_key_dir() -> Path:
    """<TONGBAN_KEY_DIR>/licences, resolved as the personal-data keys are (needs Django)."""
    from tongban.core.fieldcrypto import key_dir

    return key_dir() / "licences"


def configured_algorithm() -> str:
    """TONGBAN_LICENCE_ALGORITHM from the environment, else the Django setting, else ed25519."""
    algorithm = os.environ.get("TONGBAN_LICENCE_ALGORITHM", "")
    if not algorithm:
        from django.conf import settings

        algorithm = getattr(settings, "TONGBAN_LICENCE_ALGORITHM", "") or DEFAULT_ALGORITHM
    algorithm = algorithm.strip().lower()
    if algorithm not in ALGORITHMS:
        raise KeyRingError(
            f"TONGBAN_LICENCE_ALGORITHM={algorithm!r} is not supported; use one of {ALGORITHMS}."
        )
    return algorithm


class KeyRing:
    """Every licence-signing key in one directory; the newest key of the algorithm signs."""

    def __init__(self, directory: Path | None = None, algorithm: str | None = None) -> None:
        self.directory = directory if directory is not None else default_key_dir()
        self.algorithm = algorithm if algorithm is not None else configured_algorithm()
        if self.algorithm not in ALGORITHMS:
            raise KeyRingError(f"unsupported licence signing algorithm {self.algorithm!r}")

    def keys(self) -> list[StoredKey]:
        """All keys, oldest first. Read on every call so a rotation by another process shows."""
        if not self.directory.is_dir():
            return []
        found = [
            self._load(path) for path in self.directory.iterdir() if path.name.endswith(_KEY_SUFFIX)
        ]
        return sorted(found, key=lambda key: (key.created, key.key_id))

    def active_signer(self) -> Signer:
        candidates = [key for key in self.keys() if key.algorithm == self.algorithm]
        if not candidates:
            raise KeyRingError(
                f"No {self.algorithm} licence-signing key in {self.directory}. Generate one with "
                "KeyRing.generate() (or ensure_active_key(create=True) in a demo)."
            )
        return candidates[-1].signer

    def ensure_active_key(self, *, create: bool) -> Signer:
        """The active signer; with create=True (demo, tests) a first key is made if none exists."""
        try:
            return self.active_signer()
        except KeyRingError:
            if not create:
                raise
        return self.generate()

    def generate(self, algorithm: str | None = None) -> Signer:
        """A new key, which becomes the active one for its algorithm. Old keys stay."""
        algorithm = algorithm or self.algorithm
        if algorithm not in ALGORITHMS:
            raise KeyRingError(f"unsupported licence signing algorithm {algorithm!r}")
        created = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        # The newest key signs; a clock set back must not make the new key look older.
        existing = self.keys()
        if existing and existing[-1].created >= created:
            created = existing[-1].created + datetime.timedelta(seconds=1)
        key_id = f"{algorithm}-{created:%Y%m%d}-{secrets.token_hex(3)}"
        signer = _SIGNER_CLASSES[algorithm].generate(key_id)
        self._write(signer, created)
        return signer

    def public_keys(self) -> list[dict[str, str]]:
        """The published list (future GET /api/v1/licences/keys): every key, oldest first."""
        return [
            {
                "key_id": key.key_id,
                "algorithm": key.algorithm,
                "public_key": key.signer.public_key_text(),
                "created": key.created.isoformat(),
            }
            for key in self.keys()
        ]

    def _write(self, signer: _StoredSigner, created: datetime.datetime) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.directory / f"{signer.key_id}.{signer.algorithm}{_KEY_SUFFIX}"
        content = json.dumps(
            {
                "key_id": signer.key_id,
                "algorithm": signer.algorithm,
                "created": created.isoformat(),
                "private_key": signer.private_key_text(),
            },
            indent=2,
        )
        # Owner-only from the first byte; O_EXCL so two processes never share a file.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content + "\n")

    def _load(self, path: Path) -> StoredKey:
        stem = path.name[: -len(_KEY_SUFFIX)]
        key_id, _, algorithm = stem.rpartition(".")
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
            if content["key_id"] != key_id or content["algorithm"] != algorithm:
                raise ValueError("the file name does not match the key_id/algorithm inside")
            if not KEY_ID_SHAPE.fullmatch(key_id) or algorithm not in ALGORITHMS:
                raise ValueError("key id or algorithm not recognised")
            created = datetime.datetime.fromisoformat(content["created"])
            signer = _SIGNER_CLASSES[algorithm].from_private_text(key_id, content["private_key"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KeyRingError(f"Cannot read licence key file {path}: {exc}") from exc
        if path.stat().st_mode & 0o077:
            logger.warning("Licence key file %s is readable by other users; chmod 600 it.", path)
        return StoredKey(key_id, algorithm, created, signer)


@dataclass(frozen=True)
class SignedRecord:
    key_id: str
    algorithm: str
    signature_b64: str  # standard base64 of the raw signature bytes

    @property
    def signature(self) -> bytes:
        return base64.b64decode(self.signature_b64, validate=True)


class Verdict(enum.Enum):
    VALID = "valid"
    TAMPERED = "tampered"  # the signature does not match the data (or the key id's key)
    UNKNOWN_KEY = "unknown_key"  # no published key has this key id

    @property
    def label(self) -> str:
        return _VERDICT_LABELS[self]


_VERDICT_LABELS = {
    Verdict.VALID: "有效签名",
    Verdict.TAMPERED: "数据被篡改",
    Verdict.UNKNOWN_KEY: "未知密钥",
}


def sign_record(record: Mapping[str, Any], keyring: KeyRing) -> SignedRecord:
    signer = keyring.active_signer()
    signature = signer.sign(canonical_bytes(record))
    return SignedRecord(
        key_id=signer.key_id,
        algorithm=signer.algorithm,
        signature_b64=base64.b64encode(signature).decode("ascii"),
    )


def verify_record(
    record: Mapping[str, Any], signed: SignedRecord, public_keys: Iterable[Mapping[str, Any]]
) -> Verdict:
    """Check `signed` against the published keys (the `public_keys()` list)."""
    key = next((key for key in public_keys if key.get("key_id") == signed.key_id), None)
    if key is None:
        return Verdict.UNKNOWN_KEY
    # A payload that names another algorithm than its key has was altered.
    if key.get("algorithm") != signed.algorithm:
        return Verdict.TAMPERED
    try:
        message = canonical_bytes(record)
        signature = signed.signature
    except (TypeError, ValueError, binascii.Error):
        return Verdict.TAMPERED
    if verify_signature(signed.algorithm, str(key.get("public_key", "")), message, signature):
        return Verdict.VALID
    return Verdict.TAMPERED
