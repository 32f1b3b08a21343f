"""The public page a notice's QR code opens: is this paper a notice we issued, and does
the decision still stand? No login, nothing personal (the addressee is not shown: whoever
holds the paper already has it, whoever scans a photo of it need not)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tongban.licences.models import Licence

from .enums import CaseState, NoticeKind
from .models import Notice

DECISIONS = {NoticeKind.APPROVAL, NoticeKind.DENIAL}


@never_cache  # a revoked decision must show on the next scan
@require_GET
def verify_notice(request: HttpRequest, number: str) -> HttpResponse:
    notice = (
        Notice.objects.select_related("case", "case__department")
        .filter(number=number.strip())
        .first()
    )
    if notice is None:
        return render(request, "cases/verify_notice.html", {"number": number}, status=404)
    case = notice.case
    revoked = notice.kind in DECISIONS and case.state == CaseState.REVOKED
    licences = (
        list(Licence.objects.filter(case=case).order_by("-version").only("identifier", "version"))
        if notice.kind == NoticeKind.APPROVAL
        else []
    )
    context = {
        "number": number,
        "notice": notice,
        "case": case,
        "item_name": notice.data.get("item_name", ""),
        "department_name": notice.data.get("department_name", case.department.name),
        "revoked": revoked,
        "licences": licences,
    }
    return render(request, "cases/verify_notice.html", context)
