"""政务公开 data page under /stats/public/ (no login)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import views_public

urlpatterns: list[URLPattern] = [
    path("", views_public.public, name="public"),
]
