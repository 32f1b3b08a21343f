"""12345 工单 pages under /tickets/."""

from django.urls import path

from . import views_citizen, views_desk

app_name = "tickets"

urlpatterns = [
    # The hotline operator, the department, the supervisor
    path("desk/", views_desk.desk, name="desk"),
    path("queue/", views_desk.queue, name="queue"),
    path("new/", views_desk.new, name="new"),
    path("suggest/", views_desk.suggest, name="suggest"),
    path("supervise/", views_desk.supervise, name="supervise"),
    # The caller (个人/企业)
    path("mine/", views_citizen.mine, name="mine"),
    path("mine/new/", views_citizen.file, name="file"),
    path("mine/<str:number>/", views_citizen.progress, name="progress"),
    # One ticket (staff)
    path("<str:number>/", views_desk.detail, name="detail"),
    path("<str:number>/do/<str:action>/", views_desk.act, name="act"),
]
