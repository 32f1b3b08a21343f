from django.urls import include, path

app_name = "cases"

urlpatterns = [
    path("", include("tongban.cases.urls_citizen")),
    path("staff/", include("tongban.cases.urls_staff")),
]
