"""智能导办 pages under /guide/ (public, like the catalog)."""

from django.urls import path

from . import views

app_name = "guide"

urlpatterns = [
    path("", views.results, name="results"),
    path("suggest", views.suggest, name="suggest"),
]
