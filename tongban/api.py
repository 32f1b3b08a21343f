"""The REST API at /api/v1: one NinjaAPI, one error shape, token and session auth.

Every error leaves as `{"error": "<code>", "detail": ...}` with a 4xx status for anything
the caller can fix; bad input never becomes a 500. While the database cannot be reached
the answer is 503 `database_unavailable` with Retry-After (tongban/core/db_unavailable.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import Error as DatabaseLayerError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Redoc
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import SessionAuth

from tongban.cases.api import router as cases_router
from tongban.catalog.api import router as catalog_router
from tongban.core.api import router as core_router
from tongban.core.api_auth import BearerTokenAuth
from tongban.core.calendar_api import router as calendar_router
from tongban.core.db_unavailable import is_database_unavailable, unavailable_response
from tongban.core.errors import DomainError
from tongban.core.validation_messages import chinese_message
from tongban.feedback.api import router as feedback_router
from tongban.guide.api import router as guide_router
from tongban.licences.api import router as licences_router
from tongban.stats.api import router as stats_router
from tongban.tickets.api import router as tickets_router

logger = logging.getLogger(__name__)


class ChineseJSONRenderer(JSONRenderer):
    # Chinese text leaves as UTF-8, not as \uXXXX escapes.
    json_dumps_params = {"ensure_ascii": False}


# The error statuses an operation may answer with, all in the one shape above: every
# handler can raise a DomainError (400 bad input, 403 role, 404 unknown or outside the
# caller's scope, 409 state conflict), ninja adds 422 for a malformed request, and secured
# operations 401. Documented once here rather than on ~45 decorators, so the OpenAPI
# document promises no status the API does not use and omits none it does (checked by
# schemathesis' status_code_conformance in tests/test_api_fuzz.py).
DOCUMENTED_ERRORS = {
    400: "请求有误",
    403: "无权执行此操作",
    404: "资源不存在，或不在调用者的可见范围内",
    409: "办件或工单的当前状态不允许此操作",
    422: "请求参数或请求体格式不正确",
    503: "数据库暂时不可用（database_unavailable），请按 Retry-After 稍后用同一幂等键重试",
}
SECURED_ERRORS = {401: "需要登录或提供有效的访问令牌"}
EXTRA_ERRORS = {
    ("post", "/api/v1/uploads"): {413: "文件过大"},
    ("post", "/api/v1/auth/token"): {429: "登录失败次数过多，请稍后再试"},
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {
        "error": {"type": "string", "title": "Error"},
        "detail": {"title": "Detail"},
    },
    "required": ["error", "detail"],
}


class TongbanAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                statuses = dict(DOCUMENTED_ERRORS)
                if operation.get("security"):
                    statuses.update(SECURED_ERRORS)
                statuses.update(EXTRA_ERRORS.get((method, path), {}))
                responses = operation.setdefault("responses", {})
                for status, description in statuses.items():
                    responses.setdefault(status, {"description": description, "content": error})
        return schema


api = TongbanAPI(
    title="通办 Tongban API",
    version="1",
    description="一件事一次办 政务服务平台接口。认证：`POST /api/v1/auth/token` 取得令牌后，"
    "以 `Authorization: Bearer <token>` 调用；浏览器内已登录的会话同样有效。",
    renderer=ChineseJSONRenderer(),
    auth=[BearerTokenAuth(), SessionAuth(csrf=True)],
    urls_namespace="api-v1",
)

HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "too_many_requests",
}


def error_response(request: HttpRequest, status: int, code: str, detail: Any) -> HttpResponse:
    return api.create_response(request, {"error": code, "detail": detail}, status=status)


def chinese_validation_detail(errors: list[Any]) -> list[dict[str, Any]]:
    detail = []
    for error in errors:
        item = {key: error[key] for key in ("type", "loc") if key in error}
        item["msg"] = chinese_message(error)
        item["msg_en"] = error.get("msg", "")
        if "ctx" in error:
            item["ctx"] = {key: str(value) for key, value in error["ctx"].items()}
        detail.append(item)
    return detail


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(request, 422, "validation_error", chinese_validation_detail(exc.errors))


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthorized", "需要登录或提供有效的访问令牌")


@api.exception_handler(AuthorizationError)
def on_authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return error_response(request, 403, "forbidden", "无权执行此操作")


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, "forbidden", str(exc) or "无权执行此操作")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = exc.message
    if detail == "Cannot parse request body":
        detail = "请求体不是有效的JSON"
    code = HTTP_ERROR_CODES.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, detail)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "资源不存在")


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.detail)


@api.exception_handler(DatabaseLayerError)
def on_database_error(request: HttpRequest, exc: DatabaseLayerError) -> HttpResponse:
    # The database is away (restart, failover, refused connection): 503 + Retry-After, so
    # clients retry with the same Idempotency-Key. Any other database error is a bug: 500.
    if is_database_unavailable(exc):
        return unavailable_response(request, exc, error_response)
    return on_unexpected(request, exc)


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled API error", exc_info=exc)
    return error_response(request, 500, "server_error", "服务器内部错误，请稍后重试")


api.add_router("/", core_router)
api.add_router("/calendar", calendar_router)
api.add_router("/catalog", catalog_router)
api.add_router("/", cases_router)
api.add_router("/", licences_router)
api.add_router("/", feedback_router)
api.add_router("/", tickets_router)
api.add_router("/", stats_router)
api.add_router("/", guide_router)

# Redoc as an alternative reader; both are served from ninja's bundled static files.
redoc = Redoc()
