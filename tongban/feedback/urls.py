"""好差评 pages under /feedback/."""

from django.urls import path

from . import views_desk, views_pad, views_public, views_rater

app_name = "feedback"

urlpatterns = [
    # The rater (个人/企业)
    path("rate/<str:case_no>/<str:stage>/", views_rater.rate, name="rate"),
    path("mine/", views_rater.mine, name="mine"),
    path("mine/<int:pk>/", views_rater.rating_detail, name="rating"),
    path("mine/<int:pk>/re-rate/", views_rater.re_rate, name="re_rate"),
    # The rated unit's desk, and the supervisor
    path("desk/", views_desk.desk, name="desk"),
    path("desk/<int:pk>/", views_desk.desk_detail, name="desk_detail"),
    path("desk/<int:pk>/do/<str:action>/", views_desk.desk_action, name="desk_action"),
    path("supervise/", views_desk.supervise, name="supervise"),
    # The window pad (一次一评) and the public results
    path("pad/<str:number>/", views_pad.pad, name="pad"),
    path("public/", views_public.public, name="public"),
]
