"""The applicant's workbench: the apply wizard and my applications."""

from django.urls import URLPattern, path

from . import views_apply, views_citizen

WIZARD = "apply/<str:kind>/<str:code>/"
DRAFT = WIZARD + "<int:pk>/"

urlpatterns: list[URLPattern] = [
    path("apply/", views_apply.apply_index, name="apply_index"),
    path(WIZARD, views_apply.apply_start, name="apply_start"),
    path(DRAFT, views_apply.apply_resume, name="apply_resume"),
    path(DRAFT + "upload/<slug:key>/", views_apply.apply_upload, name="apply_upload"),
    path(DRAFT + "submit/", views_apply.apply_submit, name="apply_submit"),
    path(DRAFT + "discard/", views_apply.apply_discard, name="apply_discard"),
    path(DRAFT + "<str:step>/", views_apply.apply_step, name="apply_step"),
    path("mine/", views_citizen.mine, name="mine"),
    path("mine/<str:number>/", views_citizen.mine_detail, name="mine_detail"),
    path(
        "mine/<str:number>/cases/<str:case_no>/resubmit/",
        views_citizen.resubmit,
        name="mine_resubmit",
    ),
    path(
        "mine/<str:number>/cases/<str:case_no>/withdraw/",
        views_citizen.withdraw,
        name="mine_withdraw",
    ),
    path(
        "mine/<str:number>/deferred/<slug:key>/",
        views_citizen.supply_deferred,
        name="mine_supply_deferred",
    ),
    path(
        "mine/<str:number>/notices/<str:notice>.pdf",
        views_citizen.notice_pdf,
        name="mine_notice",
    ),
]
