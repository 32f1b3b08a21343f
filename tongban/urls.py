from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from ninja.responses import NinjaJSONEncoder

from .api import api, redoc
from .cases.views_verify import verify_notice
from .licences import views as licence_views


# ninja's Redoc page starts Redoc with an inline script, Redoc injects its styles as <style>
# elements and runs its search in a blob: worker. This page alone is allowed those (it shows
# only the public API description); the site-wide policy stays strict (docs/security.md).
@csp_update(
    {
        "script-src": ["'unsafe-inline'"],
        "style-src": ["'unsafe-inline'"],
        "worker-src": ["'self'", "blob:"],
    }
)
def redoc_page(request: HttpRequest) -> HttpResponse:
    return redoc.render_page(request, api)


def openapi_json(request: HttpRequest) -> HttpResponse:
    # ninja's own view escapes non-ASCII; the spec is full of Chinese summaries.
    return JsonResponse(
        api.get_openapi_schema(),
        encoder=NinjaJSONEncoder,
        json_dumps_params={"ensure_ascii": False},
    )


admin.site.site_header = "通办 系统管理"
admin.site.site_title = "通办 系统管理"
admin.site.index_title = "基础数据维护"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/redoc", redoc_page, name="api-redoc"),
    path("api/v1/openapi.json", openapi_json, name="api-openapi-json"),
    path("api/v1/", api.urls),
    path("catalog/", include("tongban.catalog.urls")),
    path("guide/", include("tongban.guide.urls")),
    path("cases/", include("tongban.cases.urls")),
    path("licences/", include("tongban.licences.urls")),
    path("feedback/", include("tongban.feedback.urls")),
    path("tickets/", include("tongban.tickets.urls")),
    path("stats/", include("tongban.stats.urls")),
    path("verify/notice/<str:number>", verify_notice, name="notice_verify"),
    path("verify/<str:identifier>", licence_views.verify, name="licence_verify"),
    path("", include("tongban.core.urls")),
]

handler403 = "tongban.core.error_views.permission_denied"
handler404 = "tongban.core.error_views.page_not_found"
handler500 = "tongban.core.error_views.server_error"
