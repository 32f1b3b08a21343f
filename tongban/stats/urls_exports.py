from __future__ import annotations

from django.urls import URLPattern, path

from . import views_exports

urlpatterns: list[URLPattern] = [
    path("report.pdf", views_exports.report, name="report"),
    path("<slug:table>.<slug:fmt>", views_exports.export, name="export"),
]
