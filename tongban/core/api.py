"""Core API: tokens, the current user, identifier validation, regions and departments."""

from __future__ import annotations

import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema

from .api_auth import issue_api_token
from .identifiers import VALIDATORS
from .models import Department, Region, User

router = Router()


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_at: datetime.datetime


class ErrorOut(Schema):
    error: str
    detail: str


@router.post(
    "/auth/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut},
    tags=["认证"],
    summary="以用户名和密码换取访问令牌",
)
def create_token(request: HttpRequest, payload: TokenIn) -> TokenOut:
    raw, token = issue_api_token(request, payload.username, payload.password)
    return TokenOut(token=raw, expires_at=token.expires_at)


class RoleOut(Schema):
    role: str
    role_name: str
    department: str | None
    region: str | None


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[RoleOut]


@router.get("/me", response=MeOut, tags=["认证"], summary="当前用户及其角色")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    assert isinstance(user, User)
    assignments = [a for group in user.assignments_by_role().values() for a in group]
    return MeOut(
        username=user.username,
        full_name=user.full_name,
        roles=[
            RoleOut(
                role=a.role,
                role_name=a.get_role_display(),
                department=a.department.name if a.department else None,
                region=a.region_id,
            )
            for a in assignments
        ],
    )


class IdentifierIn(Schema):
    kind: Literal["resident_id", "uscc", "phone"]
    value: str


class IdentifierOut(Schema):
    valid: bool
    reason: str | None
    normalized: str


@router.post(
    "/identifiers/validate",
    auth=None,
    response=IdentifierOut,
    tags=["证件校验"],
    summary="校验公民身份号码、统一社会信用代码或手机号码",
)
def validate_identifier(request: HttpRequest, payload: IdentifierIn) -> IdentifierOut:
    check = VALIDATORS[payload.kind](payload.value)
    return IdentifierOut(valid=check.valid, reason=check.reason, normalized=check.normalized)


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None


@router.get("/regions", auth=None, response=list[RegionOut], tags=["基础数据"], summary="行政区划")
def list_regions(request: HttpRequest) -> list[RegionOut]:
    return [
        RegionOut(code=r.code, name=r.name, level=r.level, parent=r.parent_id)
        for r in Region.objects.order_by("code")
    ]


class DepartmentOut(Schema):
    code: str
    name: str
    region: str
    uscc: str
    kind: str


@router.get(
    "/departments", auth=None, response=list[DepartmentOut], tags=["基础数据"], summary="部门"
)
def list_departments(request: HttpRequest) -> list[DepartmentOut]:
    return [
        DepartmentOut(code=d.code, name=d.name, region=d.region_id, uscc=d.uscc, kind=d.kind)
        for d in Department.objects.filter(is_active=True).order_by("region_id", "name")
    ]
