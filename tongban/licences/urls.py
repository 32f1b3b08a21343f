"""The holder's wallet under /licences/. The public verify page is /verify/<identifier>
(tongban/urls.py): it is printed in QR codes, so it stays short and outside this prefix."""

from django.urls import URLPattern, path

from . import views, views_manage

app_name = "licences"

urlpatterns: list[URLPattern] = [
    path("", views.wallet, name="wallet"),
    path("<str:identifier>.pdf", views.licence_pdf, name="pdf"),
    path("manage/<str:identifier>/", views_manage.manage, name="manage"),
    path("manage/<str:identifier>/revoke/", views_manage.revoke, name="revoke"),
    path("manage/<str:identifier>/correct/", views_manage.correct, name="correct"),
]
