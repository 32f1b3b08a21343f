"""Staff workbenches under /cases/staff/: the window, the department queue, supervision."""

from django.urls import path

from . import views_proxy, views_queue, views_staff, views_walkin, views_window

urlpatterns = [
    # 综合窗口
    path("window/", views_window.window, name="window"),
    path("window/new/", views_walkin.window_new, name="window_new"),
    path(
        "window/applications/<str:number>/",
        views_walkin.window_application,
        name="window_application",
    ),
    path("window/check/<str:case_no>/", views_window.window_check, name="window_check"),
    path("window/deliver/", views_window.window_deliver, name="window_deliver"),
    # 帮代办
    path("proxy/", views_proxy.proxy_desk, name="proxy_desk"),
    path("proxy/<int:pk>/revoke/", views_proxy.proxy_revoke, name="proxy_revoke"),
    # 部门审批
    path("queue/", views_queue.queue, name="queue"),
    path("verifications/", views_queue.verifications, name="verifications"),
    # 效能监督
    path("warnings/", views_queue.warnings, name="warnings"),
    # Every staff role: the case record, its actions, files and notices
    path("case/<str:case_no>/", views_staff.case_detail, name="case_detail"),
    path("case/<str:case_no>/do/<str:action>/", views_staff.case_action, name="case_action"),
    path(
        "case/<str:case_no>/files/<uuid:upload_id>/",
        views_staff.material_file,
        name="material_file",
    ),
    path(
        "case/<str:case_no>/notices/<str:number>.pdf",
        views_staff.notice_pdf,
        name="notice_pdf",
    ),
]
