"""Licence pages: the public verify page (no login) and the holder's wallet (我的证照) with
PDF download. Views parse, authorise and call records.py / wallet.py; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tongban.cases.views_citizen import applicant, applicant_view
from tongban.core.models import User

from .licence_pdf import render_licence_pdf
from .models import Licence, LicenceUse
from .qr import qr_svg
from .records import CheckStatus, check_licence
from .wallet import (
    VERDICT_CLASSES,
    StatusBadge,
    licence_document,
    may_open,
    qr_text,
    wallet_licences,
)

VERDICT_NOTES = {
    CheckStatus.VALID: "该证照由颁发机构签发，签名核验通过，当前有效。",
    CheckStatus.REVOKED: "该证照已被颁发机构撤销，不再具有证明效力。",
    CheckStatus.EXPIRED: "该证照已超过有效期限，不再具有证明效力。",
    CheckStatus.SUPERSEDED: "该证照已更正，本版本不再有效，请以最新版本为准。",
    CheckStatus.NOT_FOUND: "未找到该电子证照标识对应的证照，请核对标识是否完整、正确。",
    CheckStatus.TAMPERED: "该证照的记录与颁发时的签名不一致，可能被篡改，请勿采信，并联系颁发机构。",
}


@never_cache  # Cache-Control: no-store …: a revocation must show on the next scan
@require_GET
def verify(request: HttpRequest, identifier: str) -> HttpResponse:
    check = check_licence(identifier)
    public = check.public()
    context = {
        "check": check,
        "public": public,
        "verdict_class": VERDICT_CLASSES[check.status],
        "verdict_note": VERDICT_NOTES[check.status],
        "is_revoked": check.status == CheckStatus.REVOKED,
    }
    status = 404 if check.status == CheckStatus.NOT_FOUND else 200
    return render(request, "licences/verify.html", context, status=status)


@dataclass
class WalletCard(StatusBadge):
    licence: Licence
    status: str
    qr: SafeString
    uses: list[LicenceUse]


@require_GET
@applicant_view
def wallet(request: HttpRequest) -> HttpResponse:
    user, _role = applicant(request)
    today = timezone.localdate()
    cards = [
        WalletCard(
            licence=licence,
            status=licence.status_on(today),
            # segno's own SVG of our own text: nothing user-supplied is interpolated.
            qr=mark_safe(qr_svg(qr_text(licence))),
            uses=list(licence.uses.all()),
        )
        for licence in wallet_licences(user, today)
    ]
    return render(request, "licences/wallet.html", {"cards": cards})


@require_GET
@login_required
def licence_pdf(request: HttpRequest, identifier: str) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    licence = (
        Licence.objects.select_related("licence_type")
        .filter(identifier=identifier.strip().upper())
        .first()
    )
    # Someone else's licence is "not found", not "forbidden": its existence is not public
    # through this URL (the verify page is the public way to check one).
    if licence is None or not may_open(user, licence):
        raise Http404("电子证照不存在")
    pdf = render_licence_pdf(licence_document(licence, timezone.localdate()))
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = quote(f"{licence.licence_type.name}-{licence.number}.pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{filename}"
    response["Cache-Control"] = "private, no-store"
    return response
