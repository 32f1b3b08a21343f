"""Reads for the licence pages and API: whose licences these are, who may open one, the
verify links printed in QR codes, and what a licence's PDF shows.

Shared by views.py and api.py so the web wallet and the API answer the same question the
same way. No writes here: revoking and correcting are in actions.py.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from tongban.core.fieldcrypto import lookup_digest
from tongban.core.models import User

from .actions import is_issuer_staff
from .licence_pdf import LicenceDocument
from .models import Licence, LicenceStatus, LicenceUse

if TYPE_CHECKING:
    from tongban.cases.models import Case

from .records import CHECK_LABELS, CheckStatus, payload_of

# Bootstrap classes per verdict: each outcome has its own colour, so a glance is enough.
VERDICT_CLASSES = {
    CheckStatus.VALID: "text-bg-success",
    CheckStatus.REVOKED: "text-bg-danger",
    CheckStatus.EXPIRED: "text-bg-secondary",
    CheckStatus.SUPERSEDED: "text-bg-warning",
    CheckStatus.NOT_FOUND: "bg-white text-secondary border border-2 border-secondary",
    CheckStatus.TAMPERED: "text-bg-dark border border-4 border-danger",
}


def verify_url(identifier: str) -> str:
    """The public verify page of one licence version, as printed under its QR code."""
    return f"{settings.TONGBAN_PUBLIC_URL}/verify/{identifier}"


def qr_text(licence: Licence) -> str:
    """The QR text: the verify URL, then after `#` the signed payload. Browsers never send
    the fragment to the server, and an offline checker (`python -m tongban.verify`) reads it."""
    return f"{verify_url(licence.identifier)}#{payload_of(licence)}"


def holder_digests(user: User) -> set[str]:
    """The digests a user's licences are filed under: their ID number and, for a company
    account, its 统一社会信用代码."""
    return {d for d in (user.id_number_digest, lookup_digest(user.uscc or "")) if d}


def owned_licences(user: User) -> QuerySet[Licence]:
    """Licences held by this user: issued to the account, or to its ID number / USCC
    (a licence issued at a window before the account existed still shows up)."""
    owned = Q(holder_user=user)
    digests = holder_digests(user)
    if digests:
        owned |= Q(holder_id_digest__in=digests)
    return Licence.objects.filter(owned)


def wallet_licences(user: User, day: datetime.date) -> list[Licence]:
    """The wallet: valid ones first, newest first; types and uses loaded in two queries."""
    uses = LicenceUse.objects.select_related("department", "application").order_by(
        "-used_at", "-pk"
    )
    licences = list(
        owned_licences(user)
        .select_related("licence_type")
        .prefetch_related(Prefetch("uses", queryset=uses))
    )
    licences.sort(key=lambda licence: (-licence.issued_on.toordinal(), -licence.pk))
    licences.sort(key=lambda licence: licence.status_on(day) != LicenceStatus.VALID)
    return licences


def is_owner(user: User, licence: Licence) -> bool:
    return licence.holder_user_id == user.pk or licence.holder_id_digest in holder_digests(user)


def may_open(user: User, licence: Licence) -> bool:
    return is_owner(user, licence) or is_issuer_staff(user, licence)


def face_fields(licence: Licence) -> list[tuple[str, str]]:
    """The face data in the order the licence type lists its fields, then any others."""
    data = licence.data or {}
    labels = [str(field.get("label", "")) for field in licence.licence_type.fields]
    ordered = [(label, str(data[label])) for label in labels if label in data]
    listed = set(labels)
    ordered += [(str(key), str(value)) for key, value in data.items() if key not in listed]
    return ordered


def licence_document(licence: Licence, day: datetime.date) -> LicenceDocument:
    return LicenceDocument(
        identifier=licence.identifier,
        type_name=licence.licence_type.name,
        holder_name=licence.holder_name,
        holder_id_masked=licence.holder_id_masked,
        issuer_name=licence.issuer_name,
        issued_on=licence.issued_on,
        expires_on=licence.expires_on,
        fields=face_fields(licence),
        status_label=CHECK_LABELS[licence.status_on(day)],
        version=licence.version,
        qr_text=qr_text(licence),
        verify_url=verify_url(licence.identifier),
        key_id=licence.key_id,
    )


class StatusBadge:
    """A licence's status as templates show it: its Chinese label and badge colour."""

    status: str

    @property
    def status_label(self) -> str:
        return CHECK_LABELS[self.status]

    @property
    def badge_class(self) -> str:
        return VERDICT_CLASSES[self.status]


@dataclass(frozen=True)
class IssuedLicence(StatusBadge):
    """A licence on its source case's staff page: the issuer manages it, others verify it."""

    licence: Licence
    status: str
    manageable: bool


def issued_licences(user: User, case: Case) -> list[IssuedLicence]:
    """Every version the case issued, newest first, in one query."""
    today = timezone.localdate()
    licences = Licence.objects.filter(case=case).select_related("licence_type")
    return [
        IssuedLicence(licence, licence.status_on(today), is_issuer_staff(user, licence))
        for licence in licences.order_by("-version", "-pk")
    ]
