"""The issuing department's page for one licence: its record, versions and uses, and the
two changes a department may make — 撤销 (revoke) and 更正 (correct, a new version).

Only approvers of the issuing department reach it; anyone else gets a 404, as for the PDF
(the public way to learn about a licence is the verify page). Views parse the form and call
licence_revoke / licence_correct; a DomainError re-renders the page with its Chinese reason.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from tongban.core.errors import DomainError
from tongban.core.models import Role, User

from .actions import is_issuer_staff, licence_correct, licence_revoke
from .models import Licence, LicenceStatus
from .qr import qr_svg
from .records import CHECK_LABELS
from .wallet import VERDICT_CLASSES, face_fields, qr_text


def _managed(request: HttpRequest, identifier: str) -> tuple[User, Licence]:
    user = request.user
    assert isinstance(user, User)
    licence = (
        Licence.objects.select_related("licence_type", "case")
        .filter(identifier=identifier.strip().upper())
        .first()
    )
    if licence is None or not is_issuer_staff(user, licence):
        raise Http404("电子证照不存在")
    return user, licence


def _field_names(fields: list[tuple[str, str]]) -> list[str]:
    # Labels are Chinese and may hold any character: the form posts them by position.
    return [f"field-{index}" for index in range(len(fields))]


def _page(
    request: HttpRequest,
    licence: Licence,
    *,
    error: str = "",
    posted: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    state = licence.status_on(today)
    fields = face_fields(licence)
    versions = list(
        Licence.objects.filter(base=licence.base)
        .order_by("-version")
        .only("identifier", "version", "status", "status_reason", "issued_on", "expires_on")
    )
    context: dict[str, Any] = {
        "licence": licence,
        "status": state,
        "status_label": CHECK_LABELS[state],
        "badge_class": VERDICT_CLASSES[state],
        "fields": fields,
        "edit_fields": [
            {"name": name, "label": label, "value": (posted or {}).get(name, value)}
            for name, (label, value) in zip(_field_names(fields), fields, strict=True)
        ],
        "versions": versions,
        "uses": list(licence.uses.select_related("department", "application")),
        # segno's own SVG of our own text: nothing user-supplied is interpolated.
        "qr": mark_safe(qr_svg(qr_text(licence))),
        "changeable": licence.status == LicenceStatus.VALID,
        "error": error,
        "posted": posted or {},
    }
    return render(request, "licences/manage.html", context, status=status)


@require_GET
@login_required
def manage(request: HttpRequest, identifier: str) -> HttpResponse:
    _user, licence = _managed(request, identifier)
    return _page(request, licence)


@require_POST
@login_required
def revoke(request: HttpRequest, identifier: str) -> HttpResponse:
    user, licence = _managed(request, identifier)
    reason = request.POST.get("reason", "")
    try:
        licence_revoke(licence.identifier, actor=user, role=Role.APPROVER, reason=reason)
    except DomainError as exc:
        posted = {"reason": reason}
        return _page(request, licence, error=str(exc.detail), posted=posted, status=exc.status)
    messages.success(request, "证照已撤销，核验页面即时显示为“已撤销”。")
    return redirect("licences:manage", identifier=licence.identifier)


@require_POST
@login_required
def correct(request: HttpRequest, identifier: str) -> HttpResponse:
    user, licence = _managed(request, identifier)
    reason = request.POST.get("reason", "")
    fields = face_fields(licence)
    names = _field_names(fields)
    data = {
        label: request.POST.get(name, "").strip()
        for name, (label, _value) in zip(names, fields, strict=True)
    }
    holder_name = request.POST.get("holder_name", "").strip() or None
    try:
        new = licence_correct(
            licence.identifier,
            actor=user,
            role=Role.APPROVER,
            reason=reason,
            data=data,
            holder_name=holder_name,
        )
    except DomainError as exc:
        posted = {"reason": reason, **dict(zip(names, data.values(), strict=True))}
        return _page(request, licence, error=str(exc.detail), posted=posted, status=exc.status)
    messages.success(request, f"已更正，生成第{new.version}版；原版本已标记为“已更正”。")
    return redirect("licences:manage", identifier=new.identifier)
