"""The dashboard (统计总览, also the department view) and its full 黄牌/红牌 list."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("warnings/", views.warnings, name="warnings"),
]
