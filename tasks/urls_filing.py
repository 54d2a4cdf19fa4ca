"""Monthly dispatch pages of the units (月调度填报). The URL names are a contract."""

from django.urls import path

from tasks.views import filing as views

urlpatterns = [
    path("reporting/", views.reporting_inbox, name="reporting-inbox"),
    path("reporting/<int:period_id>/tasks/<int:task_id>/report/", views.report_edit, name="report-edit"),
    path(
        "reporting/<int:period_id>/tasks/<int:task_id>/contribution/",
        views.contribution_edit, name="contribution-edit",
    ),
    path("reporting/annual/<int:year>/tasks/<int:task_id>/", views.annual_plan_edit, name="annual-plan-edit"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence-download"),
    path("inbox/", views.notification_list, name="notification-list"),
    path("inbox/read/", views.notification_mark_read, name="notification-mark-read"),
    path("inbox/<int:pk>/open/", views.notification_open, name="notification-open"),
]
