"""The holder's wallet under /licences/. The public verify page is /verify/<identifier>
(tongban/urls.py): it is printed in QR codes, so it stays short and outside this prefix."""

from django.urls import URLPattern, path

from . import views

app_name = "licences"

urlpatterns: list[URLPattern] = [
    path("", views.wallet, name="wallet"),
    path("<str:identifier>.pdf", views.licence_pdf, name="pdf"),
]
