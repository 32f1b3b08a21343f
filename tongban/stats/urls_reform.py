"""改革成效 pages under /stats/reform/ (names in the "stats" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views_reform

urlpatterns: list[URLPattern] = [
    path("", views_reform.reform, name="reform"),
    path("<str:code>/", views_reform.reform_bundle, name="reform_bundle"),
]
