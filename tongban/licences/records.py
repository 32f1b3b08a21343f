"""The signed record of a licence and its verification against the published keys.

The record (canonical.py) is what the signature covers and what the QR payload carries; the
database row keeps the signature, so an edit of the row behind the platform's back shows up
as 数据被篡改 on the verify page.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from .models import Licence, LicenceStatus
from .payload import encode_payload
from .signing import KeyRing, SignedRecord, Verdict, sign_record, verify_record


def published_keys() -> KeyRing:
    """The deployment's key ring (TONGBAN_LICENCE_KEY_DIR, else <TONGBAN_KEY_DIR>/licences),
    as verification reads it: never creates a key, so checking works without a signing key."""
    directory = getattr(settings, "TONGBAN_LICENCE_KEY_DIR", "")
    return KeyRing(Path(directory) if directory else None)


def licence_keyring() -> KeyRing:
    """The key ring for signing: a demo or a DEBUG run makes its first key itself, a
    production one must be given keys (KeyRingError otherwise)."""
    ring = published_keys()
    ring.ensure_active_key(create=settings.INSECURE_DEFAULTS_ALLOWED)
    return ring


def record_of(licence: Licence) -> dict[str, Any]:
    return {
        "identifier": licence.identifier,
        "type_code": licence.licence_type.code,
        "type_name": licence.licence_type.name,
        "holder_name": licence.holder_name,
        "holder_id": licence.holder_id,
        "holder_kind": licence.holder_kind,
        "issuer_name": licence.issuer_name,
        "issuer_code": licence.issuer_code,
        "issued_on": licence.issued_on,
        "expires_on": licence.expires_on,
        "data": dict(licence.data),
        "version": licence.version,
    }


def signed_of(licence: Licence) -> SignedRecord:
    return SignedRecord(licence.key_id, licence.algorithm, licence.signature)


def sign(licence: Licence) -> None:
    """Sign the licence's record with the active key (fills key_id, algorithm, signature)."""
    signed = sign_record(record_of(licence), licence_keyring())
    licence.key_id, licence.algorithm, licence.signature = (
        signed.key_id,
        signed.algorithm,
        signed.signature_b64,
    )


def payload_of(licence: Licence) -> str:
    return encode_payload(record_of(licence), signed_of(licence))


class CheckStatus:
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    NOT_FOUND = "not_found"
    TAMPERED = "tampered"


CHECK_LABELS = {
    CheckStatus.VALID: "有效",
    CheckStatus.REVOKED: "已撤销",
    CheckStatus.EXPIRED: "已过期",
    CheckStatus.SUPERSEDED: "已被新版本替代",
    CheckStatus.NOT_FOUND: "查无此证",
    CheckStatus.TAMPERED: "数据被篡改",
}


@dataclass
class LicenceCheck:
    identifier: str
    status: str
    licence: Licence | None = None
    newest: str = ""  # the valid version, when this one was superseded

    @property
    def label(self) -> str:
        return CHECK_LABELS[self.status]

    def public(self) -> dict[str, Any]:
        """What anyone may see: no holder ID, no face data (they may be personal)."""
        result: dict[str, Any] = {
            "identifier": self.identifier,
            "status": self.status,
            "status_label": self.label,
        }
        licence = self.licence
        if licence is not None and self.status != CheckStatus.TAMPERED:
            result.update(
                {
                    "type_name": licence.licence_type.name,
                    "type_code": licence.licence_type.code,
                    "issuer_name": licence.issuer_name,
                    "issuer_code": licence.issuer_code,
                    "issued_on": licence.issued_on.isoformat(),
                    "expires_on": licence.expires_on.isoformat() if licence.expires_on else None,
                    "version": licence.version,
                    "holder_masked": licence.holder_id_masked,
                    "key_id": licence.key_id,
                    "status_changed_at": (
                        licence.status_changed_at.isoformat() if licence.status_changed_at else None
                    ),
                    "status_reason": licence.status_reason
                    if self.status == CheckStatus.REVOKED
                    else "",
                }
            )
        if self.newest:
            result["newest"] = self.newest
        return result


def check_licence(identifier: str, day: datetime.date | None = None) -> LicenceCheck:
    """The licence's status as the public verify page and API give it."""
    identifier = identifier.strip().upper()
    licence = Licence.objects.select_related("licence_type").filter(identifier=identifier).first()
    if licence is None:
        return LicenceCheck(identifier, CheckStatus.NOT_FOUND)
    keys = published_keys().public_keys()
    if verify_record(record_of(licence), signed_of(licence), keys) != Verdict.VALID:
        return LicenceCheck(identifier, CheckStatus.TAMPERED, licence)
    status = licence.status_on(day or timezone.localdate())
    newest = ""
    if status == LicenceStatus.SUPERSEDED:
        newest = (
            Licence.objects.filter(base=licence.base, status=LicenceStatus.VALID)
            .values_list("identifier", flat=True)
            .first()
            or ""
        )
    return LicenceCheck(identifier, str(status), licence, newest)
