"""Statistics pages under /stats/: the dashboard and department view (views.py), exports
(views_exports.py), reform results (views_reform.py) and the public data page (views_public.py, no login)."""

from __future__ import annotations

from django.urls import include, path

app_name = "stats"

urlpatterns = [
    path("", include("tongban.stats.urls_dashboard")),
    path("export/", include("tongban.stats.urls_exports")),
    path("reform/", include("tongban.stats.urls_reform")),
    path("public/", include("tongban.stats.urls_public")),
]
