"""The Permissions-Policy header, which Django's SecurityMiddleware does not set.

No page of Tongban uses the camera, microphone, location, payment or USB APIs; denying them
means a script that slipped past the Content-Security-Policy (or a framed ad on a partner
site) still cannot ask the citizen for them. Materials are uploaded as files, never taken
with the camera from the page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in DENIED_FEATURES)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
