"""Excel round-trip pages (Excel 批量填报)."""

from django.urls import path

from reports.views import roundtrip as views

urlpatterns = [
    path("reporting/excel/", views.roundtrip_page, name="roundtrip"),
    path("reporting/excel/<int:period_id>/template.xlsx", views.roundtrip_template, name="roundtrip-template"),
    path("reporting/excel/<int:period_id>/upload/", views.roundtrip_upload, name="roundtrip-upload"),
    path("reporting/excel/uploads/<int:pk>/", views.roundtrip_preview, name="roundtrip-preview"),
    path("reporting/excel/uploads/<int:pk>/confirm/", views.roundtrip_confirm, name="roundtrip-confirm"),
]
