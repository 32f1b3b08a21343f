"""Electronic licences under /api/v1/licences: public verification and keys (no login), the
caller's own licences, and revoke / correct by the issuing department.

Handlers parse, authorise and call records.py / actions.py; a DomainError leaves as
`{"error", "detail"}` with its 4xx status (tongban/api.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from tongban.core.api_auth import api_user as _user
from tongban.core.models import Role

from .actions import licence_correct, licence_revoke
from .records import CHECK_LABELS, check_licence, published_keys
from .wallet import owned_licences

router = Router(tags=["电子证照"])


@router.get(
    "/licences/keys",
    auth=None,
    summary="证照签名公钥（离线核验用，含已轮换的旧密钥）",
)
def licence_keys(request: HttpRequest) -> dict[str, Any]:
    return {"keys": published_keys().public_keys()}


@router.get(
    "/licences/{identifier}/verify",
    auth=None,
    summary="核验电子证照（公开，不含持证人身份号码与照面信息）",
    description=(
        "任何结果都返回 200，由 `status` 字段说明：`valid` 有效、`revoked` 已撤销、"
        "`expired` 已过期、`superseded` 已被新版本替代（`newest` 为最新版本标识）、"
        "`not_found` 查无此证、`tampered` 数据被篡改。"
    ),
)
def verify_licence(request: HttpRequest, identifier: str) -> dict[str, Any]:
    return check_licence(identifier).public()


@router.get("/licences", summary="我的电子证照（本账号或本人身份号码/统一社会信用代码名下）")
def my_licences(request: HttpRequest) -> dict[str, Any]:
    today = timezone.localdate()
    licences = owned_licences(_user(request)).select_related("licence_type")
    results = []
    for licence in licences.order_by("-issued_on", "-pk"):
        status = licence.status_on(today)
        results.append(
            {
                "identifier": licence.identifier,
                "type_name": licence.licence_type.name,
                "number": licence.number,
                "issuer_name": licence.issuer_name,
                "issued_on": licence.issued_on,
                "expires_on": licence.expires_on,
                "version": licence.version,
                "status": status,
                "status_label": CHECK_LABELS[status],
                "pdf_url": reverse("licences:pdf", args=[licence.identifier]),
            }
        )
    return {"results": results}


class LicenceChangeIn(Schema):
    reason: str = Field(description="撤销或更正的原因（必填）")
    data: dict[str, str] | None = Field(default=None, description="更正后的照面信息（按标签）")


@router.post(
    "/licences/{identifier}/actions/revoke",
    summary="撤销电子证照（仅颁发机构的审批人员）",
)
def revoke_licence(request: HttpRequest, identifier: str, body: LicenceChangeIn) -> dict[str, Any]:
    licence = licence_revoke(
        identifier.strip().upper(), actor=_user(request), role=Role.APPROVER, reason=body.reason
    )
    return check_licence(licence.identifier).public()


@router.post(
    "/licences/{identifier}/actions/correct",
    summary="更正电子证照：生成新版本，原版本标记为已被替代（仅颁发机构的审批人员）",
)
def correct_licence(request: HttpRequest, identifier: str, body: LicenceChangeIn) -> dict[str, Any]:
    licence = licence_correct(
        identifier.strip().upper(),
        actor=_user(request),
        role=Role.APPROVER,
        reason=body.reason,
        data=body.data,
    )
    return check_licence(licence.identifier).public()
