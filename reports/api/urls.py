"""The reports API under /api/v1/: each part's routes in its own module."""

from django.urls import include, path  # noqa: F401 (parts add their routes)

urlpatterns: list = [
    path("", include("reports.api.dispatch_reports")),
    path("", include("reports.api.dashboards")),
]
