"""Pages of the reports layer; each part keeps its routes in its own module."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("reports.urls_ledgers")),
    path("", include("reports.urls_roundtrip")),
    path("", include("reports.urls_dispatch_reports")),
    path("", include("reports.urls_dashboards")),
]
