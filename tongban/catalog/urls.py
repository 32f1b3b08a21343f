from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.index, name="index"),
    path("departments/", views.departments, name="departments"),
    path("metrics/", views.metrics, name="metrics"),
    path("items/<str:code>/", views.item_detail, name="item"),
    path("items/<str:code>/guide/", views.item_guide, name="item_guide"),
    path("items/<str:code>/checklist/print/", views.item_print, name="item_print"),
    path("bundles/<slug:code>/", views.bundle_detail, name="bundle"),
    path("bundles/<slug:code>/guide/", views.bundle_guide, name="bundle_guide"),
    path("bundles/<slug:code>/checklist/print/", views.bundle_print, name="bundle_print"),
]
