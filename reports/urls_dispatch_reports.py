from django.urls import path

from reports.views import dispatch_reports as views

urlpatterns: list = [
    path("reports/dispatch/", views.dispatch_report_list, name="dispatch-report-list"),
    path("reports/dispatch/new/", views.dispatch_report_create, name="dispatch-report-create"),
    path("reports/dispatch/<int:pk>/", views.dispatch_report_detail, name="dispatch-report-detail"),
    path("reports/dispatch/<int:pk>/progress/", views.dispatch_report_progress, name="dispatch-report-progress"),
    path("reports/dispatch/<int:pk>/download/", views.dispatch_report_download, name="dispatch-report-download"),
    path("reports/dispatch/<int:pk>/rebuild/", views.dispatch_report_rebuild, name="dispatch-report-rebuild"),
]
