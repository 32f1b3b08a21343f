"""Error pages: Chinese HTML for people, the API's JSON error shape under /api/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

MESSAGES = {
    403: ("forbidden", "无权访问", "您没有访问此页面的权限。如需开通，请联系系统管理员。"),
    404: ("not_found", "页面不存在", "您访问的页面不存在或已被移除，请检查地址是否正确。"),
    500: ("server_error", "系统繁忙", "服务器处理请求时出现错误，请稍后重试。问题已记录。"),
}


def _respond(request: HttpRequest, status: int) -> HttpResponse:
    code, title, text = MESSAGES[status]
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": code, "detail": title},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    return render(
        request, "error.html", {"status": status, "title": title, "text": text}, status=status
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _respond(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _respond(request, 500)
